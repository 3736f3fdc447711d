"""What the two twins do differently, written by hand for each (as httpcore's
`_synchronization.py` is): sleeping, running several calls one after another, running a
blocking function, and a lock.

`scripts/unasync.py` leaves this module and `_async/_backend.py` alone, and checks that both
export the same names. This side blocks the calling thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

__all__ = ["Lock", "gather", "run_blocking", "sleep"]

T = TypeVar("T")
P = ParamSpec("P")

#: Taken around a read-modify-write that must not interleave with another thread's.
Lock = threading.Lock


def sleep(seconds: float) -> None:
    """Pause the calling thread for `seconds`."""
    time.sleep(seconds)


def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a blocking function (file I/O, `fsync`) directly, and return what it returns."""
    return func(*args, **kwargs)


def gather(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls one after another, and return their results in order."""
    return [call() for call in calls]
