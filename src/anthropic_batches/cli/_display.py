"""Progress and summaries on stderr: bars on a terminal, plain lines when piped, nothing
under `--quiet`. Counts move only when a whole batch ends (the API's rule), so progress is
shown per batch, with the elapsed time and the time left before the earliest expiry."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

from rich.console import RenderableType
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from .._async.jobs import AsyncJob
from .._budget import BudgetExceeded
from .._facts import RESULT_TYPES
from .._models import MessageBatch
from .._prices import PriceFileError
from .._progress import JobProgress
from .._split import JobPart
from ._common import Settings, resume_lines

#: A file or a part this large (bytes) is large: checking and uploading it is shown.
LARGE_BYTES = 16 * 2**20

#: Under the bar of a one-batch job: the bar cannot move until the batch ends.
ONE_BATCH_NOTE = "the API counts a batch's requests only when the whole batch ends"


def duration(seconds: float) -> str:
    """`1h02m03s`-style text of a duration."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_line(p: JobProgress) -> str:
    """One line describing a job's progress."""
    text = (
        f"{p.ended_parts}/{p.total_parts} batches ended, "
        f"{p.ended_requests}/{p.total_requests} requests counted, elapsed {duration(p.elapsed)}"
    )
    if p.waiting_parts:
        text += f", {waiting_text(p)}"
    if p.time_to_expiry is not None:
        text += f", expires in {duration(p.time_to_expiry)}"
    return text


def waiting_text(p: JobProgress) -> str:
    """How many batches wait for room in the processing queue."""
    n = p.waiting_parts
    return f"{n} batch{'es' if n != 1 else ''} waiting for queue room"


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


class _Bars(Progress):
    """Rich's progress bars, with a note line under them."""

    note = ""

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        if self.note:
            yield Text(self.note, style="dim")


