"""How a job creates its parts' batches: one create a part, recorded in the state before and
after, so that a create cut off before its answer was recorded is found again rather than
made twice; the rounds' submitting, part after part while each has queue room; and cancels.

A create refused with a rate limit (the processing queue is full, too many requests, a ramp
limit) leaves its part waiting for queue room; a code after which waiting cannot help (a spend
limit, an organisation on hold) stops the job at once, its state kept and its submitted
batches left running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .._budget import BudgetExceeded
from .._exceptions import APIConnectionError, APIStatusError, BadRequestError, NotFoundError
from .._facts import ENDED
from .._models import MessageBatch
from .._otel import PART_INDEX, step_span
from .._resume import nothing_created
from .._rounds import has_room, stops_job, waits_for_room
from .._shared import retry_after
from .._state import PartState, UnrecordedBatchMatch, cut_off_since, refusal_may_mean_ended
from .._stores import LeaseLost
from ._backend import run_blocking, sleep

if TYPE_CHECKING:
    from .jobs import AsyncJob

__all__ = ["cancel", "ended", "in_processing", "submit", "submit_part", "submit_what_fits"]

logger = logging.getLogger("anthropic_batches")

#: How long a cut-off create's recovery waits, at most, for another worker's create of the
#: job to be recorded when it cannot yet tell its batch from that one; and how often it looks.
SETTLE_SECONDS = 10.0
SETTLE_STEP = 1.0


def ended(job: AsyncJob, index: int) -> bool:
    """Whether part `index`'s batch has ended, as last seen."""
    seen = job._batches.get(index)
    if seen is not None:
        return seen.ended
    return job.state.parts[index].status == ENDED


def in_processing(job: AsyncJob) -> int:
    """The job's requests in processing, as last seen."""
    return sum(
        len(part)
        for part in job.parts
        if job.state.parts[part.index].batch_id is not None and not ended(job, part.index)
    )


async def submit_what_fits(
    job: AsyncJob,
    indices: Sequence[int],
    lost: Callable[[int, LeaseLost], None] | None = None,
) -> float | None:
    """Create the batches of the parts `indices` that have none, in order, while they have
    queue room; the wait the API asked for when it refused one, if it did. Under `max_cost`,
    the first part that would pass the cap stops it (`budget_stop`). A part whose lease was
    lost goes to `lost` (a worker's), and the next one is tried."""
    for index in indices:
        if job.state.parts[index].batch_id is not None or job.budget_stop is not None:
            continue
        if not has_room(in_processing(job), len(job.parts[index]), job.max_queued_requests):
            job._waiting.add(index)
            return None
        try:
            await job.submit_part(index)
        except LeaseLost as exc:
            if lost is None:
                raise
            lost(index, exc)
            continue
        except BudgetExceeded as exc:  # under `max_cost`: it and the parts after it wait
            logger.warning("%s", exc)
            job.budget_stop = exc
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


async def submit(job: AsyncJob) -> list[str]:
    """Create a batch for every part that has none yet (see `AsyncJob.submit`)."""
    ids = []
    for part in job.parts:
        if job.budget_stop is not None:
            break
        try:
            ids.append(await job.submit_part(part.index))
        except BudgetExceeded as exc:
            logger.warning("%s", exc)
            job.budget_stop = exc
    return ids


async def submit_part(job: AsyncJob, index: int) -> str:
    """Create part `index`'s batch unless it has one (see `AsyncJob.submit_part`); its id."""
    known = job.state.parts[index].batch_id
    if known is not None:  # created already: no call, and no span
        return known
    with step_span("job.submit_part", None, job._client._tracer_provider) as span:
        span.set(PART_INDEX, index)
        batch_id = await _create(job, index)
        span.batch_id(batch_id)
        return batch_id


async def _create(job: AsyncJob, index: int) -> str:
    part, saved = job.parts[index], job.state.parts[index]
    if job._budget is not None:  # the cap, before anything of this part is sent
        await run_blocking(job._budget.admit, job.parts, job.state, index)
    # Read back, and checked against the part's digest, before any call: an input
    # changed since the job was split is refused with nothing sent.
    body = await run_blocking(part.body)
    if saved.submitting_at is not None:
        found = await _unrecorded_batch(job, index, saved)
        if found is not None:
            logger.warning(
                "part %d: the create cut off at %s did make batch %s; using it",
                index,
                saved.submitting_at,
                found.id,
            )
            await _recorded(job, index, found)
            return found.id
        logger.warning(
            "part %d: a create started at %s got no recorded answer (interrupted?); "
            "it may have created a batch this job does not know of: check the batch list",
            index,
            saved.submitting_at,
        )
    batches = job._client.messages.batches
    try:
        # Where the batch list stood, so that a create cut off before its answer is
        # recorded can be found again among the batches listed after this one (see
        # _unrecorded_batch).
        newest = await batches.list(limit=1)
        saved.newest_before = newest.data[0].id if newest.data else ""
        saved.submitting_at = datetime.now(UTC).isoformat()
        await job._save(index)
        # Checked and encoded once, when the job was split: sent as it is. A rate limit
        # (the processing queue is full) is not tried again by the client: the job's
        # rounds wait for room, for `retry-after` or one of its batches ending.
        batch = await batches._create_body(body, retry_rate_limit=False)
    except (APIStatusError, APIConnectionError) as exc:
        if nothing_created(exc):
            await _not_submitted(job, index)
        raise
    await _recorded(job, index, batch)
    return batch.id


