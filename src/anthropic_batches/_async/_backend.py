"""What the two twins do differently, written by hand for each (as httpcore's
`_synchronization.py` is): sleeping, running several calls at once, running a blocking
function off the event loop, and a lock.

`scripts/unasync.py` leaves this module and `_sync/_backend.py` alone, and checks that both
export the same names. This side runs on asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import ParamSpec, TypeVar

__all__ = ["Lock", "gather", "run_blocking", "sleep"]

T = TypeVar("T")
P = ParamSpec("P")

#: Taken around a read-modify-write that must not interleave with another task's.
Lock = asyncio.Lock


async def sleep(seconds: float) -> None:
    """Pause for `seconds`, letting other tasks run meanwhile."""
    await asyncio.sleep(seconds)


async def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking function (file I/O, `fsync`) in a worker thread, so the event loop
    keeps running other tasks while it works.

    If the caller is cancelled meanwhile, the function still runs to its end in its thread
    (a thread cannot be stopped), and the cancellation is raised once it has (an error of
    the function is then dropped: the cancellation is what the caller handles).
    """
    task = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        # Wait for the thread, so what it does (a file replaced) is done before the caller
        # goes on to handle the cancellation.
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved, so it is not reported as never retrieved
        raise


async def gather(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls as tasks on the running loop, and return their results in order.

    The first exception cancels the calls still running and is raised; if the caller is
    cancelled, so are they. No task is left behind.
    """
    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        # Read every failure (so none is reported as never retrieved), raise the first.
        errors = [t.exception() for t in tasks if t.done() and not t.cancelled()]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return [task.result() for task in tasks]
    finally:
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
