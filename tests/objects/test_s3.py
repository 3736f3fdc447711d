"""Input and output on S3 (moto on loopback, through s3fs): a requests object read in one
pass and each part fetched by one ranged read; an output folder of whole objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import KEY, result_line
from objects.s3server import RecordingMotoServer

from anthropic_batches import (
    BatchResult,
    Client,
    Job,
    OutputError,
    PartsOutput,
    RequestsFileError,
    read_requests,
    split_requests,
)
from anthropic_batches._jsonl import parse_result
from anthropic_batches.emulator import Emulator, EmulatorServer

#: An endpoint nothing listens on (the discard port on loopback), tried once, briefly.
UNREACHABLE = {
    "endpoint_url": "http://127.0.0.1:9",
    "config_kwargs": {"connect_timeout": 1, "retries": {"max_attempts": 1}},
}
#: Credentials the server does not know, once it checks them.
WRONG_KEYS = {"key": "AKIAWRONGWRONGWRONG0", "secret": "not-the-secret"}


def request_line(i: int, text: str = "hello") -> bytes:
    messages = [{"role": "user", "content": f"{text} {i}"}]
    params = {"model": "claude-opus-5", "max_tokens": 64, "messages": messages}
    return json.dumps({"custom_id": f"q{i:03d}", "params": params}).encode() + b"\n"


def results(prefix: str, n: int) -> list[BatchResult]:
    return [parse_result(i + 1, result_line(f"{prefix}{i}")) for i in range(n)]


@pytest.fixture
def checked_auth(monkeypatch: pytest.MonkeyPatch, bucket: str) -> None:
    """The server checks credentials from now on (it knows none: every key is refused)."""
    import moto.settings

    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)


def test_a_requests_object_is_split_and_each_part_read_by_its_own_range(
    s3: Any, bucket: str, s3_server: RecordingMotoServer
) -> None:
    body = b"".join(request_line(i) for i in range(40))
    s3.pipe_file(f"{bucket}/in/requests.jsonl", body)
    url = f"s3://{bucket}/in/requests.jsonl"
    parts = split_requests(read_requests(url), max_requests=10)
    assert [len(p) for p in parts] == [10, 10, 10, 10]
    assert parts[0].source.path == url
    key = f"/{bucket}/in/requests.jsonl"
    before = len(s3_server.requests("GET", key))
    assert parts[2].read_custom_ids() == [f"q{i:03d}" for i in range(20, 30)]
    fetched = s3_server.requests("GET", key)[before:]
    # one GET, of the part's bytes only
    assert [(f.range, f.sent) for f in fetched] == [
        (f"bytes={parts[2].offset}-{parts[2].end - 1}", parts[2].end - parts[2].offset)
    ]
    assert parts[2].end - parts[2].offset < len(body) // 3
    requests = [r for part in parts for r in part.read_requests()]
    assert [r["custom_id"] for r in requests] == [f"q{i:03d}" for i in range(40)]


def test_an_object_changed_since_the_plan_is_refused_naming_the_part(s3: Any, bucket: str) -> None:
    s3.pipe_file(f"{bucket}/requests.jsonl", b"".join(request_line(i) for i in range(6)))
    url = f"s3://{bucket}/requests.jsonl"
    parts = split_requests(read_requests(url), max_requests=3)
    changed = b"".join(request_line(i, "HELLO") for i in range(6))  # same length
    s3.pipe_file(f"{bucket}/requests.jsonl", changed)
    with pytest.raises(RequestsFileError) as caught:
        parts[1].body()
    assert "lines 4-6 (part 1) changed" in str(caught.value)
    assert url in str(caught.value)


def test_bad_lines_of_a_requests_object_are_listed_with_the_url(s3: Any, bucket: str) -> None:
    s3.pipe_file(f"{bucket}/bad.jsonl", request_line(0) + b"{not json\n" + request_line(2))
    url = f"s3://{bucket}/bad.jsonl"
    with pytest.raises(RequestsFileError) as caught:
        split_requests(read_requests(url))
    assert [(p.path, p.line) for p in caught.value.problems] == [(url, 2)]


@pytest.fixture
def output(bucket: str) -> PartsOutput:
    return PartsOutput(f"s3://{bucket}/runs/one")


def keys(s3: Any, bucket: str) -> list[str]:
    s3.invalidate_cache()
    return sorted(path.rsplit("/", 1)[-1] for path in s3.find(f"{bucket}/runs/one"))


def test_parts_and_the_manifest_are_objects_under_the_output_prefix(
    s3: Any, bucket: str, output: PartsOutput
) -> None:
    output.check()
    assert keys(s3, bucket) == []  # the probe is gone
    parts = {0: results("a", 3), 1: results("b", 2)}
    for index, items in parts.items():
        with output.open_part(index) as writer:
            for item in items:
                writer.write(item)
            writer.commit()
    output.write_manifest({"parts": {"0": 3, "1": 2}})
    assert keys(s3, bucket) == ["_manifest.json", "part-00000.jsonl", "part-00001.jsonl"]
    stored = s3.cat_file(f"{bucket}/runs/one/part-00001.jsonl").splitlines()
    assert stored == [r.json_line() for r in parts[1]]
    assert output.has_part(0) and not output.has_part(2)
    assert output.read_manifest() == {"parts": {"0": 3, "1": 2}}


def test_a_part_written_twice_is_one_object_holding_its_results_once(
    s3: Any, bucket: str, output: PartsOutput
) -> None:
    items = results("a", 5)
    for _ in range(2):
        with output.open_part(7) as writer:
            for item in items:
                writer.write(item)
            writer.commit()
    assert keys(s3, bucket) == ["part-00007.jsonl"]
    stored = s3.cat_file(f"{bucket}/runs/one/part-00007.jsonl").splitlines()
    assert stored == [r.json_line() for r in items]


def test_combine_makes_one_object_of_the_parts_in_order(
    s3: Any, bucket: str, output: PartsOutput
) -> None:
    parts = {0: results("a", 2), 1: results("b", 3)}
    for index in (1, 0):
        with output.open_part(index) as writer:
            for item in parts[index]:
                writer.write(item)
            writer.commit()
    url = output.combine([0, 1])
    assert url == f"s3://{bucket}/runs/one/combined.jsonl"
    stored = s3.cat_file(f"{bucket}/runs/one/combined.jsonl").splitlines()
    assert stored == [r.json_line() for i in (0, 1) for r in parts[i]]


def one_line(error: Exception, url: str) -> str:
    text = str(error)
    assert "\n" not in text and url in text, text
    return text


def test_a_missing_bucket_is_one_line_naming_the_url(s3: Any) -> None:
    url = "s3://no-such-bucket-here/runs/one"
    with pytest.raises(OutputError) as caught:
        PartsOutput(url).check()
    assert "bucket" in one_line(caught.value, url)
    with pytest.raises(RequestsFileError) as read:
        split_requests(read_requests(f"{url}/requests.jsonl"))
    assert read.value.problems[0].line is None
    assert "bucket" in read.value.problems[0].message


def test_an_unreachable_endpoint_is_one_line_naming_the_url(bucket: str) -> None:
    url = f"s3://{bucket}/runs/one"
    with pytest.raises(OutputError) as caught:
        PartsOutput(url, storage_options=UNREACHABLE).check()
    assert "cannot be reached" in one_line(caught.value, url)
    assert "AWS_ENDPOINT_URL" in str(caught.value)


@pytest.mark.usefixtures("checked_auth")
def test_wrong_credentials_are_one_line_naming_the_url(s3: Any, bucket: str) -> None:
    url = f"s3://{bucket}/runs/one"
    with pytest.raises(OutputError) as caught:
        PartsOutput(url, storage_options=WRONG_KEYS).check()
    assert "access denied" in one_line(caught.value, url)
    assert "AWS_ACCESS_KEY_ID" in str(caught.value)
    with pytest.raises(RequestsFileError) as read:
        split_requests(read_requests(f"{url}/requests.jsonl"))
    assert "access denied" in read.value.problems[0].message


@pytest.fixture
def api() -> Iterator[EmulatorServer]:
    with EmulatorServer(Emulator(process_seconds=0.05, api_keys=[KEY])) as server:
        yield server


def test_a_job_whose_input_is_an_s3_url_runs_over_the_emulator(
    s3: Any, bucket: str, api: EmulatorServer, s3_server: RecordingMotoServer
) -> None:
    s3.pipe_file(f"{bucket}/job.jsonl", b"".join(request_line(i) for i in range(25)))
    url = f"s3://{bucket}/job.jsonl"
    with Client(api_key=KEY, base_url=api.base_url) as client:
        job = Job.from_file(client, url, max_requests=10, poll_interval=0.01)
        assert [len(p) for p in job.parts] == [10, 10, 5]
        job.wait(timeout=30)
        got = sorted(r.custom_id for r in job.results())
    assert got == [f"q{i:03d}" for i in range(25)]
    assert api.emulator.stats.create_calls == 3
    # one streaming pass over the whole object to plan, then each part by its own range
    first, *later = s3_server.requests("GET", f"/{bucket}/job.jsonl")
    assert first.sent == job.parts[-1].end
    assert {f.range for f in later} == {f"bytes={p.offset}-{p.end - 1}" for p in job.parts}


def test_a_part_another_worker_wrote_is_seen_despite_a_cached_listing(
    s3: Any, bucket: str, output: PartsOutput
) -> None:
    import s3fs

    with output.open_part(0) as writer:
        writer.write(results("a", 1)[0])
        writer.commit()
    s3.ls(f"{bucket}/runs/one")  # this process now holds a listing of the folder
    other = s3fs.S3FileSystem(skip_instance_cache=True)  # another worker's
    other.pipe_file(f"{bucket}/runs/one/part-00001.jsonl", results("b", 1)[0].json_line())
    assert output.has_part(1)


def test_a_large_part_is_uploaded_in_pieces_and_stored_whole(
    s3: Any, bucket: str, s3_server: RecordingMotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anthropic_batches import _urls

    monkeypatch.setitem(_urls._UPLOAD, "chunksize", 5 << 20)  # S3's smallest piece
    output = PartsOutput(f"s3://{bucket}/runs/one")
    item = parse_result(1, result_line("big", text="x" * 100_000))
    with output.open_part(0) as writer:
        for _ in range(120):  # about 12 MB
            writer.write(item)
        writer.commit()
    key = f"/{bucket}/runs/one/part-00000.jsonl"
    pieces = s3_server.requests("PUT", key)
    assert len(pieces) == 3  # 5 MB, 5 MB and the rest, never the whole part in one request
    stored = s3.cat_file(key.lstrip("/")).splitlines()
    assert stored == [item.json_line()] * 120
