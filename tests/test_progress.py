"""The progress snapshot of a job, from its parts, their states and the batches last seen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from helpers import batch_json

from anthropic_batches import MessageBatch, RequestCounts
from anthropic_batches._progress import job_progress
from anthropic_batches._split import split_requests
from anthropic_batches._state import JobState

NOW = datetime(2024, 9, 24, 20, 37, 24, tzinfo=UTC)


def req(i: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": "hi"}]
    return {"custom_id": f"r{i}", "params": {"model": "m", "max_tokens": 5, "messages": messages}}


def test_each_part_shows_what_is_known_of_it() -> None:
    parts = split_requests([req(i) for i in range(7)], max_requests=2)
    state = JobState.for_parts(parts, "2026-10-21")
    # part 0: seen ended by this run; part 1: submitted by an earlier run, not seen since;
    # part 2: ended in an earlier run, not seen since; part 3: not submitted.
    state.parts[0].batch_id, state.parts[0].status = "b0", "in_progress"
    state.parts[1].batch_id = "b1"
    state.parts[2].batch_id, state.parts[2].status = "b2", "ended"
    seen = {0: MessageBatch.model_validate(batch_json("b0", "ended", succeeded=1, errored=1))}
    progress = job_progress(parts, state.parts, seen, elapsed=3.5, now=NOW)
    assert [(p.index, p.requests, p.batch_id, p.status) for p in progress.parts] == [
        (0, 2, "b0", "ended"),
        (1, 2, "b1", "submitted"),
        (2, 2, "b2", "ended"),
        (3, 1, None, "pending"),
    ]
    assert progress.parts[0].counts == RequestCounts(succeeded=1, errored=1)
    assert progress.parts[0].expires_at == seen[0].expires_at
    assert progress.parts[1].counts is None and progress.parts[1].expires_at is None
    assert (progress.elapsed, progress.now) == (3.5, NOW)
    assert (progress.ended_parts, progress.ended_requests, progress.total_requests) == (2, 4, 7)
    assert not progress.done
    # Only what the API counted: part 2's counts are not known to this run.
    assert progress.counts == RequestCounts(processing=3, succeeded=1, errored=1)
    assert progress.time_to_expiry is None  # no running part was seen
