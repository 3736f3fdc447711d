"""Running several waits at once: concurrently on one event loop, or one after another.

The job's async source calls `async_gather`; the generated sync twin calls `gather` (the
unasync rules turn the one name into the other), which runs the same calls in turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

__all__ = ["async_gather", "gather"]

T = TypeVar("T")


async def async_gather(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls as tasks on the running loop, and return their results in order.

    The first exception cancels the calls still running and is raised; if this coroutine is
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


def gather(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls one after another and return their results in order."""
    return [call() for call in calls]