async def cancel(job: AsyncJob) -> list[MessageBatch]:
    """Cancel every submitted batch that has not ended (see `AsyncJob.cancel`)."""
    batches = job._client.messages.batches
    canceled = []
    for saved in job.state.parts:
        if saved.batch_id is None or saved.ended:
            continue
        try:
            batch = await batches.cancel(saved.batch_id)
        except APIStatusError as exc:
            if not refusal_may_mean_ended(exc.status_code):
                raise
            batch = await batches.get(saved.batch_id)  # what the refusal meant
            if not batch.ended:
                raise
        else:
            canceled.append(batch)
        job._batches[saved.index] = batch
        saved.status = batch.processing_status
        job._report()
    await job._save()
    return canceled


async def _not_submitted(job: AsyncJob, index: int) -> None:
    """A create the API refused, or that never reached it, made no batch: forget it was
    started; a state file with no batch (nor any create cut off) in it is removed: a
    refused run leaves none."""
    saved = job.state.parts[index]
    saved.submitting_at = saved.newest_before = None
    if job.state_path is None:
        await job._save(index)  # a shared store's part (nothing without a store)
        return
    if any(p.batch_id or p.submitting_at for p in job.state.parts):
        await job._save()
    else:
        async with job._save_lock:
            await run_blocking(job.state_path.unlink, missing_ok=True)


async def _recorded(job: AsyncJob, index: int, batch: MessageBatch) -> None:
    saved = job.state.parts[index]
    saved.batch_id, saved.status = batch.id, batch.processing_status
    job._batches[index] = batch
    await job._save(index)
    job._report()


async def _unrecorded_batch(job: AsyncJob, index: int, saved: PartState) -> MessageBatch | None:
    """The batch made by a create whose answer was never recorded, if it can be told
    (see `UnrecordedBatchMatch`).

    With a shared store, the batch ids the other workers recorded are read afresh first; and
    while two batches or more could be the part's and another worker's create of this job is
    on its way (started, its answer not yet recorded, its part not held here), the store is
    read again each second, for at most `SETTLE_SECONDS` (and half the lease): once the other
    worker records its batch, the one left is this part's, where creating the part again
    would pay for it twice.
    """
    waited, most = 0.0, min(SETTLE_SECONDS, job.lease_ttl / 2)
    while True:
        known, others = job.state.known_batch_ids(), []
        store = job._store
        if store is not None and store.shared and job.name is not None:
            fresh = await run_blocking(store.load, job.name)
            if fresh is not None:
                known |= fresh.known_batch_ids()
                others = [i for i in fresh.unanswered_creates(index) if i not in job._held]
        match = await _match_unrecorded(job, index, saved, known)
        if match is None or len(match.candidates) < 2 or not others or waited >= most:
            return None if match is None else match.batch
        logger.info(
            "part %d: %d batches could be its cut-off create's; waiting for part(s) %s of "
            "this job to record theirs",
            index,
            len(match.candidates),
            ", ".join(map(str, others)),
        )
        await sleep(SETTLE_STEP)
        waited += SETTLE_STEP


async def _match_unrecorded(
    job: AsyncJob, index: int, saved: PartState, known: set[str]
) -> UnrecordedBatchMatch | None:
    """The listed batches that could be the part's cut-off create's (`None` when its start
    cannot be read)."""
    size = len(job.parts[index])
    batches = job._client.messages.batches
    if saved.newest_before is not None:
        match = UnrecordedBatchMatch(known=known, size=size)
        try:
            async for batch in batches.iter(limit=100, before_id=saved.newest_before or None):
                match.feed(batch)
            return match
        except (NotFoundError, BadRequestError):
            pass  # that batch was deleted since: go by the time instead
    since = cut_off_since(saved.submitting_at)
    if since is None:
        return None
    match = UnrecordedBatchMatch(known=known, size=size, since=since)
    async for batch in batches.iter(limit=100):
        if not match.feed(batch):
            break  # newest first: the rest are older still
    return match
