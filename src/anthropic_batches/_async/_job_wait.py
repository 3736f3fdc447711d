"""How a job waits: rounds that submit the parts that have queue room and poll the unfinished
batches with one list page, until every wanted part's batch has ended.

The decisions are in `_rounds` (no I/O); this module makes the calls. A create refused with a
rate limit (the processing queue is full, too many requests, a ramp limit) leaves its part
waiting for queue room, and the next round tries again once a batch has ended or time has
passed; a code after which waiting cannot help (a spend limit, an organisation on hold) stops
the job at once, its state kept and its submitted batches left running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._budget import BudgetExceeded
from .._exceptions import APIConnectionError, APIStatusError, WaitTimeoutError
from .._facts import ENDED, LIST_LIMIT_MAX
from .._models import MessageBatch
from .._rounds import GROWTH, has_room, next_interval, poll_plan, stops_job, waits_for_room
from .._shared import retry_after
from .._split import JobPart
from ._backend import sleep

if TYPE_CHECKING:
    from .jobs import AsyncJob

__all__ = ["in_processing", "wait_parts"]

logger = logging.getLogger("anthropic_batches")


def _ended(job: AsyncJob, index: int) -> bool:
    seen = job._batches.get(index)
    if seen is not None:
        return seen.ended
    return job.state.parts[index].status == ENDED


def in_processing(job: AsyncJob) -> int:
    """The job's requests in processing, as last seen."""
    return sum(
        len(part)
        for part in job.parts
        if job.state.parts[part.index].batch_id is not None and not _ended(job, part.index)
    )


async def _submit_what_fits(job: AsyncJob, pending: list[int]) -> float | None:
    """Create the batches of the pending parts, in order, while they have room; the wait the
    API asked for when it refused one, if it did."""
    while pending:
        index = pending[0]
        if not has_room(in_processing(job), len(job.parts[index]), job.max_queued_requests):
            job._waiting.add(index)
            return None
        try:
            await job.submit_part(index)
        except BudgetExceeded as exc:  # under `max_cost`: it and the parts after it wait
            logger.warning("%s", exc)
            job.budget_stop = exc
            pending.clear()
            return None
        except APIStatusError as exc:
            if stops_job(exc):
                _stopped(job, exc)
                raise
            if not waits_for_room(exc):
                raise
            job._waiting.add(index)
            job._report()
            logger.info("part %d waits for queue room: %s", index, exc)
            return retry_after(exc.response.headers)
        job._waiting.discard(index)
        pending.pop(0)
    return None


def _stopped(job: AsyncJob, exc: APIStatusError) -> None:
    running = sum(1 for p in job.state.parts if p.batch_id is not None and p.status != ENDED)
    logger.warning(
        "job stopped: %s (%s); the state is kept, and its %d submitted batch(es) still "
        "processing keep running",
        exc.error_code,
        exc.message,
        running,
    )


def _note(job: AsyncJob, index: int, batch: MessageBatch) -> None:
    job._batches[index] = batch
    job.state.parts[index].status = batch.processing_status


async def _poll_round(job: AsyncJob, unfinished: list[int]) -> float | None:
    """Bring every unfinished part's batch up to date: one list page when it shows them all,
    a GET for each it does not; the wait the API asked for, if it did."""
    ids = {job.state.parts[i].batch_id or "": i for i in unfinished}
    batches = job._client.messages.batches
    plan = poll_plan(ids, None)
    try:
        if plan.use_list:
            page = await batches._page({"limit": LIST_LIMIT_MAX})
            plan = poll_plan(ids, page.data)
            for batch_id, batch in plan.found.items():
                _note(job, ids[batch_id], batch)
        for batch_id in plan.by_id:
            _note(job, ids[batch_id], await batches.retrieve(batch_id))
        job._report()  # once a round, not once a batch
    except (APIConnectionError, APIStatusError) as exc:
        if stops_job(exc) or (
            isinstance(exc, APIStatusError) and exc.status_code < 500 and not waits_for_room(exc)
        ):
            raise
        logger.info("job: transient error while polling, polling on: %s", exc)
        return retry_after(exc.response.headers) if isinstance(exc, APIStatusError) else None
    return None


async def wait_parts(
    job: AsyncJob, parts: Sequence[JobPart], timeout: float | None
) -> list[MessageBatch]:
    """Submit every part not submitted yet (as queue room allows) and wait until the batches
    of `parts` have ended; their batches, in the order of `parts`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = [p.index for p in job.parts if job.state.parts[p.index].batch_id is None]
    if job.budget_stop is not None:
        pending = []  # held back by `max_cost`
    interval = job._polling["poll_interval"]
    most = job._polling["max_poll_interval"]
    while True:
        asked = await _submit_what_fits(job, pending)
        if job.budget_stop is not None:  # the parts held back are not waited for
            parts = [p for p in parts if job.state.parts[p.index].batch_id is not None]
        unfinished = [
            p.index
            for p in job.parts
            if job.state.parts[p.index].batch_id is not None
            and (p.index not in job._batches or not job._batches[p.index].ended)
        ]
        if unfinished:
            asked = max(asked or 0.0, await _poll_round(job, unfinished) or 0.0) or None
            await job._save()
        wanted_left = [
            p for p in parts if p.index not in job._batches or not job._batches[p.index].ended
        ]
        if not wanted_left and not pending:
            return [job._batches[p.index] for p in parts]
        delay = next_interval(interval, asked, most)
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(timeout or 0.0, None)
            delay = min(delay, remaining)
        await sleep(delay)
        interval = min(interval * GROWTH, most)
