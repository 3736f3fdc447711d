"""The `anthropic-batches` commands (typer)."""

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from .._async.jobs import AsyncJob
from .._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from .._requests_file import read_requests
from .._shared import DEFAULT_API_VERSION
from ._common import (
    EXIT_BAD_INPUT,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    Settings,
    execute,
    settings_of,
)
from ._display import batch_line
from ._estimate import estimate
from ._run import run_job

EPILOG = (
    f"Exit codes: {EXIT_OK} done; {EXIT_ERROR} API, network or file error; {EXIT_USAGE} bad "
    f"command line or no API key; {EXIT_BAD_INPUT} bad requests file or state file; "
    f"{EXIT_TIMEOUT} --timeout passed; {EXIT_INTERRUPTED} interrupted (Ctrl-C)."
)

app = typer.Typer(
    name="anthropic-batches",
    help="Run large jobs on the Anthropic Message Batches API, and manage batches. "
    "Reads ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN and ANTHROPIC_BASE_URL.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

MaxRequests = Annotated[int, typer.Option("--max-requests", min=1, help="Most requests per batch.")]
MaxBytes = Annotated[
    int, typer.Option("--max-bytes", min=1, help="Largest create body per batch, in bytes.")
]
PollInterval = Annotated[
    float, typer.Option("--poll-interval", min=0.01, help="Seconds between first polls.")
]
Timeout = Annotated[
    float | None, typer.Option("--timeout", min=0.0, help="Give up waiting after S seconds.")
]


@app.callback()
def _main(
    ctx: typer.Context,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: $ANTHROPIC_API_KEY).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="API address (default: $ANTHROPIC_BASE_URL).")
    ] = None,
    api_version: Annotated[
        str, typer.Option("--api-version", help="anthropic-version to send.")
    ] = DEFAULT_API_VERSION,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or messages.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log requests; tracebacks on error.")
    ] = False,
) -> None:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    settings.api_key, settings.base_url, settings.api_version = api_key, base_url, api_version
    settings.quiet, settings.debug = quiet, debug
    ctx.obj = settings


@app.command()
def run(
    ctx: typer.Context,
    requests: Annotated[Path, typer.Argument(help="Requests file: one API request per line.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Results file ('-': stdout).")],
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Job state file (default: OUTPUT.state.json)."),
    ] = None,
    max_requests: MaxRequests = MAX_BATCH_REQUESTS,
    max_bytes: MaxBytes = MAX_BATCH_BYTES,
    poll_interval: PollInterval = 5.0,
    timeout: Timeout = None,
    cancel_on_interrupt: Annotated[
        bool, typer.Option("--cancel-on-interrupt", help="On Ctrl-C, cancel the batches.")
    ] = False,
) -> None:
    """Split, submit, wait, download the results and print a summary. Re-run to resume."""
    settings = settings_of(ctx)
    if state is None and output != "-":
        state = Path(output + ".state.json")
    if output != "-" and not Path(output).resolve().parent.is_dir():
        settings.fail(f"cannot write {output}: its directory does not exist", EXIT_USAGE)

    async def work() -> int:
        return await run_job(
            settings,
            requests,
            output,
            state,
            max_requests=max_requests,
            max_bytes=max_bytes,
            poll_interval=poll_interval,
            timeout=timeout,
            cancel_on_interrupt=cancel_on_interrupt,
        )

    execute(settings, work)


app.command()(estimate)


@app.command()
def submit(
    ctx: typer.Context,
    requests: Annotated[Path, typer.Argument(help="Requests file: one API request per line.")],
    max_requests: MaxRequests = MAX_BATCH_REQUESTS,
    max_bytes: MaxBytes = MAX_BATCH_BYTES,
) -> None:
    """Check and split a requests file, create its batches, print their ids."""
    settings = settings_of(ctx)

    async def work() -> None:
        items = list(read_requests(requests, api_version=settings.api_version, max_bytes=max_bytes))
        async with settings.client() as client:
            job = AsyncJob(client, items, max_requests=max_requests, max_bytes=max_bytes)
            for index in range(len(job.parts)):
                typer.echo(await job.submit_part(index))
        settings.info(f"submitted {len(items)} requests as {len(job.parts)} batch(es)")

    execute(settings, work)


