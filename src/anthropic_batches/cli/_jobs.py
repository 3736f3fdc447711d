"""`run --store URL --job NAME` (one worker of a shared job) and `jobs --store URL`.

Several machines run the same `run` command: the first records the job's plan in the store,
the others find it there and read only their parts of the input; each part is leased to one
worker at a time (see `AsyncJob.work`). Every problem with the store, the output or the job's
input is told in one line before anything is created.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from .._async._backend import run_blocking
from .._async.jobs import AsyncJob
from .._output_parts import OutputError, OutputFormat, PartsOutput
from .._requests_file import RequestsFile
from .._stores import JobStore, JobStoreError, open_store
from .._stores._base import OtherInput, redact
from .._stores._plan import check_source, source_of, source_size
from ._common import (
    EXIT_BAD_INPUT,
    EXIT_USAGE,
    Settings,
    execute,
    flag_version,
    settings_of,
)
from ._display import JobDisplay
from ._help import at_least
from ._interrupt import GuardedJob, InterruptGuard, interrupted

__all__ = [
    "CombineOption",
    "FormatOption",
    "JobOption",
    "LeaseTtlOption",
    "MaxLeasesOption",
    "RequestsArgument",
    "StoreOption",
    "jobs",
    "list_jobs",
    "run_shared",
    "run_worker",
]

RequestsArgument = Annotated[
    str,
    typer.Argument(
        metavar="REQUESTS",
        show_default=False,
        help="Requests file (a path, or a URL with --store): one API request per line.",
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="URL",
        help="A job store shared by several workers (postgresql://...): this run is "
        "one worker of job --job, and OUTPUT is a folder of one object per part.",
    ),
]
JobOption = Annotated[
    str | None, typer.Option("--job", metavar="NAME", help="The job's name in --store.")
]
FormatOption = Annotated[
    str,
    typer.Option("--format", metavar="FORMAT", help="With --store: the parts as jsonl or parquet."),
]
CombineOption = Annotated[
    bool, typer.Option("--combine", help="With --store: also write every part as one object.")
]
LeaseTtlOption = Annotated[
    float,
    typer.Option(
        "--lease-ttl",
        metavar="SECONDS",
        help="With --store: how long a worker's lease of a part lasts unless renewed.",
    ),
]
MaxLeasesOption = Annotated[
    int,
    typer.Option(
        "--max-leases",
        metavar="N",
        callback=at_least(1),
        help="With --store: the most parts this worker holds (creates, polls) at once.",
    ),
]


def _store(settings: Settings, url: str) -> JobStore:
    try:
        return open_store(url)
    except JobStoreError as exc:
        settings.fail(str(exc), EXIT_USAGE)


async def run_worker(
    settings: Settings,
    requests: str,
    output: str,
    store_url: str,
    name: str,
    *,
    output_format: OutputFormat,
    combine: bool,
    max_requests: int,
    max_bytes: int,
    poll_interval: float,
    max_queued: int | None,
    lease_ttl: float,
    max_leases: int,
) -> int:
    """Work on job `name` of the store with whatever other workers run it; the exit code."""
    out = PartsOutput(output, format=output_format)
    try:
        await run_blocking(out.check)
    except OutputError as exc:
        settings.fail(str(exc), EXIT_USAGE)
    store = await run_blocking(_store, settings, store_url)
    most = max(poll_interval, 60.0)
    display = JobDisplay(settings)
    try:
        async with settings.client() as client:
            state = await run_blocking(store.load, name)
            make: Callable[[], AsyncJob]
            if state is None:  # the first worker: check and split, record the plan
                # Read as `settings.requests_file` reads one, a URL kept as it is.
                source = RequestsFile(
                    requests, settings.api_version, max_bytes, spell_version=flag_version
                )
                make = functools.partial(
                    GuardedJob,
                    client,
                    source,
                    store=store,
                    name=name,
                    max_requests=max_requests,
                    max_bytes=max_bytes,
                    max_queued_requests=max_queued,
                    poll_interval=poll_interval,
                    max_poll_interval=most,
                    on_progress=display.update,
                )
            else:  # a later one: the stored plan, and only this worker's parts are read
                given = source_of(requests)
                check_source(state, store, name, given, source_size(given))
                make = functools.partial(
                    GuardedJob.open,
                    client,
                    store,
                    name,
                    max_queued_requests=max_queued,
                    poll_interval=poll_interval,
                    max_poll_interval=most,
                    on_progress=display.update,
                )
            job = await run_blocking(make)
            settings.info(
                f"job {name}: {job.state.requests} requests in {len(job.parts)} part(s); "
                f"worker {job.worker}"
            )
            with InterruptGuard(settings):  # each create recorded before stopping
                try:
                    with display:
                        manifest = await job.work(
                            out, lease_ttl=lease_ttl, max_leases=max_leases, combine=combine
                        )
                except asyncio.CancelledError:
                    shown = redact(store_url)
                    return await interrupted(
                        settings,
                        job,
                        cancel=False,
                        where=f"{shown} (job {name})",
                        hide=lambda arg: arg.replace(store_url, shown),
                    )
    except OtherInput as exc:
        settings.fail(str(exc), EXIT_BAD_INPUT)
    except (JobStoreError, OutputError) as exc:
        settings.fail(str(exc), EXIT_USAGE)
    finally:
        store.close()
    counts = manifest["usage"].get("counts", {})
    done = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no results"
    settings.info(f"job {name}: every part is in {output} ({done})")
    return 0


def run_shared(
    settings: Settings,
    requests: str,
    output: str,
    store: str | None,
    job: str | None,
    output_format: str,
    combine: bool,
    lease: tuple[float, int],
    limits: tuple[int, int, float, int | None],
) -> NoReturn:
    """`run --store URL --job NAME`: check the options, then run one worker."""
    max_requests, max_bytes, poll_interval, max_queued = limits
    lease_ttl, max_leases = lease
    if store is None or not job:
        settings.fail("--store URL and --job NAME go together", EXIT_USAGE)
    if output_format not in ("jsonl", "parquet"):
        settings.fail(f"--format {output_format}: give jsonl or parquet", EXIT_USAGE)
    if not lease_ttl > 0:
        settings.fail(f"--lease-ttl {lease_ttl}: give a number of seconds above 0", EXIT_USAGE)

    async def work() -> int:
        return await run_worker(
            settings,
            requests,
            output,
            store,
            job,
            output_format="parquet" if output_format == "parquet" else "jsonl",
            combine=combine,
            max_requests=max_requests,
            max_bytes=max_bytes,
            poll_interval=poll_interval,
            max_queued=max_queued,
            lease_ttl=lease_ttl,
            max_leases=max_leases,
        )

    execute(settings, work)


def list_jobs(settings: Settings, store_url: str, as_json: bool) -> None:
    """Print the store's jobs, one line each (or JSON lines)."""
    store = _store(settings, store_url)
    try:
        jobs = store.jobs()
    except JobStoreError as exc:
        settings.fail(str(exc), EXIT_USAGE)
    finally:
        store.close()
    if as_json:
        for job in jobs:
            typer.echo(json.dumps(job.__dict__))
        return
    if not jobs:
        settings.info(f"no jobs in {escape(store.url)}")
        return
    header = ("JOB", "PARTS DONE", "RUNNING", "LEASES", "TAKEOVERS", "REQUESTS", "UPDATED")
    rows = [header] + [
        (
            j.name,
            f"{j.downloaded}/{j.parts}",
            str(j.running),
            str(j.leases),
            str(j.takeovers),
            str(j.requests),
            j.updated_at[:19].replace("T", " "),
        )
        for j in jobs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def jobs(
    ctx: typer.Context,
    store: Annotated[
        str, typer.Option("--store", metavar="URL", help="The job store (postgresql://...).")
    ],
    json: Annotated[bool, typer.Option("--json", help="Print each job as JSON.")] = False,
) -> None:
    """List the jobs of a store: parts done, batches running, leases held, requests."""
    list_jobs(settings_of(ctx), store, json)
