"""The state file as a job store: the file `state_path` has always written, one process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import request

from anthropic_batches._split import split_requests
from anthropic_batches._state import JobState
from anthropic_batches._stores import FileStore, JobStoreError, open_store


def _state() -> JobState:
    requests = [request(f"r{i}", f"hi {i}") for i in range(4)]
    return JobState.for_parts(split_requests(requests, max_requests=2), "2023-06-01")


def test_a_state_file_round_trips_and_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "job.state.json"
    store = open_store(str(path))
    assert isinstance(store, FileStore) and not store.shared
    assert store.load("any") is None
    created = store.create("any", _state())
    assert store.create("other", _state()).digest == created.digest  # one job per file
    part = created.parts[1]
    part.batch_id, part.downloaded = "msgbatch_1", True
    store.save_part("any", part)
    saved = json.loads(path.read_text())
    assert saved["format"] == 1 and saved["parts"][1]["batch_id"] == "msgbatch_1"
    assert [p.index for p in store.lease("any", "w", 60, 5)] == [0]
    [summary] = store.jobs()
    assert (summary.name, summary.parts, summary.downloaded, summary.requests) == (
        "job.state.json",
        2,
        1,
        4,
    )


def test_a_state_file_written_before_the_part_fields_still_loads(tmp_path: Path) -> None:
    data = json.loads(_state().to_json())
    for part in data["parts"]:
        for key in ("size", "first_line", "last_line", "verbatim"):
            del part[key]
    del data["source_size"]
    path = tmp_path / "old.state.json"
    path.write_text(json.dumps(data))
    loaded = FileStore(path).load("old")
    assert loaded is not None and loaded.parts[0].size is None


def test_a_file_that_is_not_a_state_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("[1, 2]")
    with pytest.raises(JobStoreError) as caught:
        FileStore(path).load("x")
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_file_url_is_a_state_file_and_its_one_process_gets_every_lease(tmp_path: Path) -> None:
    path = tmp_path / "job.state.json"
    store = open_store(f"file://{path}")
    assert isinstance(store, FileStore) and store.path == path
    assert open_store(store) is store
    assert store.lease("j", "w", 60, 5) == [] and store.jobs() == []  # no job yet
    store.create("j", _state())
    assert [p.index for p in store.lease("j", "w", 60, 5)] == [0, 1]
    assert store.renew("j", "w", 60, [0, 1]) == [0, 1]  # leases never expire here
    store.release("j", "w", [0, 1])
    assert [p.index for p in FileStore(path).lease("j", "other", 60, 5)] == [0, 1]


def test_saving_a_part_of_no_job_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "none.state.json"
    with pytest.raises(JobStoreError) as caught:
        FileStore(path).save_part("j", _state().parts[0])
    assert str(caught.value) == f"{path}: no job here to save part 0 of"
    assert not path.exists()


def test_a_state_file_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing-folder" / "job.state.json"
    with pytest.raises(JobStoreError) as caught:
        FileStore(path).create("j", _state())
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot write the job state: ") and "\n" not in message
