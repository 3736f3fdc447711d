"""Clocks for the emulator: wall time for the served command, a manual clock for tests.

The emulator never runs background tasks: every state change of a batch is a function of the
time its clock reports when a request comes in, so a test moves batches along by moving the
clock, without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "WallClock"]

#: Where a `ManualClock` starts by default: a fixed instant, so tests are reproducible.
DEFAULT_START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the time as seconds since the Unix epoch."""

    def now(self) -> float:
        """The current time, in seconds since the Unix epoch (UTC)."""
        ...


class WallClock:
    """The real time (`time.time()`)."""

    def now(self) -> float:
        """The current time, in seconds since the Unix epoch."""
        return time.time()

    def __repr__(self) -> str:
        return "WallClock()"


class ManualClock:
    """A clock that only moves when told to: the clock for tests.

    Args:
        start: The starting instant, as a timezone-aware datetime or epoch seconds.
            Defaults to a fixed instant (2026-11-02T09:00:00Z).
        tick: Seconds the clock moves forward by itself each time it is read. The emulator
            reads its clock once per HTTP request, so `tick=1.0` lets code that polls (such
            as a client's `wait()`) see batches end without the test advancing anything.

    Example:
        ```python
        clock = ManualClock()
        emulator = Emulator(clock=clock, process_seconds=60)
        ...  # create a batch
        clock.advance(60)  # the batch has now ended
        ```
    """

    def __init__(self, start: datetime | float | None = None, *, tick: float = 0.0) -> None:
        if start is None:
            start = DEFAULT_START
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("start must be a timezone-aware datetime")
            start = start.timestamp()
        if tick < 0:
            raise ValueError(f"tick must be 0 or more, not {tick}")
        self._now = float(start)
        self.tick = tick
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current time, in seconds since the Unix epoch; then moves on by `tick`."""
        with self._lock:
            value = self._now
            self._now += self.tick
            return value

    def advance(self, seconds: float) -> float:
        """Move the clock forward.

        Args:
            seconds: How far to move, 0 or more (time does not run backwards).

        Returns:
            The new time, in epoch seconds.

        Raises:
            ValueError: If `seconds` is negative.
        """
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got {seconds}")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: datetime | float) -> None:
        """Move the clock to an instant no earlier than the current one.

        Raises:
            ValueError: If `when` is earlier than the current time.
        """
        value = when.timestamp() if isinstance(when, datetime) else float(when)
        with self._lock:
            if value < self._now:
                raise ValueError("the clock only moves forward")
            self._now = value

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r}, tick={self.tick!r})"
