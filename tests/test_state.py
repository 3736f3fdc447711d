from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from anthropic_batches._split import split_requests
from anthropic_batches._state import JobState, JobStateError


def req(i: int, text: str = "hi") -> dict[str, Any]:
    messages = [{"role": "user", "content": text}]
    return {"custom_id": f"r{i}", "params": {"model": "m", "max_tokens": 5, "messages": messages}}


def test_round_trip_through_the_file(tmp_path: Path) -> None:
    parts = split_requests([req(i) for i in range(5)], max_requests=2)
    state = JobState.for_parts(parts, "2026-10-21")
    state.parts[1].batch_id = "msgbatch_1"
    state.parts[1].downloaded = True
    state.parts[1].failed = [["r2", "errored", "api_error"]]
    path = tmp_path / "job.state.json"
    state.save(path)
    loaded = JobState.load(path)
    assert loaded == state
    assert [(p.start, p.stop, p.first_custom_id, p.last_custom_id) for p in loaded.parts] == [
        (0, 2, "r0", "r1"),
        (2, 4, "r2", "r3"),
        (4, 5, "r4", "r4"),
    ]
    assert json.loads(path.read_text())["format"] == 1


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
    assert JobState.load(path).parts[0].batch_id == "msgbatch_x"  # type: ignore[union-attr]


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
