"""Ctrl-C during `run`, with or without `--store`: the batch being created is recorded
before stopping, then what keeps running and how to resume are printed."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import signal
from collections.abc import Callable, Iterator

from rich.markup import escape

from .._async.jobs import AsyncJob
from ._common import EXIT_INTERRUPTED, Settings, resume_lines

__all__ = ["GuardedJob", "InterruptGuard", "interrupted"]

#: The guard entered in this context (the tasks a job starts inherit it).
_GUARD: contextvars.ContextVar[InterruptGuard | None] = contextvars.ContextVar(
    "anthropic_batches_interrupt_guard", default=None
)


class InterruptGuard:
    """SIGINT on the event loop: cancel the main task, but never in the middle of a create."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.task = asyncio.current_task()
        self.loop = asyncio.get_running_loop()
        self.hits = 0
        self.critical = False
        self.pending = False
        self.installed = False

    def __enter__(self) -> InterruptGuard:
        self._token = _GUARD.set(self)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            self.loop.add_signal_handler(signal.SIGINT, self._on_signal)
            self.installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        _GUARD.reset(self._token)
        if self.installed:
            self.loop.remove_signal_handler(signal.SIGINT)

    def _on_signal(self) -> None:
        self.hits += 1
        if self.critical and self.hits == 1:
            self.pending = True
            self.settings.console.print(
                "interrupt: recording the batch being created, then stopping"
            )
        elif self.task is not None:
            self.task.cancel()

    @contextlib.contextmanager
    def protect(self) -> Iterator[None]:
        """Defer a first Ctrl-C until the block is done."""
        self.critical = True
        try:
            yield
        finally:
            self.critical = False
        if self.pending and self.task is not None:
            self.task.cancel()


class GuardedJob(AsyncJob):
    """A job whose every create is done under the `InterruptGuard` entered around it: a
    worker's creates happen inside `work()`, out of the command's sight, and are kept
    whole as `run`'s own are."""

    async def submit_part(self, index: int) -> str:
        guard = _GUARD.get()
        if guard is None:
            return await super().submit_part(index)
        with guard.protect():
            return await super().submit_part(index)


async def interrupted(
    settings: Settings,
    job: AsyncJob,
    *,
    cancel: bool,
    where: str | None = None,
    hide: Callable[[str], str] = str,
) -> int:
    """Print what an interrupt left (the batches running, or canceled with `cancel`) and
    how to resume (the state saved in `where`, by default the state file); the exit code."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()  # the interrupt is handled: let the cancels below run normally
    console = settings.console
    console.print("interrupted.")
    submitted = [
        i for i, s in zip(job.batch_ids, job.state.parts, strict=True) if i and not s.ended
    ]
    if cancel and submitted:
        canceled = await job.cancel()
        console.print(f"canceled {len(canceled)} batch(es): " + ", ".join(b.id for b in canceled))
    elif submitted:
        how = "" if where is not None else " (or pass --cancel-on-interrupt)"
        console.print(
            f"{len(submitted)} batch(es) keep running and are billed: {', '.join(submitted)}; "
            f"cancel with: anthropic-batches cancel ID{how}"
        )
    for line in resume_lines(settings, where or job.state_path, hide):
        console.print(escape(line), soft_wrap=True)
    return EXIT_INTERRUPTED
