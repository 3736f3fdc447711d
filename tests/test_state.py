from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import batch_json

from anthropic_batches import BatchResult, MessageBatch
from anthropic_batches._joins import FailedRequest, failure_record
from anthropic_batches._split import split_requests
from anthropic_batches._state import (
    JobState,
    JobStateError,
    PartDownload,
    UnrecordedBatchMatch,
    cut_off_since,
    refusal_may_mean_ended,
)


def req(i: int, text: str = "hi") -> dict[str, Any]:
    messages = [{"role": "user", "content": text}]
    return {"custom_id": f"r{i}", "params": {"model": "m", "max_tokens": 5, "messages": messages}}


def test_round_trip_through_the_file(tmp_path: Path) -> None:
    parts = split_requests([req(i) for i in range(5)], max_requests=2)
    state = JobState.for_parts(parts, "2026-10-21")
    state.parts[1].batch_id = "msgbatch_1"
    state.parts[1].downloaded = True
    state.parts[1].failed = [FailedRequest("r2", "errored", "api_error")]
    path = tmp_path / "job.state.json"
    state.save(path)
    loaded = JobState.load(path)
    assert loaded == state
    assert [(p.start, p.stop, p.first_custom_id, p.last_custom_id) for p in loaded.parts] == [
        (0, 2, "r0", "r1"),
        (2, 4, "r2", "r3"),
        (4, 5, "r4", "r4"),
    ]
    saved = json.loads(path.read_text())
    assert saved["format"] == 1
    # the file keeps the form earlier versions read
    assert saved["parts"][1]["failed"] == [["r2", "errored", "api_error"]]


def test_a_state_file_of_an_earlier_version_still_loads(tmp_path: Path) -> None:
    """Earlier versions kept the command line's output size in the state, and wrote
    failed requests as lists (as this one does)."""
    state = JobState.for_parts(split_requests([req(0), req(1)]), "2026-10-21")
    data = json.loads(state.to_json())
    data["output_bytes"] = 1234
    data["parts"][0]["failed"] = [["r0", "expired", None], ["r1", "errored", "api_error"]]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    loaded = JobState.load(path)
    assert loaded is not None
    assert loaded.parts[0].failed == [
        FailedRequest("r0", "expired", None),
        FailedRequest("r1", "errored", "api_error"),
    ]
    assert "output_bytes" not in loaded.to_json()


def result(cid: str, kind: str, error_type: str = "api_error") -> BatchResult:
    data: dict[str, object] = {"type": kind}
    if kind == "errored":
        data["error"] = {"type": "error", "error": {"type": error_type, "message": "x"}}
    if kind == "succeeded":
        data["message"] = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    return BatchResult.model_validate({"custom_id": cid, "result": data})


def test_the_failure_record_of_each_kind_of_result() -> None:
    assert failure_record(result("a", "succeeded")) is None
    assert failure_record(result("b", "canceled")) is None
    expired = failure_record(result("c", "expired"))
    assert expired == FailedRequest("c", "expired", None)
    assert expired.retryable
    overloaded = failure_record(result("d", "errored", "overloaded_error"))
    assert overloaded == FailedRequest("d", "errored", "overloaded_error")
    assert overloaded.retryable
    bad = failure_record(result("e", "errored", "invalid_request_error"))
    assert bad is not None and not bad.retryable


def test_a_part_download_records_usage_and_failures_and_refuses_strangers() -> None:
    parts = split_requests([req(0), req(1), req(2)], max_requests=2)
    state = JobState.for_parts(parts, "2026-10-21")
    download = PartDownload(parts[0], "msgbatch_1", "s.json")
    download.add(result("r0", "succeeded"))
    download.add(result("r1", "errored", "api_error"))
    with pytest.raises(JobStateError, match="custom_id 'r2', which is not one of the part's"):
        download.add(result("r2", "succeeded"))
    assert not state.parts[0].downloaded
    download.record(state.parts[0])
    assert state.parts[0].downloaded
    assert state.parts[0].failed == [FailedRequest("r1", "errored", "api_error")]
    assert state.parts[0].usage is not None
    assert state.parts[0].usage["counts"] == {"succeeded": 1, "errored": 1}


NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def batch(batch_id: str, total: int, minutes_ago: float = 0) -> MessageBatch:
    created = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return MessageBatch.model_validate(batch_json(batch_id, created_at=created, processing=total))


