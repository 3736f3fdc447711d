"""The job display on a terminal: the note under a one-batch job's bar."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from anthropic_batches._models import RequestCounts
from anthropic_batches._progress import JobProgress, PartProgress
from anthropic_batches.cli._common import Settings
from anthropic_batches.cli._display import JobDisplay


def snapshot(parts: int, *, ended: bool = False) -> JobProgress:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    status = "ended" if ended else "in_progress"
    items = tuple(
        PartProgress(i, 10, f"msgbatch_{i}", status, RequestCounts(), now + timedelta(hours=23))
        for i in range(parts)
    )
    return JobProgress(items, elapsed=65.0, now=now)


def shown(parts: int, *, ended: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    display = JobDisplay(Settings(console=console))
    with display:
        display.update(snapshot(parts, ended=ended))
        assert display._progress is not None
        display._progress.refresh()
    return out.getvalue()


def test_a_one_batch_job_says_under_its_bar_that_counts_move_when_it_ends() -> None:
    text = shown(1)
    assert "the API counts a batch's requests only when the whole batch ends" in text
    assert "elapsed 1m05s, expires in 23h00m00s" in text


def test_a_job_of_several_batches_or_an_ended_one_has_no_note() -> None:
    assert "only when the whole batch ends" not in shown(3)
    assert "only when the whole batch ends" not in shown(1, ended=True)
