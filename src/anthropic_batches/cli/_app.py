"""The `anthropic-batches` commands (typer)."""

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from .._async.jobs import AsyncJob
from .._facts import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    WORKSPACE_ENV,
)
from ._common import (
    EXIT_BAD_INPUT,
    EXIT_BUDGET,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    Settings,
    api_version_option,
    execute,
    settings_of,
)
from ._display import batch_line
from ._estimate import estimate
from ._help import PlainCommand, at_least
from ._jobs import (
    CombineOption,
    FormatOption,
    JobOption,
    LeaseTtlOption,
    RequestsArgument,
    StoreOption,
    jobs,
    run_shared,
)
from ._run import run_job

EPILOG = (
    f"Exit codes: {EXIT_OK} done; {EXIT_ERROR} API, network or file error; {EXIT_USAGE} bad "
    f"command line or no API key; {EXIT_BAD_INPUT} bad requests file or state file; "
    f"{EXIT_TIMEOUT} --timeout passed; {EXIT_BUDGET} --max-cost reached (parts left "
    f"unsubmitted; re-run with a higher cap to go on); {EXIT_STOPPED} stopped by the API (a "
    f"spend limit, an organisation on hold); {EXIT_INTERRUPTED} interrupted (Ctrl-C)."
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
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Metavars are given everywhere: typer's own (`<int range>`, `<list[str]>`) read like code.
MaxRequests = Annotated[
    int,
    typer.Option(
        "--max-requests",
        callback=at_least(1),
        metavar="N",
        help="Most requests per batch (1 or more).",
    ),
]
MaxBytes = Annotated[
    int,
    typer.Option(
        "--max-bytes",
        callback=at_least(1),
        metavar="BYTES",
        help="Largest create body per batch, in bytes.",
    ),
]
PollInterval = Annotated[
    float,
    typer.Option(
        "--poll-interval",
        callback=at_least(0.01),
        metavar="SECONDS",
        help="Seconds between first polls.",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        callback=at_least(0),
        metavar="SECONDS",
        help="Give up waiting after this many seconds (the job can be resumed).",
    ),
]
RequestsPath = Annotated[
    Path,
    typer.Argument(
        metavar="REQUESTS", show_default=False, help="Requests file: one API request per line."
    ),
]
BatchIds = Annotated[list[str], typer.Argument(metavar="ID...", help="One or more batch ids.")]
BatchId = Annotated[str, typer.Argument(metavar="ID", help="A batch id.")]
Output = Annotated[
    str,
    typer.Option("--output", "-o", metavar="FILE", help="Results file ('-': stdout)."),
]


@app.callback()
def _main(
    ctx: typer.Context,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", metavar="KEY", help="API key (default: $ANTHROPIC_API_KEY)."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", metavar="URL", help="API address (default: $ANTHROPIC_BASE_URL)."
        ),
    ] = None,
    api_version: Annotated[
        str,
        typer.Option(
            "--api-version",
            metavar="VERSION",
            callback=api_version_option,
            help=f"API version to send: {' or '.join(API_VERSIONS)}.",
        ),
    ] = DEFAULT_API_VERSION,
    workspace_id: Annotated[
        str | None,
        typer.Option(
            "--workspace-id",
            metavar="ID",
            help=f"Workspace every call acts in (default: ${WORKSPACE_ENV}).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or messages.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log requests; tracebacks on error.")
    ] = False,
) -> None:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    settings.api_key, settings.base_url, settings.api_version = api_key, base_url, api_version
    settings.workspace_id = workspace_id
    settings.quiet, settings.debug = quiet, debug
    ctx.obj = settings


