"""The emulator's state: batches per key, their lifecycle, and their results.

Nothing happens in the background. A batch's state is a function of the clock: each HTTP
request reads the clock once and the store brings every batch it touches up to that time.

The lifecycle, for a batch of `n` requests created at `t0`:

- Requests are processed at an even pace over `process_seconds`, in a fixed order (the order
  the results come back in). Until the batch ends, all `n` are counted `processing`.
- With no cancel, the batch ends at `t0 + process_seconds`; if that is past `expires_at`
  (`t0 + expire_seconds`), it ends at `expires_at` and the requests not reached are `expired`.
- A cancel at `tc` moves the batch to `canceling`; the requests reached by `tc` keep their
  answers, the rest are `canceled`, and the batch ends at `tc + cancel_seconds`.
- Results can be downloaded until `t0 + retention_seconds`; from then on the batch shows
  `archived_at` and its results answer 404.

When a batch ends, every processed request is answered once (so a scripted responder sees each
request exactly once) and the result lines are packed (`pack_results`); the request params are
dropped then.
"""

from __future__ import annotations

import bisect
import json
import random
import threading
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._facts import (
    BATCHES_PATH,
    ENDED,
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    PROCESSING_WINDOW,
    REQUEST_COUNT_FIELDS,
    RESULTS_RETENTION,
    ProcessingStatus,
)
from . import _ids
from ._batch import CANCELED, CANCELING, EXPIRED, IN_PROGRESS, Batch, rfc3339
from ._clock import Clock, WallClock
from ._errors import FAULT_MESSAGES, bad_request, not_found
from ._limits import Limits
from ._responder import Responder, ResponderRequest, answer, default_responder
from ._results import pack_results

__all__ = ["Emulator", "EmulatorStats"]

_DECODER = json.JSONDecoder()


@dataclass
class EmulatorStats:
    """Counters a test can read to see what the emulator was asked and what it did.

    Attributes:
        requests: HTTP requests received, faulted or not.
        calls: Requests received per operation: `create`, `list`, `get`, `cancel`, `delete`,
            `results` (the names of the emulator's routes), and `other` for requests no route
            serves (an unknown path, or a method the path does not serve).
        faults: Injected fault answers per status (429, 500, 529).
        batches_created: Batches actually created.
        results_downloads: Results downloads started (200 answers).
        results_dropped: Results downloads cut on purpose (`drop_results_after`).
        body_bytes_read: Bytes of create bodies read from the network.
        refused: Requests refused by a limit, per kind: `requests_per_minute`,
            `max_queued_requests`, `spend_limit`.
        arrivals: When each of the last 100,000 requests that reached their operation
            came in (the emulator's clock).
    """

    requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    faults: Counter[int] = field(default_factory=Counter)
    batches_created: int = 0
    results_downloads: int = 0
    results_dropped: int = 0
    body_bytes_read: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))

    @property
    def create_calls(self) -> int:
        """How many create requests came in (including faulted and refused ones)."""
        return self.calls["create"]


