"""`run`: split, submit, wait with progress, download, write, summarize; resumable.

Ctrl-C (SIGINT) is handled on the event loop: during a create it waits for the answer and
records the batch id before stopping (so a re-run never submits a part twice); at any other
time it stops at once. The state file is consistent either way, since it is rewritten
atomically after every change. The batches are canceled only with `--cancel-on-interrupt`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from rich.markup import escape

from .._async.jobs import AsyncJob
from .._models import BatchResult
from .._requests_file import read_requests
from .._split import JobPart
from .._state import JobState
from ._common import EXIT_INTERRUPTED, Settings
from ._display import JobDisplay, print_summary


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
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            self.loop.add_signal_handler(signal.SIGINT, self._on_signal)
            self.installed = True
        return self

    def __exit__(self, *exc: object) -> None:
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


class OutputWriter:
    """Results to a file or stdout.

    A file is written as `OUTPUT.partial` and renamed to OUTPUT once it holds every result,
    so OUTPUT is never left half-written (issue 7): a crash leaves the partial file, which a
    re-run truncates to the size the state recorded and carries on. A device or pipe named
    as the output is written directly.
    """

    def __init__(self, output: str, state: JobState, settings: Settings) -> None:
        self.state = state
        self.include_downloaded = False
        self._file: BinaryIO
        self._owned = output != "-"
        self._done: Path | None = None  # where the partial file goes once complete
        self._regular = True  # a device or pipe cannot be synced
        if not self._owned:
            self._file = sys.stdout.buffer
            self.include_downloaded = True
            return
        path = Path(output)
        recorded = state.output_bytes or 0
        downloaded = any(p.downloaded for p in state.parts)
        partial = path.with_name(path.name + ".partial")
        if path.exists() and not path.is_file():
            target, self._regular = path, False
        elif partial.exists() or not all(p.downloaded for p in state.parts):
            target, self._done = partial, path
            if downloaded and not partial.exists() and path.exists():
                os.replace(path, partial)  # an unfinished output written in place
        else:
            target = path  # a finished job run again: nothing more to write
        if downloaded and target.exists() and target.stat().st_size >= recorded:
            self._file = open(target, "r+b")  # noqa: SIM115 - closed by close()
            self._file.truncate(recorded)
            self._file.seek(recorded)
        else:
            if downloaded:
                settings.info(
                    f"{escape(output)} is missing or shorter than the state recorded: "
                    "downloading every batch again"
                )
                self.include_downloaded = True
            self._file = open(target, "wb")  # noqa: SIM115 - closed by close()

    def write(self, result: BatchResult) -> None:
        """One result, one line, as the API gave it."""
        self._file.write(result.json_line() + b"\n")

    def part_done(self, part: JobPart) -> None:
        """Make the part's lines durable before the state says it was downloaded."""
        self._file.flush()
        if self._owned:
            self._sync()
            self.state.output_bytes = self._file.tell()

    def finish(self) -> None:
        """Every result is written: the partial file becomes the output."""
        self.close()
        if self._done is not None:
            os.replace(self._file.name, self._done)
            self._done = None

    def close(self) -> None:
        """Flush, and close the file (never stdout)."""
        if self._file.closed:
            return
        self._file.flush()
        if self._owned:
            self._sync()
            self._file.close()

    def _sync(self) -> None:
        if self._regular:
            os.fsync(self._file.fileno())


async def run_job(
    settings: Settings,
    requests_path: Path,
    output: str,
    state_path: Path | None,
    *,
    max_requests: int,
    max_bytes: int,
    poll_interval: float,
    timeout: float | None,
    cancel_on_interrupt: bool,
) -> int:
    """The `run` command; returns its exit code."""
    requests = list(
        read_requests(requests_path, api_version=settings.api_version, max_bytes=max_bytes)
    )
    display = JobDisplay(settings)
    async with settings.client() as client:
        job = AsyncJob(
            client,
            requests,
            state_path=state_path,
            max_requests=max_requests,
            max_bytes=max_bytes,
            poll_interval=poll_interval,
            max_poll_interval=max(poll_interval, 60.0),
            on_progress=display.update,
        )
        if job.resumed:
            settings.info(f"resuming the job recorded in {escape(str(state_path))}")
        with InterruptGuard(settings) as guard:
            try:
                with display:
                    for part in job.parts:
                        with guard.protect():
                            await job.submit_part(part.index)
                    n = len(job.parts)
                    settings.info(
                        f"{len(requests)} requests in {n} batch{'es' if n != 1 else ''}: "
                        + ", ".join(i for i in job.batch_ids if i)
                    )
                    await job.wait(timeout=timeout)
                writer = OutputWriter(output, job.state, settings)
                try:
                    async for result in job.results(
                        include_downloaded=writer.include_downloaded,
                        on_part_downloaded=writer.part_done,
                    ):
                        writer.write(result)
                    writer.finish()
                finally:
                    writer.close()
            except asyncio.CancelledError:
                return await _interrupted(settings, job, cancel_on_interrupt)
    print_summary(settings, job, output)
    return 0


async def _interrupted(settings: Settings, job: AsyncJob, cancel: bool) -> int:
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
        console.print(
            f"{len(submitted)} batch(es) keep running and are billed: {', '.join(submitted)}; "
            "cancel with: anthropic-batches cancel ID (or pass --cancel-on-interrupt)"
        )
    if job.state_path is not None:
        argv, had_key = without_api_key(settings.argv)
        command = shlex.join(["anthropic-batches", *argv])
        console.print(f"the state is saved in {escape(str(job.state_path))}; resume with:")
        console.print(f"  {escape(command)}", soft_wrap=True)
        if had_key:
            console.print("(with your API key: --api-key or ANTHROPIC_API_KEY)")
    return EXIT_INTERRUPTED


def without_api_key(argv: list[str]) -> tuple[list[str], bool]:
    """The command line without `--api-key KEY`: the key is never printed (issue 7)."""
    kept: list[str] = []
    found = False
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--api-key":
            found = skip = True
        elif arg.startswith("--api-key="):
            found = True
        else:
            kept.append(arg)
    return kept, found
