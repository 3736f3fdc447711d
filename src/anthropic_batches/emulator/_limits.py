"""The API's own limits, off by default: requests per minute, queued requests, a spend limit.

https://docs.anthropic.com/en/api/rate-limits ("Message Batches API"): a cap on HTTP requests
per minute to the batch endpoints and a cap on the batch requests waiting in the processing
queue, both per organisation (here, per key). Over the first, every answer is a 429
`rate_limit_error` with `retry-after`; the rate-limit headers come with every answer. A create
that would put more than the queue cap in processing is a 429 with `retry-after` (when the
key's next batch ends). After the spend limit's requests are accepted, creates answer the
documented spend-limit error with its `error.details.error_code`
(https://docs.anthropic.com/en/api/errors).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field

from .._facts import (
    ENFORCED_SPEND_LIMIT_REACHED,
    RATELIMIT_REQUESTS_LIMIT,
    RATELIMIT_REQUESTS_REMAINING,
    RATELIMIT_REQUESTS_RESET,
)
from ._batch import rfc3339
from ._errors import Refusal

__all__ = ["Limits"]

#: The kinds of refusals counted in `EmulatorStats.refused`.
RATE, QUEUE, SPEND = "requests_per_minute", "max_queued_requests", "spend_limit"


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Limits:
    """The limits of one emulator, and what each key has used of them.

    Attributes:
        requests_per_minute: Requests a key may make per `window_seconds` (a token bucket of
            that size, refilled evenly); `None` for no limit.
        max_queued_requests: The most requests a key may have in processing; `None` for none.
        spend_limit_requests: Requests accepted for a key before its creates answer the
            spend-limit error; `None` for no limit.
        window_seconds: The window of `requests_per_minute` (60; smaller in fast tests).
    """

    requests_per_minute: int | None = None
    max_queued_requests: int | None = None
    spend_limit_requests: int | None = None
    window_seconds: float = 60.0
    refused: Counter[str] = field(default_factory=Counter)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _accepted: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "max_queued_requests", "spend_limit_requests"):
            value = getattr(self, name)
            least = 0 if name == "spend_limit_requests" else 1
            if value is not None and value < least:
                raise ValueError(f"{name} must be at least {least}, not {value}")
        if self.window_seconds <= 0:
            raise ValueError(f"window_seconds must be more than 0, not {self.window_seconds}")

    def admit(self, owner: str, now: float) -> dict[str, str]:
        """Take one request from the key's budget: the rate-limit headers to send.

        Raises:
            Refusal: 429 with `retry-after` when the budget is spent.
        """
        limit = self.requests_per_minute
        if limit is None:
            return {}
        rate = limit / self.window_seconds
        with self._lock:
            bucket = self._buckets.setdefault(owner, _Bucket(float(limit), now))
            bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            allowed = bucket.tokens >= 1.0 - 1e-9
            if allowed:
                bucket.tokens = max(0.0, bucket.tokens - 1.0)
            tokens = bucket.tokens
        headers = {
            RATELIMIT_REQUESTS_LIMIT: str(limit),
            RATELIMIT_REQUESTS_REMAINING: str(int(tokens)),
            RATELIMIT_REQUESTS_RESET: rfc3339(now + (limit - tokens) / rate) or "",
        }
        if not allowed:
            self.refused[RATE] += 1
            wait = max(1, math.ceil((1.0 - tokens) / rate))
            raise Refusal(
                429,
                f"Number of requests has exceeded your rate limit of {limit} requests per "
                "minute; please wait before trying again.",
                {**headers, "retry-after": str(wait)},
            )
        return headers

    def check_create(
        self, owner: str, size: int, queued: int, next_end: float | None, now: float
    ) -> None:
        """Refuse a create of `size` requests over the spend limit or the queue cap.

        Args:
            owner: The key.
            size: The requests in the new batch.
            queued: The key's requests in processing now.
            next_end: When the key's next batch in processing ends, if any.
            now: The time of the create.

        Raises:
            Refusal: 429 (spend limit, with its `error_code`; or the queue is full).
        """
        spend = self.spend_limit_requests
        if spend is not None and self._accepted[owner] + size > spend:
            self.refused[SPEND] += 1
            raise Refusal(
                429,
                "Your organization has reached its monthly spend limit; raise it in the "
                "Console's limits settings to go on.",
                error_code=ENFORCED_SPEND_LIMIT_REACHED,
            )
        cap = self.max_queued_requests
        if cap is not None and queued + size > cap:
            self.refused[QUEUE] += 1
            wait = 60 if next_end is None else max(1, math.ceil(next_end - now))
            raise Refusal(
                429,
                f"This batch of {size} requests would put {queued + size} requests in your "
                f"processing queue, over its limit of {cap}; try again once batches end.",
                {"retry-after": str(wait)},
            )

    def accepted(self, owner: str, size: int) -> None:
        """Count a created batch's requests against the key's spend limit."""
        with self._lock:
            self._accepted[owner] += size

    def lift_spend_limit(self) -> None:
        """Remove the spend limit (as raising it in the Console would)."""
        self.spend_limit_requests = None