class Emulator:
    """The state of an emulated Message Batches API, and its settings.

    One `Emulator` backs one ASGI app (`create_app`). Tests read `stats`, move `clock`, and
    may change `fault_rate` or `drop_results_after` between steps.

    Args:
        clock: Where time comes from; `WallClock()` by default, `ManualClock()` in tests.
        api_keys: The keys accepted. When empty or `None`, any non-empty key is accepted;
            each key sees only the batches it created.
        process_seconds: How long a batch takes to end after it is created.
        cancel_seconds: How long a batch stays `canceling` after a cancel.
        expire_seconds: How long a batch has before the requests not done are `expired`.
        retention_seconds: How long after creation the results can be downloaded.
        max_requests: The most requests a batch may hold.
        max_body_bytes: The largest create body accepted; larger ones get 413.
        seed: Seeds ids, the results order and fault injection, for reproducible runs.
        fault_rate: The fraction (0..1) of HTTP requests answered with an injected 429, 500
            or 529 (with `retry-after: 0`) before anything else is done.
        drop_results_after: When set, the first results download of each batch is cut after
            this many lines (the connection drops mid-body); later downloads are complete.
        responder: Answers each processed request; `default_responder` by default.
        shuffle_results: Whether results come back in a shuffled (but stable) order rather
            than the create order; the real API promises no order.
        requests_per_minute: Per key, the HTTP requests allowed per minute (a token bucket);
            over it, 429 with `retry-after`. The rate-limit headers come with every answer.
            `None` (the default) for no limit.
        max_queued_requests: Per key, the most requests in processing; a create that would
            go over it answers 429 with `retry-after`. `None` for no limit.
        spend_limit_requests: Per key, the requests accepted before creates answer the
            spend-limit error (`enforced_spend_limit_reached`). `None` for no limit.
        rate_window_seconds: The window of `requests_per_minute`: 60, or less in fast tests.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        api_keys: Sequence[str] | None = None,
        process_seconds: float = 1.0,
        cancel_seconds: float = 0.2,
        expire_seconds: float = PROCESSING_WINDOW.total_seconds(),
        retention_seconds: float = RESULTS_RETENTION.total_seconds(),
        max_requests: int = MAX_BATCH_REQUESTS,
        max_body_bytes: int = MAX_BATCH_BYTES,
        seed: int = 0,
        fault_rate: float = 0.0,
        drop_results_after: int | None = None,
        responder: Responder | None = None,
        shuffle_results: bool = True,
        requests_per_minute: int | None = None,
        max_queued_requests: int | None = None,
        spend_limit_requests: int | None = None,
        rate_window_seconds: float = 60.0,
    ) -> None:
        for name, value in [
            ("process_seconds", process_seconds),
            ("cancel_seconds", cancel_seconds),
            ("expire_seconds", expire_seconds),
            ("retention_seconds", retention_seconds),
        ]:
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, not {value}")
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, not {fault_rate}")
        if drop_results_after is not None and drop_results_after < 0:
            raise ValueError(f"drop_results_after must be 0 or more, not {drop_results_after}")
        if max_requests < 1 or max_body_bytes < 1:
            raise ValueError("max_requests and max_body_bytes must be at least 1")
        self.clock: Clock = clock if clock is not None else WallClock()
        self.api_keys: frozenset[str] = frozenset(api_keys or ())
        self.process_seconds = process_seconds
        self.cancel_seconds = cancel_seconds
        self.expire_seconds = expire_seconds
        self.retention_seconds = retention_seconds
        self.max_requests = max_requests
        self.max_body_bytes = max_body_bytes
        self.seed = seed
        self.fault_rate = fault_rate
        self.drop_results_after = drop_results_after
        self.responder: Responder = responder or default_responder
        self.shuffle_results = shuffle_results
        self.stats = EmulatorStats()
        self.limits = Limits(
            requests_per_minute,
            max_queued_requests,
            spend_limit_requests,
            rate_window_seconds,
            refused=self.stats.refused,
        )
        self._lock = threading.RLock()
        self._ids_rng = random.Random(f"ids:{seed}")
        self._fault_rng = random.Random(f"faults:{seed}")
        self._sequence = int(self.clock.now() * 1000)
        self._batches: dict[str, Batch] = {}
        self._index: dict[str, list[str]] = {}

    # -- ids and faults ----------------------------------------------------------------------

    def request_id(self) -> str:
        """A fresh `req_...` id."""
        with self._lock:
            return _ids.request_id(self._ids_rng)

    def draw_fault(self) -> int | None:
        """Whether to inject a fault into the next request: its status, or `None`."""
        with self._lock:
            draw, kind = self._fault_rng.random(), self._fault_rng.randrange(len(FAULT_MESSAGES))
        if self.fault_rate and draw < self.fault_rate:
            return list(FAULT_MESSAGES)[kind]
        return None

    def _new_batch_id(self) -> str:
        # Ids sort in creation order: the list's "newest first" and its cursors rely on it.
        self._sequence += 1
        return _ids.batch_id(self._sequence, self._ids_rng)

    # -- lifecycle ---------------------------------------------------------------------------

    def _end_time(self, batch: Batch) -> float:
        if batch.cancel_at is not None:
            return min(batch.cancel_at + self.cancel_seconds, batch.expires_at)
        return min(batch.created_at + self.process_seconds, batch.expires_at)

    def _done_by(self, batch: Batch, when: float) -> int:
        if self.process_seconds <= 0:  # set to 0 while the batch was canceling
            return batch.size
        fraction = (when - batch.created_at) / self.process_seconds
        return max(0, min(batch.size, int(batch.size * fraction + 1e-9)))

    def _status(self, batch: Batch, now: float) -> ProcessingStatus:
        if batch.ended_at is not None or now >= self._end_time(batch):
            return ENDED
        return CANCELING if batch.cancel_at is not None else IN_PROGRESS

    def _observe(self, batch: Batch, now: float) -> None:
        if batch.ended_at is None and now >= self._end_time(batch):
            self._finalize(batch)
        if batch.chunks is not None and now >= batch.created_at + self.retention_seconds:
            batch.chunks = None  # archived: the results are gone

    def _order(self, batch: Batch) -> list[int]:
        order = list(range(batch.size))
        if self.shuffle_results:
            random.Random(f"order:{self.seed}:{batch.id}").shuffle(order)
        return order

    def _finalize(self, batch: Batch) -> None:
        end = self._end_time(batch)
        if batch.cancel_at is not None:
            done = self._done_by(batch, batch.cancel_at)
        elif batch.created_at + self.process_seconds <= batch.expires_at:
            done = batch.size  # ended normally: everything was processed
        else:
            done = self._done_by(batch, batch.expires_at)
        rest = CANCELED if batch.cancel_at is not None else EXPIRED
        batch.counts, batch.chunks = pack_results(self._results(batch, done, {"type": rest}))
        batch.params = None
        batch.ended_at = end

    def _results(
        self, batch: Batch, done: int, rest: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each request's result, in download order: the first `done` are answered."""
        params = batch.params or []
        for position, index in enumerate(self._order(batch)):
            custom_id = batch.custom_ids[index]
            if position >= done:
                yield custom_id, rest
                continue
            request = ResponderRequest(
                custom_id,
                _DECODER.decode(params[index].decode()),
                batch.id,
                batch.api_version,
                index,
            )
            yield custom_id, answer(request, self.responder)

    # -- the operations ----------------------------------------------------------------------

    def create(
        self, owner: str, api_version: str, requests: list[tuple[str, bytes]], now: float
    ) -> Batch:
        """Store a new batch of already validated `(custom_id, params JSON)` pairs."""
        with self._lock:
            batch = Batch(
                id=self._new_batch_id(),
                owner=owner,
                api_version=api_version,
                created_at=now,
                expires_at=now + self.expire_seconds,
                custom_ids=[cid for cid, _ in requests],
                params=[params for _, params in requests],
            )
            self._batches[batch.id] = batch
            ids = self._index.setdefault(owner, [])
            bisect.insort(ids, batch.id)
            self.stats.batches_created += 1
            self._observe(batch, now)
            return batch

    def queued(self, owner: str, now: float) -> tuple[int, float | None]:
        """A key's requests in processing at `now`, and when its next such batch ends."""
        with self._lock:
            size, ends = 0, []
            for batch_id in self._index.get(owner, []):
                batch = self._batches[batch_id]
                self._observe(batch, now)
                if batch.ended_at is None:
                    size += batch.size
                    ends.append(self._end_time(batch))
            return size, min(ends, default=None)

    def get(self, owner: str, batch_id: str, now: float) -> Batch:
        """The batch, brought up to `now`; 404 when it does not exist for this key."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None or batch.owner != owner:
                raise not_found(f"No message batch with id {batch_id!r}.")
            self._observe(batch, now)
            return batch

    def page(
        self, owner: str, now: float, limit: int, before_id: str | None, after_id: str | None
    ) -> tuple[list[Batch], bool]:
        """One page of a key's batches, newest first, and whether there are more."""
        with self._lock:
            ids = self._index.get(owner, [])
            if after_id is not None:
                end = bisect.bisect_left(ids, after_id)
                chosen = ids[max(0, end - limit) : end][::-1]
                has_more = end > limit
            elif before_id is not None:
                start = bisect.bisect_right(ids, before_id)
                chosen = ids[start : start + limit][::-1]
                has_more = len(ids) - start > limit
            else:
                chosen = ids[-limit:][::-1]
                has_more = len(ids) > limit
            batches = [self._batches[i] for i in chosen]
            for batch in batches:
                self._observe(batch, now)
            return batches, has_more

    def cancel(self, owner: str, batch_id: str, now: float) -> Batch:
        """Ask a batch to stop; 400 when it has already ended."""
        with self._lock:
            batch = self.get(owner, batch_id, now)
            if batch.ended_at is not None:
                raise bad_request(
                    f"Message batch {batch_id} has already ended and cannot be canceled."
                )
            if batch.cancel_at is None:
                batch.cancel_at = now
                self._observe(batch, now)
            return batch

    def delete(self, owner: str, batch_id: str, now: float) -> None:
        """Forget an ended batch; 400 while it is still processing."""
        with self._lock:
            batch = self.get(owner, batch_id, now)
            if batch.ended_at is None:
                raise bad_request(
                    f"Message batch {batch_id} cannot be deleted while it is "
                    f"{self._status(batch, now).replace('_', ' ')}; cancel it first and "
                    "delete it once it has ended.",
                )
            del self._batches[batch_id]
            ids = self._index[owner]
            del ids[bisect.bisect_left(ids, batch_id)]

    def result_chunks(self, owner: str, batch_id: str, now: float) -> tuple[Batch, list[bytes]]:
        """A batch's compressed result chunks; 404 until it ends and after retention."""
        with self._lock:
            batch = self.get(owner, batch_id, now)
            if batch.ended_at is None:
                raise not_found(
                    f"Results of message batch {batch_id} are not available yet: it has not ended."
                )
            if batch.chunks is None:
                raise not_found(
                    f"Results of message batch {batch_id} are no longer available: results "
                    f"are kept for {_duration(self.retention_seconds)} after a batch is created."
                )
            batch.downloads += 1
            self.stats.results_downloads += 1
            return batch, batch.chunks

    # -- views -------------------------------------------------------------------------------

    def describe(self, batch: Batch, now: float, base_url: str) -> dict[str, Any]:
        """The batch as the API shows it (a `MessageBatch` JSON object)."""
        counts = dict.fromkeys(REQUEST_COUNT_FIELDS, 0)
        if batch.ended_at is None:
            counts["processing"] = batch.size
        else:
            counts.update(batch.counts)
        archive = batch.created_at + self.retention_seconds
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": self._status(batch, now),
            "request_counts": counts,
            "ended_at": rfc3339(batch.ended_at),
            "created_at": rfc3339(batch.created_at),
            "expires_at": rfc3339(batch.expires_at),
            "archived_at": rfc3339(archive) if now >= archive else None,
            "cancel_initiated_at": rfc3339(batch.cancel_at),
            "results_url": (
                f"{base_url}{BATCHES_PATH}/{batch.id}/results"
                if batch.ended_at is not None
                else None
            ),
        }

    def batch_ids(self, key: str) -> list[str]:
        """The ids of a key's batches, oldest first (for inspection in tests)."""
        with self._lock:
            return list(self._index.get(key, []))

    def __len__(self) -> int:
        return len(self._batches)


def _duration(seconds: float) -> str:
    days, rest = divmod(seconds, 86400)
    return f"{days:g} days" if days and not rest else f"{seconds:g} seconds"
