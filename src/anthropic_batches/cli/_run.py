"""`run`: split, submit, wait with progress, download, write, summarize; resumable.

Ctrl-C (SIGINT) is handled on the event loop: during a create it waits for the answer and
records the batch id before stopping (so a re-run never submits a part twice); at any other
time it stops at once. The state file is consistent either way, since it is rewritten
atomically after every change. The batches are canceled only with `--cancel-on-interrupt`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from rich.markup import escape

from .._async.jobs import AsyncJob
from .._budget import BudgetExceeded
from .._exceptions import RateLimitError
from .._models import BatchResult
from .._requests_file import FileProblem, RequestsFileError
from .._rounds import stops_job
from .._split import JobPart
from .._state import JobState, atomic_write
from ._common import EXIT_BUDGET, EXIT_USAGE, Settings
from ._display import JobDisplay, print_budget_stop, print_summary
from ._interrupt import InterruptGuard, interrupted


def record_path(output: Path) -> Path:
    """Where the record of what `OUTPUT.partial` holds is kept, next to it."""
    return output.with_name(output.name + ".partial.record")


def _read_record(path: Path) -> list[tuple[int, int]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [(int(index), int(end)) for index, end in data["parts"]]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def _recorded_parts(output: Path, state: JobState) -> list[tuple[int, int]] | None:
    """The record's entries for exactly the parts the state says were downloaded, or `None`
    when the record does not cover them.

    The record lists, in writing order, each part written and the file's size once it was;
    it is written before the state marks the part downloaded, so its last part may be one
    the state does not count yet: that part is downloaded again, and left out here.
    """
    downloaded = {p.index for p in state.parts if p.downloaded}
    kept: list[tuple[int, int]] = []
    for index, end in _read_record(record_path(output)):
        if index not in downloaded:
            break
        kept.append((index, end))
    return kept if {index for index, _ in kept} == downloaded else None


def recorded_output_bytes(output: Path, state: JobState) -> int | None:
    """How much of `OUTPUT.partial` holds exactly the parts the state says were downloaded,
    or `None` when its record does not say."""
    kept = _recorded_parts(output, state)
    if kept is None:
        return None
    return kept[-1][1] if kept else 0


def legacy_output_bytes(state_path: Path | None) -> int | None:
    """The output's size as state files written by earlier versions recorded it (read it
    before the job rewrites the file without it)."""
    if state_path is None:
        return None
    try:
        value = json.loads(state_path.read_text(encoding="utf-8")).get("output_bytes")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


class OutputWriter:
    """Results to a file or stdout.

    A file is written as `OUTPUT.partial` and renamed to OUTPUT once it holds every result,
    so OUTPUT is never left half-written: a crash leaves the partial file, which a re-run
    truncates to the size recorded for the parts the state says were downloaded, and carries
    on. That size is kept in `OUTPUT.partial.record` (see `recorded_output_bytes`), synced
    after each part and before the state marks the part downloaded. A device or pipe named
    as the output is written directly.
    """

    def __init__(
        self,
        output: str,
        state: JobState,
        settings: Settings,
        *,
        legacy_bytes: int | None = None,
    ) -> None:
        self.state = state
        self.include_downloaded = False
        self._file: BinaryIO
        self._owned = output != "-"
        self._done: Path | None = None  # where the partial file goes once complete
        self._regular = True  # a device or pipe cannot be synced
        self._record: Path | None = None
        self._written: list[tuple[int, int]] = []
        self._coming: list[JobPart] = []  # the parts whose results come, in order
        self._left = 0
        #: Whether the results served from the cache are still to be written.
        self.write_cached = True
        if not self._owned:
            self._file = sys.stdout.buffer
            self.include_downloaded = True
            return
        path = Path(output)
        downloaded = any(p.downloaded for p in state.parts)
        partial = path.with_name(path.name + ".partial")
        recorded: int | None = 0
        if path.exists() and not path.is_file():
            target, self._regular = path, False
        elif partial.exists() or not all(p.downloaded for p in state.parts):
            target, self._done, self._record = partial, path, record_path(path)
            if downloaded and not partial.exists() and path.exists():
                os.replace(path, partial)  # an unfinished output written in place
            kept = _recorded_parts(path, state)
            if kept is None:
                recorded = legacy_bytes
            else:
                recorded, self._written = (kept[-1][1] if kept else 0), kept
        else:  # a finished job run again: nothing more to write
            # (a job of cached results only keeps no state: written again, at no cost)
            target, self.write_cached = path, not path.exists() or not state.parts
            recorded = path.stat().st_size if path.exists() else None
        size = target.stat().st_size if target.exists() else -1
        if downloaded and recorded is not None and size >= recorded:
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
            self._written = []
            self._file = open(target, "wb")  # noqa: SIM115 - closed by close()

    def expect(self, parts: Sequence[JobPart]) -> None:
        """The parts whose results are about to be written, in the order they come (a job
        hands out its results part after part, every result of a part once)."""
        self._coming = list(reversed(parts))
        self._left = len(self._coming[-1]) if self._coming else 0

    def write(self, result: BatchResult) -> None:
        """One result, one line, as the API gave it; after a part's last result, the part
        is made durable (see `part_done`)."""
        self._file.write(result.json_line() + b"\n")
        if not self._coming:
            return
        self._left -= 1
        if self._left == 0:
            self.part_done(self._coming.pop())
            self._left = len(self._coming[-1]) if self._coming else 0

    def part_done(self, part: JobPart) -> None:
        """Make the part's lines durable, and record the size of the file that holds them,
        before the state says the part was downloaded."""
        self._file.flush()
        if self._owned:
            self._sync()
            if self._record is not None:
                self._written.append((part.index, self._file.tell()))
                record = json.dumps({"parts": self._written}) + "\n"
                atomic_write(self._record, record.encode("utf-8"))

    def finish(self) -> None:
        """Every result is written: the partial file becomes the output."""
        self.close()
        if self._done is not None:
            os.replace(self._file.name, self._done)
            self._done = None
        if self._record is not None:
            self._record.unlink(missing_ok=True)
            self._record = None

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
    max_cost: float | None = None,
    prices: Path | None = None,
    cache: Path | None = None,
    max_queued: int | None = None,
) -> int:
    """The `run` command; returns its exit code."""
    check_paths(settings, requests_path, output, state_path)
    display = JobDisplay(settings)
    legacy_bytes = legacy_output_bytes(state_path)
    async with settings.client() as client:
        with display.checking(requests_path):
            # A job of the file itself (as `AsyncJob.from_file` makes), its problems worded
            # in the command line's flags.
            job = AsyncJob(
                client,
                settings.requests_file(requests_path, max_bytes, display.lines_checked),
                state_path=state_path,
                max_requests=max_requests,
                max_bytes=max_bytes,
                poll_interval=poll_interval,
                max_poll_interval=max(poll_interval, 60.0),
                on_progress=display.update,
                max_cost=max_cost,
                prices=prices,
                cache=cache,
                max_queued_requests=max_queued,
            )
        if job.resumed:
            settings.info(f"resuming the job recorded in {escape(str(state_path))}")
        with InterruptGuard(settings) as guard:
            try:
                # A finished job needs no call (nor progress) to print its summary.
                with display if not job.finished else contextlib.nullcontext():
                    if not job.finished:
                        await _submit_first(settings, display, guard, job)
                    writer = OutputWriter(output, job.state, settings, legacy_bytes=legacy_bytes)
                    try:
                        await _write_results(job, writer, timeout)
                    finally:
                        writer.close()
            except asyncio.CancelledError:
                return await interrupted(settings, job, cancel=cancel_on_interrupt)
    print_summary(settings, job, output)
    if job.budget_stop is not None:
        print_budget_stop(settings, job.budget_stop)
        return EXIT_BUDGET
    return 0


async def _submit_first(
    settings: Settings, display: JobDisplay, guard: InterruptGuard, job: AsyncJob
) -> None:
    """Create the parts that have queue room, in order, each shown and each recorded even
    when Ctrl-C comes during its create; the rest are created as room returns, while the
    results are written."""
    for part in job.parts:
        if not job.has_room(part.index):
            break  # the rest wait for queue room
        display.uploading(job, part)
        try:
            with guard.protect():
                if not await _submitted(job, part.index):
                    break
        except BudgetExceeded as exc:
            job.budget_stop = exc  # the rest stay unsubmitted
            break
    n = len(job.parts)
    settings.info(
        f"{job.state.requests} requests in {n} batch{'es' if n != 1 else ''}: "
        + ", ".join(i for i in job.batch_ids if i)
    )


async def _write_results(job: AsyncJob, writer: OutputWriter, timeout: float | None) -> None:
    """Write each part's results as soon as it (and every part before it) has ended, while
    the job goes on creating the parts that wait for queue room and polling the others."""
    every = writer.include_downloaded
    # Every part still to write, in order: the job hands out their results in that order.
    # Those held back by `--max-cost` are the last ones (parts are created in order), so
    # the results that do come are still those of the first parts listed.
    writer.expect([p for p in job.parts if every or not job.state.parts[p.index].downloaded])
    # Closed at once when the output stops taking results (a closed pipe).
    results = job.results(include_downloaded=every, timeout=timeout)
    async with contextlib.aclosing(results):
        async for result in results:
            writer.write(result)
    if writer.write_cached:  # after the parts: their record stays as it was
        cached = job.cached_results()
        async with contextlib.aclosing(cached):
            async for result in cached:
                writer.write(result)
    if job.budget_stop is None:
        writer.finish()  # else the partial file waits for the rest


async def _submitted(job: AsyncJob, index: int) -> bool:
    """Create a part's batch; `False` when the API has no queue room for it yet (a rate
    limit): `wait()` tries again as batches end."""
    try:
        await job.submit_part(index)
    except RateLimitError as exc:
        if stops_job(exc):
            raise
        return False
    return True


def check_paths(settings: Settings, requests: Path, output: str, state: Path | None) -> None:
    """Everything about the files that can be known before the first create: the input is
    readable text, the output a file that can be written (or `-`, or a device), and the
    state file's folder writable. A run that would fail there fails here, before paying."""
    try:
        with open(requests, "rb") as f:
            head = f.read(1 << 16)
    except OSError as exc:
        problem = FileProblem(str(requests), None, f"cannot read: {exc.strerror or exc}")
        raise RequestsFileError(str(requests), [problem]) from None
    if b"\0" in head:
        problem = FileProblem(str(requests), None, "not a text file (it holds NUL bytes)")
        raise RequestsFileError(str(requests), [problem])
    if output != "-":
        _check_writable(settings, Path(output), "output", device_ok=True)
    if state is not None:
        _check_writable(settings, state, "state file", device_ok=False)


def _check_writable(settings: Settings, path: Path, what: str, *, device_ok: bool) -> None:
    if path.is_dir():
        settings.fail(f"the {what} {path} is a directory: name a file in it", EXIT_USAGE)
    if path.exists():
        if not path.is_file() and not device_ok:
            settings.fail(f"the {what} {path} is not a regular file", EXIT_USAGE)
        if not os.access(path, os.W_OK):
            settings.fail(f"the {what} {path} cannot be written (permission denied)", EXIT_USAGE)
        if not path.is_file():
            return  # a device or a pipe, written in place
    folder = path.parent
    if not folder.is_dir():
        settings.fail(f"the folder of the {what} {path} does not exist", EXIT_USAGE)
    if not os.access(folder, os.W_OK | os.X_OK):
        settings.fail(f"the folder of the {what} {path} cannot be written", EXIT_USAGE)