@app.command()
def status(
    ctx: typer.Context,
    batch_ids: Annotated[list[str], typer.Argument(help="Batch ids.", metavar="ID...")],
    json: Annotated[bool, typer.Option("--json", help="Print each batch as JSON.")] = False,
) -> None:
    """Show batches: status and request counts."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            for batch_id in batch_ids:
                batch = await client.messages.batches.get(batch_id)
                typer.echo(batch.model_dump_json() if json else batch_line(batch))

    execute(settings, work)


@app.command()
def wait(
    ctx: typer.Context,
    batch_ids: Annotated[list[str], typer.Argument(help="Batch ids.", metavar="ID...")],
    poll_interval: PollInterval = 5.0,
    timeout: Timeout = None,
) -> None:
    """Wait until batches have ended (all at once), then show them."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            batches = await asyncio.gather(
                *(
                    client.messages.batches.wait(
                        i,
                        poll_interval=poll_interval,
                        max_poll_interval=max(poll_interval, 60.0),
                        timeout=timeout,
                    )
                    for i in batch_ids
                )
            )
        for batch in batches:
            typer.echo(batch_line(batch))

    execute(settings, work)


@app.command()
def results(
    ctx: typer.Context,
    batch_id: Annotated[str, typer.Argument(help="Batch id.", metavar="ID")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Results file ('-': stdout).")
    ] = "-",
) -> None:
    """Stream a batch's results as JSONL, to stdout or a file."""
    settings = settings_of(ctx)

    async def work() -> None:
        count = 0
        async with settings.client() as client:
            stream = client.messages.batches.results(batch_id)
            with _opened(output) as out:
                async with stream:
                    async for result in stream:
                        out.write(result.json_line() + b"\n")
                        count += 1
        settings.info(f"{count} results")

    execute(settings, work)


@contextlib.contextmanager
def _opened(output: str) -> Iterator[BinaryIO]:
    # Bytes out: each result line is written exactly as the API sent it.
    if output == "-":
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(output, "wb") as f:
        yield f


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many batches.")] = 20,
) -> None:
    """List batches, newest first."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            shown = 0
            async for batch in client.messages.batches.iter(limit=min(limit, 1000)):
                typer.echo(batch_line(batch))
                shown += 1
                if shown >= limit:
                    break

    execute(settings, work)


@app.command()
def cancel(
    ctx: typer.Context, batch_id: Annotated[str, typer.Argument(help="Batch id.", metavar="ID")]
) -> None:
    """Cancel a batch (it moves to canceling, then ends)."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            typer.echo(batch_line(await client.messages.batches.cancel(batch_id)))

    execute(settings, work)


@app.command()
def delete(
    ctx: typer.Context, batch_id: Annotated[str, typer.Argument(help="Batch id.", metavar="ID")]
) -> None:
    """Delete a batch that has ended."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            deleted = await client.messages.batches.delete(batch_id)
        typer.echo(f"deleted {deleted.id}")

    execute(settings, work)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator(ctx: typer.Context) -> None:
    """Serve a local emulator of the API (options: see `emulator --help`)."""
    # The emulator's own typer command, given the arguments as they are. It is imported only
    # here: the emulator's dependencies would add about 70 ms to every other command's start.
    from ..emulator._command import main as run_emulator

    run_emulator(ctx.args, prog_name=ctx.command_path)


@app.command()
def demo(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the results.")
    ] = None,
) -> None:
    """Run a sample job against a local emulator: no key, no network."""
    from ._demo import run_demo

    settings = settings_of(ctx)
    execute(settings, lambda: run_demo(settings, output))
