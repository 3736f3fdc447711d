"""Progress events of a job (I/O-free).

The API moves a batch's request counts only when the whole batch ends: until then every
request is counted as `processing`
(https://docs.anthropic.com/en/api/retrieving-message-batches). So honest progress is per
part: which parts have ended, how long the job has run, and how long until the earliest
`expires_at` of a part still running. No percentage inside a running batch is invented.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ._facts import ENDED, RESULT_TYPES
from ._models import MessageBatch, RequestCounts

if TYPE_CHECKING:
    from ._split import JobPart
    from ._state import PartState

__all__ = ["JobProgress", "PartProgress", "ProgressCallback", "job_progress"]

#: Status of a part not submitted yet, and of one submitted whose batch was not seen since.
PENDING, SUBMITTED = "pending", "submitted"
#: Status of a part not submitted yet because the processing queue has no room for it.
WAITING_FOR_ROOM = "waiting_for_queue_room"


@dataclass(frozen=True)
class PartProgress:
    """One part of a job, as last seen.

    Attributes:
        index: The part's position in the job.
        requests: How many requests it holds.
        batch_id: Its batch id, once submitted.
        status: `"pending"` (not submitted), `"waiting_for_queue_room"` (not submitted: the
            processing queue has no room for it yet), or the batch's `processing_status`.
        counts: The batch's request counts as last seen (all `processing` until it ends).
        expires_at: When the batch expires, once submitted.
    """

    index: int
    requests: int
    batch_id: str | None
    status: str
    counts: RequestCounts | None
    expires_at: datetime | None

    @property
    def ended(self) -> bool:
        """Whether the batch has ended."""
        return self.status == ENDED


@dataclass(frozen=True)
class JobProgress:
    """A snapshot of a job, passed to the `on_progress` callback.

    Attributes:
        parts: Every part, in order.
        elapsed: Seconds since this run of the job started waiting.
        now: When the snapshot was taken.
    """

    parts: tuple[PartProgress, ...]
    elapsed: float
    now: datetime

    @property
    def total_parts(self) -> int:
        """How many parts the job has."""
        return len(self.parts)

    @property
    def waiting_parts(self) -> int:
        """Parts not submitted yet because the processing queue has no room for them."""
        return sum(1 for p in self.parts if p.status == WAITING_FOR_ROOM)

    @property
    def ended_parts(self) -> int:
        """How many parts have ended."""
        return sum(1 for p in self.parts if p.ended)

    @property
    def total_requests(self) -> int:
        """How many requests the job has."""
        return sum(p.requests for p in self.parts)

    @property
    def ended_requests(self) -> int:
        """How many requests are in parts that have ended (the only ones the API has counted)."""
        return sum(p.requests for p in self.parts if p.ended)

    @property
    def counts(self) -> RequestCounts:
        """The request counts of the parts that have ended, summed."""
        total = RequestCounts()
        for part in self.parts:
            if part.ended and part.counts is not None:
                for name in RESULT_TYPES:
                    setattr(total, name, getattr(total, name) + getattr(part.counts, name))
        total.processing = self.total_requests - self.ended_requests
        return total

    @property
    def time_to_expiry(self) -> float | None:
        """Seconds until the earliest `expires_at` of a part still running, or `None`."""
        running = [p.expires_at for p in self.parts if not p.ended and p.expires_at is not None]
        if not running:
            return None
        return (min(running) - self.now).total_seconds()

    @property
    def done(self) -> bool:
        """Whether every part has ended."""
        return all(p.ended for p in self.parts)


#: What `on_progress` is called with: a `JobProgress`; what it returns is ignored.
ProgressCallback = Callable[[JobProgress], object]


def job_progress(
    parts: Sequence[JobPart],
    saved: Sequence[PartState],
    seen: Mapping[int, MessageBatch],
    *,
    elapsed: float,
    now: datetime,
    waiting: Collection[int] = (),
) -> JobProgress:
    """A snapshot of a job's parts.

    Args:
        parts: The job's parts.
        saved: Their states, in the same order.
        seen: The batch last seen for each part index, where one was seen by this run.
        elapsed: Seconds since the run started.
        now: When the snapshot is taken.
        waiting: The indexes of parts waiting for queue room.
    """
    snapshot = []
    for part, state in zip(parts, saved, strict=True):
        batch = seen.get(part.index)
        status = state.status or (SUBMITTED if state.batch_id else PENDING)
        if state.batch_id is None and part.index in waiting:
            status = WAITING_FOR_ROOM
        snapshot.append(
            PartProgress(
                index=part.index,
                requests=len(part),
                batch_id=state.batch_id,
                status=batch.processing_status if batch is not None else status,
                counts=batch.request_counts if batch is not None else None,
                expires_at=batch.expires_at if batch is not None else None,
            )
        )
    return JobProgress(tuple(snapshot), elapsed, now)
