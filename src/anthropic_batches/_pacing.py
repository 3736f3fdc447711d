"""Client-wide pacing, without I/O: a budget of requests per minute shared by every task of
a client, and a pause every call honours after the API asked for one.

The API limits requests per minute to the batch endpoints per organisation, answers a 429
with `retry-after` over it, and reports what is left in `anthropic-ratelimit-requests-*`
headers (https://docs.anthropic.com/en/api/rate-limits). `RequestPacer.reserve()` says how
long a call must wait before it is sent; the client sleeps that long through its backend
(`_async/_backend.py`, `_sync/_backend.py`), so both twins share this logic.

The budget is a sliding window: at most `limit` sends in any `window` seconds (with a
margin of 1%, and at least 0.1 s), so a burst is allowed but no minute ever holds more than
the limit. A reservation is taken at once (no suspension point between reading and writing
the state), so concurrent tasks never share a slot.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

import httpx

from ._facts import (
    RATELIMIT_REQUESTS_LIMIT,
    RATELIMIT_REQUESTS_REMAINING,
    RATELIMIT_REQUESTS_RESET,
)

__all__ = ["MAX_PAUSE", "RequestPacer"]

#: The longest pause taken from one answer's headers, in seconds.
MAX_PAUSE = 60.0
#: A margin on the window (1%): calls sent a window apart can arrive a little closer
#: together, since each takes its own time on the way.
SLACK = 0.01
#: The least margin, in seconds: the time on the way differs between two calls by up to tens of
#: milliseconds (a busy event loop or thread, a new connection), whatever the window.
MIN_SLACK = 0.1


class RequestPacer:
    """When each call of a client may be sent.

    Args:
        limit: The most requests in any `window` seconds; `None` for no budget (the shared
            pause still applies).
        window: The window of the budget, in seconds (a minute).
        clock: Monotonic seconds.
        wall: Epoch seconds, to read the RFC 3339 `reset` header.

    Raises:
        ValueError: `limit` is less than 1 or `window` is not positive.
    """

    def __init__(
        self,
        limit: int | None = None,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"max_requests_per_minute must be at least 1, not {limit}")
        if window <= 0:
            raise ValueError(f"window must be more than 0, not {window}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._wall = wall
        self._sent: deque[float] = deque()
        self._paused_until = 0.0

    @property
    def paused_until(self) -> float:
        """When the shared pause ends, in `clock` seconds."""
        return self._paused_until

    def reserve(self, honoured: float = 0.0) -> float:
        """Take the next free slot: the seconds to wait before sending (0 for now).

        Args:
            honoured: A pause end (`paused_until`) this call already waited for itself (a
                retry after its own 429 sleeps for `retry-after`): it is not waited twice.
        """
        now = self._clock()
        at = now if self._paused_until <= honoured else max(now, self._paused_until)
        if self.limit is not None:
            if len(self._sent) >= self.limit:
                margin = max(self.window * SLACK, MIN_SLACK)
                at = max(at, self._sent[-self.limit] + self.window + margin)
            self._sent.append(at)
            while len(self._sent) > self.limit:
                self._sent.popleft()
        return at - now

    def pause_left(self) -> float:
        """Seconds left of the shared pause (0 when there is none)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every call for `seconds` from now (a longer pause already set is kept)."""
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + min(seconds, MAX_PAUSE))

    def observe(self, response: httpx.Response, asked: float | None) -> None:
        """Learn from an answer: a 429's `retry-after` (`asked`), and a spent budget
        (`anthropic-ratelimit-requests-remaining: 0`).

        A spent budget holds calls until one request is replenished (the budget refills
        evenly over a minute: `60 / limit` seconds), and never past its `reset`.
        """
        headers = response.headers
        if response.status_code == 429 and asked is not None:
            self.pause(asked)
        if headers.get(RATELIMIT_REQUESTS_REMAINING, "").strip() != "0":
            return
        reset = _epoch(headers.get(RATELIMIT_REQUESTS_RESET))
        wait = MAX_PAUSE if reset is None else reset - self._wall()
        limit = headers.get(RATELIMIT_REQUESTS_LIMIT, "").strip()
        if limit.isdigit() and int(limit) > 0:
            wait = min(wait, 60.0 / int(limit))
        if reset is not None or limit.isdigit():
            self.pause(wait)


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
