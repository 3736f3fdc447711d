"""A job's plan as a later worker sees it: rebuilt from the store alone, and refused (before
anything is sent) when the input given is not the job's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fleet_helpers import write_requests

from anthropic_batches._requests_file import read_requests
from anthropic_batches._split import JobPart, split_requests
from anthropic_batches._state import JobState
from anthropic_batches._stores import FileStore, JobStoreError
from anthropic_batches._stores._base import OtherInput
from anthropic_batches._stores._plan import (
    adopt,
    check_source,
    parts_from_state,
    source_of,
    source_size,
)

VERSION = "2023-06-01"
CLIENT = SimpleNamespace(api_version=VERSION)


def _parts(path: Path, per_part: int) -> list[JobPart]:
    return split_requests(read_requests(path), max_requests=per_part)


def _planned(tmp_path: Path) -> tuple[FileStore, Path, JobState, list[JobPart]]:
    requests = write_requests(tmp_path / "requests.jsonl", 5)
    store = FileStore(tmp_path / "job.state.json")
    parts = _parts(requests, 2)
    state = adopt(store, "j", parts, None, JobState.for_parts(parts, VERSION), CLIENT)
    return store, requests, state, parts


def test_a_later_worker_rebuilds_the_parts_from_the_stored_plan(tmp_path: Path) -> None:
    store, requests, state, parts = _planned(tmp_path)
    assert state.source == str(requests) and state.source_size == requests.stat().st_size
    rebuilt = parts_from_state(store.load("j") or state, store, "j")
    assert [p.read_custom_ids() for p in rebuilt] == [p.read_custom_ids() for p in parts]
    assert [p.digest for p in rebuilt] == [p.digest for p in parts]


def test_another_file_or_a_changed_one_is_refused_naming_both(tmp_path: Path) -> None:
    store, requests, state, _ = _planned(tmp_path)
    other = write_requests(tmp_path / "other.jsonl", 5)
    with pytest.raises(OtherInput) as caught:
        check_source(state, store, "j", source_of(str(other)), source_size(str(other)))
    assert f"it reads {requests}, not {other}" in str(caught.value)
    before = requests.stat().st_size
    write_requests(requests, 6)
    with pytest.raises(OtherInput) as caught:
        check_source(state, store, "j", str(requests), source_size(str(requests)))
    message = str(caught.value)
    assert message.startswith(f"{store.url}: job 'j' exists with different input")
    assert f"its input was {before} bytes, {requests} is {requests.stat().st_size} now" in message


def test_the_same_file_split_otherwise_is_refused(tmp_path: Path) -> None:
    store, requests, state, _ = _planned(tmp_path)
    resplit = _parts(requests, 3)
    with pytest.raises(OtherInput, match="other requests, split or API version"):
        adopt(store, "j", resplit, state, JobState.for_parts(resplit, VERSION), CLIENT)


def test_a_plan_without_byte_ranges_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    store, _, state, _ = _planned(tmp_path)
    state.parts[1].offset = None
    with pytest.raises(JobStoreError, match=r"part 1 has no byte range recorded .* another name"):
        parts_from_state(state, store, "j")
    state.source = None
    with pytest.raises(JobStoreError, match="job 'j' has no input recorded"):
        parts_from_state(state, store, "j")


def test_the_size_of_an_input_that_cannot_be_read_is_not_known(tmp_path: Path) -> None:
    assert source_size(str(tmp_path / "missing.jsonl")) is None
