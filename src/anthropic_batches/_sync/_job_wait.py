"""How a job waits: rounds that submit the parts that have queue room and poll the unfinished
batches with one list page, handing out each wanted part as soon as it (and every wanted part
before it) has ended, until all have. `wait()` and the results of a job drive the same rounds.

The decisions are in `_rounds` (no I/O); this module makes the calls. A create refused with a
rate limit (the processing queue is full, too many requests, a ramp limit) leaves its part
waiting for queue room, and the next round tries again once a batch has ended or time has
passed; a code after which waiting cannot help (a spend limit, an organisation on hold) stops
the job at once, its state kept and its submitted batches left running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from contextlib import closing
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
    from .jobs import Job

__all__ = ["in_processing", "parts_as_ended", "wait_parts"]

logger = logging.getLogger("anthropic_batches")


def _ended(job: Job, index: int) -> bool:
    seen = job._batches.get(index)
    if seen is not None:
        return seen.ended
    return job.state.parts[index].status == ENDED


def in_processing(job: Job) -> int:
    """The job's requests in processing, as last seen."""
    return sum(
        len(part)
        for part in job.parts
        if job.state.parts[part.index].batch_id is not None and not _ended(job, part.index)
    )


def _submit_what_fits(job: Job, pending: list[int]) -> float | None:
    """Create the batches of the pending parts, in order, while they have room; the wait the
    API asked for when it refused one, if it did."""
    while pending:
        index = pending[0]
        if not has_room(in_processing(job), len(job.parts[index]), job.max_queued_requests):
            job._waiting.add(index)
            return None
        try:
            job.submit_part(index)
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


def _stopped(job: Job, exc: APIStatusError) -> None:
    running = sum(1 for p in job.state.parts if p.batch_id is not None and p.status != ENDED)
    logger.warning(
        "job stopped: %s (%s); the state is kept, and its %d submitted batch(es) still "
        "processing keep running",
        exc.error_code,
        exc.message,
        running,
    )


def _note(job: Job, index: int, batch: MessageBatch) -> None:
    job._batches[index] = batch
    job.state.parts[index].status = batch.processing_status


def _poll_round(job: Job, unfinished: list[int]) -> float | None:
    """Bring every unfinished part's batch up to date: one list page when it shows them all,
    a GET for each it does not; the wait the API asked for, if it did."""
    ids = {job.state.parts[i].batch_id or "": i for i in unfinished}
    batches = job._client.messages.batches
    plan = poll_plan(ids, None)
    try:
        if plan.use_list:
            page = batches._page({"limit": LIST_LIMIT_MAX})
            plan = poll_plan(ids, page.data)
            for batch_id, batch in plan.found.items():
                _note(job, ids[batch_id], batch)
        for batch_id in plan.by_id:
            _note(job, ids[batch_id], batches.retrieve(batch_id))
        job._report()  # once a round, not once a batch
    except (APIConnectionError, APIStatusError) as exc:
        if stops_job(exc) or (
            isinstance(exc, APIStatusError) and exc.status_code < 500 and not waits_for_room(exc)
        ):
            raise
        logger.info("job: transient error while polling, polling on: %s", exc)
        return retry_after(exc.response.headers) if isinstance(exc, APIStatusError) else None
    return None


def parts_as_ended(
    job: Job, parts: Sequence[JobPart], timeout: float | None
) -> Generator[tuple[JobPart, MessageBatch]]:
    """Submit every part not submitted yet (as queue room allows), and hand out each part of
    `parts` with its ended batch as soon as it, and every part before it in `parts`, has
    ended; the rounds go on between parts, so the parts still waiting for queue room are
    created as room returns while the caller reads the ended ones.

    A part held back by `max_cost` (no batch, `budget_stop` set) is skipped. The time the
    caller spends between two parts counts neither toward `timeout` nor toward the pause
    before the next round (it is taken off that pause).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = [p.index for p in job.parts if job.state.parts[p.index].batch_id is None]
    if job.budget_stop is not None:
        pending = []  # held back by `max_cost`
    coming = list(parts)  # not handed out yet, in order
    if not coming and not pending:
        return  # nothing to submit nor to wait for: no call
    interval = job._polling["poll_interval"]
    most = job._polling["max_poll_interval"]
    while True:
        asked = _submit_what_fits(job, pending)
        unfinished = [
            p.index
            for p in job.parts
            if job.state.parts[p.index].batch_id is not None
            and (p.index not in job._batches or not job._batches[p.index].ended)
        ]
        room_returned = False
        if unfinished:
            queued = in_processing(job)
            asked = max(asked or 0.0, _poll_round(job, unfinished) or 0.0) or None
            job._save()
            room_returned = in_processing(job) < queued
        spent = 0.0
        while coming:
            index = coming[0].index
            if job.state.parts[index].batch_id is None:
                if job.budget_stop is None:
                    break  # waits for queue room
                coming.pop(0)  # held back by `max_cost`: not waited for
                continue
            batch = job._batches.get(index)
            if batch is None or not batch.ended:
                break
            handed = time.monotonic()
            yield coming.pop(0), batch
            spent += time.monotonic() - handed
        if pending and room_returned:  # try again now, not a pause later (after the reads:
            # a refusal's `retry-after` pauses every call of the client, downloads too)
            asked = max(asked or 0.0, _submit_what_fits(job, pending) or 0.0) or None
        if not coming and not pending:
            return
        delay = next_interval(interval, asked, most)
        if deadline is not None:
            deadline += spent
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(timeout or 0.0, None)
            delay = min(delay, remaining)
        sleep(max(0.0, delay - spent))
        interval = min(interval * GROWTH, most)


def wait_parts(
    job: Job, parts: Sequence[JobPart], timeout: float | None
) -> list[MessageBatch]:
    """Submit every part not submitted yet (as queue room allows) and wait until the batches
    of `parts` have ended; their batches, in the order of `parts` (without the parts held
    back by `max_cost`)."""
    with closing(parts_as_ended(job, parts, timeout)) as ended:
        return [batch for _, batch in ended]