class JobDisplay:
    """Shows a job's progress events."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._progress: _Bars | None = None
        self._task: TaskID | None = None
        self._last_ended = 0
        self._noted = False
        self._checking: Progress | None = None
        self._checking_task: TaskID | None = None
        self._lines = 0

    @contextlib.contextmanager
    def checking(self, path: Path) -> Iterator[None]:
        """While a large requests file is checked, say so (with the lines checked so far)."""
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if size < LARGE_BYTES or self.settings.quiet:
            yield
            return
        started = time.monotonic()
        if self.settings.progress_bars:
            self._checking = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                console=self.settings.console,
                transient=True,
            )
            self._checking.start()
            self._checking_task = self._checking.add_task(f"checking {escape(str(path))}")
        else:
            self.settings.info(f"checking {escape(str(path))} ({_mb(size)})")
        try:
            yield
        finally:
            if self._checking is not None:
                self._checking.stop()
                self._checking = self._checking_task = None
        lines = f"{self._lines:,} lines " if self._lines else ""
        self.settings.info(f"checked {lines}in {duration(time.monotonic() - started)}")

    def lines_checked(self, lines: int) -> None:
        """How many lines of the requests file were checked so far."""
        self._lines = lines
        if self._checking is not None and self._checking_task is not None:
            self._checking.update(self._checking_task, description=f"checking {lines:,} lines")

    def uploading(self, job: AsyncJob, part: JobPart) -> None:
        """Before a large part's create: which part, and how big its body is."""
        if part.size < LARGE_BYTES or job.state.parts[part.index].batch_id is not None:
            return
        text = f"uploading part {part.index + 1} of {len(job.parts)} ({_mb(part.size)})"
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, info=text)
        else:
            self.settings.info(text)

    def __enter__(self) -> JobDisplay:
        if self.settings.progress_bars:
            self._progress = _Bars(
                SpinnerColumn(),
                TextColumn("batches ended"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[info]}"),
                console=self.settings.console,
            )
            self._progress.start()
            self._task = self._progress.add_task("job", total=None, info="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def update(self, p: JobProgress) -> None:
        """Show a progress event."""
        if self._progress is not None and self._task is not None:
            info = f"{p.ended_requests}/{p.total_requests} requests counted"
            if p.waiting_parts:
                info += f", {waiting_text(p)}"
            if p.time_to_expiry is not None:
                info += f", expires in {duration(p.time_to_expiry)}"
            if p.total_parts == 1 and not p.done:
                note = f"{ONE_BATCH_NOTE}; elapsed {duration(p.elapsed)}"
                if p.time_to_expiry is not None:
                    note += f", expires in {duration(p.time_to_expiry)}"
                self._progress.note = note
            else:
                self._progress.note = ""
            self._progress.update(
                self._task, total=p.total_parts, completed=p.ended_parts, info=info
            )
            return
        if p.total_parts == 1 and not self._noted and p.parts[0].batch_id and not p.done:
            self._noted = True
            self.settings.info(f"{ONE_BATCH_NOTE}: the counts move when it ends")
        if p.ended_parts != self._last_ended and all(part.batch_id for part in p.parts):
            self._last_ended = p.ended_parts
            self.settings.info(progress_line(p))


def batch_line(batch: MessageBatch) -> str:
    """One line for a batch: id, status, counts, times."""
    c = batch.request_counts
    counts = (
        f"processing={c.processing} succeeded={c.succeeded} errored={c.errored} "
        f"canceled={c.canceled} expired={c.expired}"
    )
    created = batch.created_at.isoformat().replace("+00:00", "Z")
    return f"{batch.id}  {batch.processing_status}  {counts}  created={created}"


def print_summary(settings: Settings, job: AsyncJob, output: str) -> None:
    """The end-of-run summary: counts by type, error types, tokens, estimated cost."""
    usage = job.usage
    ids = [i for i in job.batch_ids if i]
    where = "stdout" if output == "-" else output
    n = len(ids)
    done = "Job done" if job.budget_stop is None else "Job stopped at the cost cap"
    settings.info(
        f"[bold]{done}[/]: {job.state.requests} requests in {n} batch{'es' if n != 1 else ''}"
        f" ({escape(', '.join(ids))})"
    )
    order = list(RESULT_TYPES)
    kinds = order + sorted(set(usage.counts) - set(order))
    counts = ", ".join(f"{usage.counts[k]} {k}" for k in kinds if usage.counts.get(k))
    settings.info(f"Results: {counts or 'none'} -> {escape(where)}")
    if job.cached:
        settings.info(f"Cached: {job.cached} succeeded from the cache (no batch, no cost)")
    errors: Counter[str] = Counter()
    for part in job.state.parts:
        for failed in part.failed:
            errors[failed.error_type or failed.result_type] += 1
    if errors:
        listed = ", ".join(f"{name} x{count}" for name, count in errors.most_common())
        settings.info(f"Failed: {escape(listed)}")
    t = usage.total_tokens
    settings.info(
        f"Tokens: input {t.input_tokens:,}, output {t.output_tokens:,}, "
        f"cache write {t.cache_creation_input_tokens:,}, cache read {t.cache_read_input_tokens:,}"
    )
    try:
        cost = str(usage.cost())
    except PriceFileError as exc:
        cost = f"unknown ({exc})"
    settings.info(f"Estimated cost: {escape(cost)} at the batch price (50% off list prices)")
    if job.max_cost is not None:
        settings.info(
            f"Committed: at most ${job.committed_cost:,.4f} of the --max-cost "
            f"${job.max_cost:,.4f} (the upper bound of the batches created; actual: "
            f"{escape(cost)} so far)"
        )


def print_budget_stop(settings: Settings, stop: BudgetExceeded) -> None:
    """What `--max-cost` held back, and how to go on (on stderr, even under `--quiet`)."""
    settings.console.print(
        f"[bold red]stopped:[/] --max-cost ${stop.max_cost:,.4f} reached: "
        f"${stop.committed:,.4f} committed, the next batch would add up to "
        f"${stop.part_bound:,.4f}; {stop.unsubmitted_parts} batch(es) of "
        f"{stop.unsubmitted_requests} request(s) left unsubmitted"
    )
    for line in resume_lines(settings):
        settings.console.print(escape(line), soft_wrap=True)
    settings.console.print("(with a higher --max-cost, to submit the rest)")