def test_the_unrecorded_batch_is_the_only_one_of_the_parts_size_not_the_jobs() -> None:
    match = UnrecordedBatchMatch(known={"mine"}, size=3)
    for listed in [batch("other-size", 2), batch("mine", 3), batch("made", 3)]:
        assert match.feed(listed)
    assert match.batch is not None and match.batch.id == "made"


def test_two_batches_that_could_be_the_unrecorded_one_are_not_guessed_between() -> None:
    match = UnrecordedBatchMatch(known=(), size=1)
    match.feed(batch("x", 1))
    match.feed(batch("y", 1))
    assert match.batch is None
    assert UnrecordedBatchMatch(known=(), size=1).batch is None


def test_by_time_the_listing_stops_at_a_batch_made_before_the_create() -> None:
    since = cut_off_since(NOW.isoformat())
    assert since == NOW - timedelta(minutes=5)  # the margin for the API's clock
    match = UnrecordedBatchMatch(known=(), size=2, since=since)
    assert match.feed(batch("made", 2, minutes_ago=-1))
    assert match.feed(batch("skewed", 1, minutes_ago=4))
    assert not match.feed(batch("older", 2, minutes_ago=6))
    assert match.batch is not None and match.batch.id == "made"


@pytest.mark.parametrize("when", [None, "", "not a time"])
def test_an_unreadable_create_time_gives_no_time_to_search_from(when: str | None) -> None:
    assert cut_off_since(when) is None


def test_missing_file_is_a_fresh_start(tmp_path: Path) -> None:
    assert JobState.load(tmp_path / "none.json") is None


def test_save_leaves_no_temporary_files_and_replaces_whole(tmp_path: Path) -> None:
    parts = split_requests([req(0)])
    path = tmp_path / "s.json"
    state = JobState.for_parts(parts, "2026-10-21")
    state.save(path)
    state.parts[0].batch_id = "msgbatch_x"
    state.save(path)
    assert os.listdir(tmp_path) == ["s.json"]
    loaded = JobState.load(path)
    assert loaded is not None and loaded.parts[0].batch_id == "msgbatch_x"


def test_failed_write_keeps_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.json"
    state = JobState.for_parts(split_requests([req(0)]), "2026-10-21")
    state.save(path)
    before = path.read_text()

    def broken(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    state.parts[0].batch_id = "msgbatch_new"
    with pytest.raises(OSError, match="disk full"):
        state.save(path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["s.json"]


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        ([req(i) for i in range(5)], "job of 4 requests"),
        ([req(i, "changed" if i == 3 else "hi") for i in range(4)], "differ (first in part 1)"),
    ],
)
def test_a_different_job_is_refused(tmp_path: Path, other: list[Any], reason: str) -> None:
    state = JobState.for_parts(split_requests([req(i) for i in range(4)], max_requests=2), "v1")
    with pytest.raises(JobStateError, match="different job") as info:
        state.check_matches(split_requests(other, max_requests=2), "v1", tmp_path / "s")
    assert reason in str(info.value)


def test_other_split_or_version_is_refused(tmp_path: Path) -> None:
    requests = [req(i) for i in range(4)]
    state = JobState.for_parts(split_requests(requests, max_requests=2), "v1")
    state.check_matches(split_requests(requests, max_requests=2), "v1", "s")
    with pytest.raises(JobStateError, match="split differently"):
        state.check_matches(split_requests(requests, max_requests=3), "v1", "s")
    with pytest.raises(JobStateError, match="api_version"):
        state.check_matches(split_requests(requests, max_requests=2), "v2", "s")


@pytest.mark.parametrize("text", ["{not json", "[]", '{"format": 99}', '{"format": 1}'])
def test_unreadable_state_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(JobStateError, match="cannot read the job state"):
        JobState.load(path)


def test_which_refused_cancels_may_mean_the_batch_has_ended() -> None:
    # 400 is what the emulator answers; 409 and other 4xx may be what the API does.
    assert all(refusal_may_mean_ended(status) for status in (400, 409, 422))
    # Authentication, permission, not found, rate limit and server errors say nothing of it.
    assert not any(refusal_may_mean_ended(status) for status in (401, 403, 404, 429, 500, 529))
