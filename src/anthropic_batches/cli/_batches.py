"""The commands on batches themselves: `submit`, `status`, `wait`, `results`, `list`,
`cancel` and `delete` (each one call, or a few, of the API)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from typing import Annotated, BinaryIO

import typer

from .._async.jobs import AsyncJob
from .._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from ._common import execute, settings_of
from ._display import batch_line
from ._help import at_least
from ._options import (
    BatchId,
    BatchIds,
    MaxBytes,
    MaxRequests,
    Output,
    PollInterval,
    RequestsPath,
    Timeout,
)

__all__ = ["cancel", "delete", "list_", "results", "status", "submit", "wait"]


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


def cancel(ctx: typer.Context, batch_id: BatchId) -> None:
    """Cancel a batch (it moves to canceling, then ends)."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            typer.echo(batch_line(await client.messages.batches.cancel(batch_id)))

    execute(settings, work)


def delete(ctx: typer.Context, batch_id: BatchId) -> None:
    """Delete a batch that has ended."""
    settings = settings_of(ctx)

    async def work() -> None:
        async with settings.client() as client:
            deleted = await client.messages.batches.delete(batch_id)
        typer.echo(f"deleted {deleted.id}")

    execute(settings, work)
