"""What the two twins do differently, written by hand for each (as httpcore's
`_synchronization.py` is): sleeping, running several calls at once, running a blocking
function off the event loop, a lock, and what `list()` gives before it is iterated.

`scripts/unasync.py` leaves this module and `_sync/_backend.py` alone, and checks that both
export the same names. This side runs on anyio (https://anyio.readthedocs.io), so under
asyncio and trio alike, as httpx does.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

if TYPE_CHECKING:
    from .._models import MessageBatch, Page

__all__ = ["FirstPage", "Lock", "gather", "run_blocking", "sleep"]

T = TypeVar("T")
P = ParamSpec("P")

#: Taken around a read-modify-write that must not interleave with another task's.
Lock = anyio.Lock


async def sleep(seconds: float) -> None:
    """Pause for `seconds`, letting other tasks run meanwhile."""
    await anyio.sleep(seconds)


async def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking function (file I/O, `fsync`) in a worker thread, so the event loop
    keeps running other tasks while it works.

    If the caller is cancelled meanwhile, the function still runs to its end in its thread
    (a thread cannot be stopped), and the cancellation is raised once it has (an error of
    the function is then dropped: the cancellation is what the caller handles).
    """
    call = functools.partial(func, *args, **kwargs)
    if not _on_asyncio():
        # trio: cancellation comes only through cancel scopes, which a shield holds off.
        with anyio.CancelScope(shield=True):
            result = await anyio.to_thread.run_sync(call)
        await anyio.lowlevel.checkpoint_if_cancelled()
        return result
    # asyncio: a task may be cancelled directly (`task.cancel()`), past any cancel scope.
    task = asyncio.ensure_future(anyio.to_thread.run_sync(call))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        # Wait for the thread, so what it does (a file replaced) is done before the caller
        # goes on to handle the cancellation.
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved, so it is not reported as never retrieved
        raise


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def gather(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls in one task group, and return their results in order.

    The first exception cancels the calls still running and is raised (itself, not wrapped
    in an exception group); if the caller is cancelled, so are they. No task is left behind.
    """
    slots: dict[int, T] = {}

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        slots[index] = await call()

    try:
        async with anyio.create_task_group() as group:
            for index, call in enumerate(calls):
                group.start_soon(run, index, call)
    except BaseExceptionGroup as errors:
        raise _first(errors) from None
    return [slots[index] for index in range(len(calls))]


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a task group's exception group, unwrapped from nested groups."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


class FirstPage:
    """What `list()` gives besides iterating every batch: awaiting it gives the first page
    (a `Page` with `data`, `has_more`, `first_id` and `last_id`)."""

    async def first_page(self) -> Page[MessageBatch]:
        """The first page of the list."""
        raise NotImplementedError

    def _started(self) -> None:
        """Nothing is fetched yet: the first page comes when it is awaited or iterated."""

    def __await__(self) -> Generator[Any, None, Page[MessageBatch]]:
        return self.first_page().__await__()
