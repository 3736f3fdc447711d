"""The `anthropic-batches` commands (typer)."""

from pathlib import Path
from typing import Annotated

import typer

from .._facts import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    WORKSPACE_ENV,
)
from ._batches import cancel, delete, list_, results, status, submit, wait
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
from ._estimate import estimate
from ._help import PlainCommand, at_least
from ._jobs import (
    CombineOption,
    FormatOption,
    JobOption,
    LeaseTtlOption,
    MaxLeasesOption,
    RequestsArgument,
    StoreOption,
    jobs,
    run_shared,
)
from ._options import Cache, MaxBytes, MaxRequests, Output, PollInterval, Prices, Timeout
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
    prices: Prices = None,
    cache: Cache = None,
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
    max_leases: MaxLeasesOption = 4,
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
            (lease_ttl, max_leases),
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


app.command(cls=PlainCommand, short_help="Create the batches of a requests file.")(submit)
app.command(cls=PlainCommand)(status)
app.command(cls=PlainCommand)(wait)
app.command(cls=PlainCommand)(results)
app.command("list", cls=PlainCommand)(list_)
app.command(cls=PlainCommand)(cancel)
app.command(cls=PlainCommand)(delete)


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
