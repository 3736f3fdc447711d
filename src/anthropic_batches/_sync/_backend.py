"""What the two twins do differently, written by hand for each (as httpcore's
`_synchronization.py` is): sleeping, running several calls one after another, running a
blocking function, a lock, and what `list()` gives before it is iterated.

`scripts/unasync.py` leaves this module and `_async/_backend.py` alone, and checks that both
export the same names. This side blocks the calling thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from .._models import MessageBatch, Page

__all__ = ["FirstPage", "Lock", "gather", "run_blocking", "sleep"]

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


class FirstPage:
    """What `list()` gives besides iterating every batch: the first page's fields, read
    through (`data`, `has_more`, `first_id`, `last_id`), as the official SDK's pages give them;
    `first_page()` gives the `Page` itself."""

    def first_page(self) -> Page[MessageBatch]:
        """The first page of the list (fetched once)."""
        raise NotImplementedError

    def _started(self) -> None:
        """Fetch the first page at once, as the official SDK's sync lists do: a bad key or
        query fails at the `list()` call, not at the first read."""
        self.first_page()

    @property
    def data(self) -> list[MessageBatch]:
        """The batches on the first page, newest first."""
        return self.first_page().data

    @property
    def has_more(self) -> bool:
        """Whether there are more batches after the first page (in the direction asked)."""
        return self.first_page().has_more

    @property
    def first_id(self) -> str | None:
        """The first page's first batch id."""
        return self.first_page().first_id

    @property
    def last_id(self) -> str | None:
        """The first page's last batch id."""
        return self.first_page().last_id
