"""Parts waiting for queue room, in a job's progress and in the command line's line."""

from __future__ import annotations

from datetime import UTC, datetime

from anthropic_batches._progress import JobProgress, PartProgress
from anthropic_batches.cli._display import progress_line


def part(index: int, status: str, batch_id: str | None = None) -> PartProgress:
    return PartProgress(index, 10, batch_id, status, None, None)


def test_waiting_parts_are_counted_and_shown() -> None:
    parts = (
        part(0, "in_progress", "msgbatch_a"),
        part(1, "waiting_for_queue_room"),
        part(2, "waiting_for_queue_room"),
        part(3, "pending"),
    )
    progress = JobProgress(parts, 5.0, datetime.now(UTC))
    assert progress.waiting_parts == 2
    assert "2 batches waiting for queue room" in progress_line(progress)
    calm = JobProgress((part(0, "in_progress", "msgbatch_a"),), 5.0, datetime.now(UTC))
    assert "waiting" not in progress_line(calm)
