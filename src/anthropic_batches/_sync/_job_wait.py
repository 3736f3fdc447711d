"""How a job waits: rounds that submit the parts that have queue room and poll the unfinished
batches with one list page, handing out each wanted part as soon as it (and every wanted part
before it) has ended, until all have. `wait()` and the results of a job drive the same rounds.

The decisions are in `_rounds` (no I/O); this module makes the calls, with the submitting of
`_job_submit`. A part left waiting for queue room is tried again in the next round, once a
batch has ended or time has passed. A worker of a shared job (`_job_work`) polls with the same
`poll_round`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from .._exceptions import APIConnectionError, APIStatusError, WaitTimeoutError
from .._facts import LIST_LIMIT_MAX
from .._models import MessageBatch
from .._otel import step_span
from .._rounds import GROWTH, next_interval, poll_plan, stops_job, waits_for_room
from .._shared import retry_after
from .._split import JobPart
from ._backend import sleep
from ._job_submit import in_processing, submit_what_fits

if TYPE_CHECKING:
    from .jobs import Job

__all__ = ["parts_as_ended", "poll_round", "wait_parts"]

logger = logging.getLogger("anthropic_batches")


def _note(job: Job, index: int, batch: MessageBatch) -> None:
    job._batches[index] = batch
    job.state.parts[index].status = batch.processing_status


def poll_round(job: Job, indices: Sequence[int]) -> tuple[float | None, list[int]]:
    """Bring the batches of the parts `indices` up to date: one list page when it shows them
    all, a GET for each it does not. The wait the API asked for, if it did, and the parts
    whose status moved (a worker saves each)."""
    ids = {job.state.parts[i].batch_id or "": i for i in indices}
    batches = job._client.messages.batches
    plan = poll_plan(ids, None)
    seen: dict[str, MessageBatch] = {}
    asked = None
    try:
        if plan.use_list:
            page = batches._page({"limit": LIST_LIMIT_MAX})
            plan = poll_plan(ids, page.data)
            seen.update(plan.found)
        for batch_id in plan.by_id:
            seen[batch_id] = batches.retrieve(batch_id)
    except (APIConnectionError, APIStatusError) as exc:
        if stops_job(exc) or (
            isinstance(exc, APIStatusError) and exc.status_code < 500 and not waits_for_room(exc)
        ):
            raise
        logger.info("job: transient error while polling, polling on: %s", exc)
        asked = retry_after(exc.response.headers) if isinstance(exc, APIStatusError) else None
    moved = []
    for batch_id, batch in seen.items():
        index = ids[batch_id]
        if job.state.parts[index].status != batch.processing_status:
            moved.append(index)
        _note(job, index, batch)
    if seen:
        job._report()  # once a round, not once a batch
    return asked, moved


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
    pending = _pending(job)
    coming = list(parts)  # not handed out yet, in order
    if not coming and not pending:
        return  # nothing to submit nor to wait for: no call
    interval = job._polling["poll_interval"]
    most = job._polling["max_poll_interval"]
    while True:
        asked = submit_what_fits(job, pending)
        pending = _pending(job)
        unfinished = [
            p.index
            for p in job.parts
            if job.state.parts[p.index].batch_id is not None
            and (p.index not in job._batches or not job._batches[p.index].ended)
        ]
        room_returned = False
        if unfinished:
            queued = in_processing(job)
            polled, _ = poll_round(job, unfinished)
            asked = max(asked or 0.0, polled or 0.0) or None
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
            asked = max(asked or 0.0, submit_what_fits(job, pending) or 0.0) or None
            pending = _pending(job)
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


def _pending(job: Job) -> list[int]:
    """The parts with no batch yet, unless `max_cost` holds them back."""
    if job.budget_stop is not None:
        return []
    return [p.index for p in job.parts if job.state.parts[p.index].batch_id is None]


def wait_parts(
    job: Job, parts: Sequence[JobPart], timeout: float | None
) -> list[MessageBatch]:
    """Submit every part not submitted yet (as queue room allows) and wait until the batches
    of `parts` have ended; their batches, in the order of `parts` (without the parts held
    back by `max_cost`), in a `job.wait` span."""
    with step_span("job.wait", None, job._client._tracer_provider) as span:
        span.set("anthropic_batches.job.parts", len(parts))
        with closing(parts_as_ended(job, parts, timeout)) as ended:
            return [batch for _, batch in ended]