@app.command(cls=PlainCommand)
def run(
    ctx: typer.Context,
    requests: RequestsArgument,
    output: Output,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            metavar="FILE",
            help="Job state file (default: the output's name + .state.json).",
        ),
    ] = None,
    max_requests: MaxRequests = MAX_BATCH_REQUESTS,
    max_bytes: MaxBytes = MAX_BATCH_BYTES,
    poll_interval: PollInterval = 5.0,
    timeout: Timeout = None,
    cancel_on_interrupt: Annotated[
        bool, typer.Option("--cancel-on-interrupt", help="On Ctrl-C, cancel the batches.")
    ] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            metavar="USD",
            help="Cap on what the batches can cost at batch prices (every answer at its "
            "max_tokens): a batch that would pass it is not created.",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            metavar="FILE",
            help="Price file (TOML or JSON) over the bundled prices, for --max-cost.",
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            metavar="PATH",
            help="Response cache (a SQLite file, made if missing): requests answered before "
            "are not sent again; their stored answers are written instead.",
        ),
    ] = None,
    max_queued: Annotated[
        int | None,
        typer.Option(
            "--max-queued",
            metavar="N",
            callback=at_least(1),
            help="Keep at most N of the job's requests processing at once, leaving room in "
            "the organisation's queue for others.",
        ),
    ] = None,
    max_rpm: Annotated[
        int | None,
        typer.Option(
            "--max-rpm",
            metavar="N",
            callback=at_least(1),
            help="Send at most N API requests per minute (every call of the run together).",
        ),
    ] = None,
    store: StoreOption = None,
    job: JobOption = None,
    output_format: FormatOption = "jsonl",
    combine: CombineOption = False,
    lease_ttl: LeaseTtlOption = 60.0,
) -> None:
    """Split, submit, wait, download the results and print a summary. Re-run to resume."""
    settings = settings_of(ctx)
    if store is not None or job is not None:
        settings.max_rpm = max_rpm
        run_shared(
            settings,
            requests,
            output,
            store,
            job,
            output_format,
            combine,
            lease_ttl,
            (max_requests, max_bytes, poll_interval, max_queued),
        )
    if state is None and output != "-":
        state = Path(output + ".state.json")
    if output != "-" and not Path(output).resolve().parent.is_dir():
        settings.fail(f"cannot write {output}: its directory does not exist", EXIT_USAGE)
    settings.state_path = state
    if max_cost is not None and not 0 <= max_cost < float("inf"):
        settings.fail(f"--max-cost {max_cost}: give a number of dollars, 0 or more", EXIT_USAGE)
    settings.max_rpm = max_rpm

    async def work() -> int:
        return await run_job(
            settings,
            Path(requests),
            output,
            state,
            max_requests=max_requests,
            max_bytes=max_bytes,
            poll_interval=poll_interval,
            timeout=timeout,
            cancel_on_interrupt=cancel_on_interrupt,
            max_cost=max_cost,
            prices=prices,
            cache=cache,
            max_queued=max_queued,
        )

    execute(settings, work)


app.command(cls=PlainCommand, short_help="Estimate what a requests file costs, before sending it.")(
    estimate
)


@app.command(cls=PlainCommand, short_help="Create the batches of a requests file.")
def submit(
    ctx: typer.Context,
    requests: RequestsPath,
    max_requests: MaxRequests = MAX_BATCH_REQUESTS,
    max_bytes: MaxBytes = MAX_BATCH_BYTES,
) -> None:
    """Check and split a requests file, create its batches, print their ids."""
    settings = settings_of(ctx)

    async def work() -> None:
        items = list(settings.requests_file(requests, max_bytes))
        async with settings.client() as client:
            job = AsyncJob(client, items, max_requests=max_requests, max_bytes=max_bytes)
            for index in range(len(job.parts)):
                typer.echo(await job.submit_part(index))
        settings.info(f"submitted {len(items)} requests as {len(job.parts)} batch(es)")

    execute(settings, work)


@app.command(cls=PlainCommand)
def status(
    ctx: typer.Context,
    batch_ids: BatchIds,
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


@app.command(cls=PlainCommand)
def wait(
    ctx: typer.Context,
    batch_ids: BatchIds,
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


@app.command(cls=PlainCommand)
def results(
    ctx: typer.Context,
    batch_id: BatchId,
    output: Output = "-",
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


@app.command("list", cls=PlainCommand)
def list_(
    ctx: typer.Context,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", callback=at_least(1), metavar="N", help="How many batches to show."
        ),
    ] = 20,
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


@app.command(cls=PlainCommand)
def cancel(ctx: typer.Context, batch_id: BatchId) -> None:
    """Cancel a batch (it moves to canceling, then ends)."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            typer.echo(batch_line(await client.messages.batches.cancel(batch_id)))

    execute(settings, work)


@app.command(cls=PlainCommand)
def delete(ctx: typer.Context, batch_id: BatchId) -> None:
    """Delete a batch that has ended."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            deleted = await client.messages.batches.delete(batch_id)
        typer.echo(f"deleted {deleted.id}")

    execute(settings, work)


app.command("jobs", cls=PlainCommand, short_help="List the jobs of a job store.")(jobs)


@app.command(
    short_help="Serve a local emulator of the API.",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator(ctx: typer.Context) -> None:
    """Serve a local emulator of the API on loopback (see: emulator --help)."""
    # The emulator's own typer command, given the arguments as they are. It is imported only
    # here: the emulator's dependencies would add about 70 ms to every other command's start.
    from ..emulator._command import main as run_emulator

    run_emulator(ctx.args, prog_name=ctx.command_path)


@app.command(cls=PlainCommand)
def demo(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Where to write the results."),
    ] = None,
) -> None:
    """Run a sample job against a local emulator: no key, no network."""
    from ._demo import run_demo

    settings = settings_of(ctx)
    execute(settings, lambda: run_demo(settings, output))
