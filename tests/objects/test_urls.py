"""What is a URL, what is a local path, and the one line a missing package gives."""

from __future__ import annotations

import io
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import request
from helpers import hide_module, result_line

from anthropic_batches import (
    PartsOutput,
    RequestsFileError,
    read_requests,
    split_requests,
)
from anthropic_batches._jsonl import parse_result
from anthropic_batches._urls import (
    StorageError,
    filesystem,
    is_url,
    local_path,
    read_range,
    size,
)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("s3://bucket/key.jsonl", True),
        ("gs://bucket/key.jsonl", True),
        ("file:///tmp/requests.jsonl", True),
        ("requests.jsonl", False),
        ("/tmp/requests.jsonl", False),
        ("C:\\jobs\\requests.jsonl", False),
        ("C://jobs/requests.jsonl", False),  # a Windows drive, not a scheme
        ("s3:bucket/key", False),
    ],
)
def test_a_url_has_a_scheme_and_slashes(text: str, url: bool) -> None:
    assert is_url(text) is url


def test_file_urls_and_paths_are_local_and_other_urls_are_not() -> None:
    assert local_path("/tmp/a b.jsonl") == "/tmp/a b.jsonl"
    assert local_path("file:///tmp/a%20b.jsonl") == "/tmp/a b.jsonl"
    assert local_path("file://localhost/tmp/x") == "/tmp/x"
    assert local_path("s3://bucket/x") is None
    assert local_path("file://otherhost/tmp/x") is None  # a file on another host


def test_a_file_url_is_read_like_its_path(tmp_path: Path) -> None:
    messages = b'[{"role": "user", "content": "hi"}]'
    line = b'{"custom_id": "a", "params": {"model": "m", "max_tokens": 1, "messages": %s}}\n'
    (tmp_path / "r.jsonl").write_bytes(line % messages)
    parts = split_requests(read_requests(f"file://{tmp_path}/r.jsonl"))
    assert parts[0].read_custom_ids() == ["a"]


@pytest.mark.parametrize(
    ("url", "missing", "extra"),
    [
        ("s3://bucket/key", "fsspec", "anthropic-batches[s3]"),
        ("s3://bucket/key", "s3fs", "anthropic-batches[s3]"),
        ("gs://bucket/key", "fsspec", "anthropic-batches[objects]"),
        ("memory://x", "fsspec", "anthropic-batches[objects]"),
    ],
)
def test_a_missing_package_names_the_extra(
    url: str, missing: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module(monkeypatch, missing)
    if missing != "fsspec":  # forget the class fsspec imported already
        from fsspec.registry import _registry

        monkeypatch.delitem(_registry, "s3", raising=False)
    with pytest.raises(StorageError) as caught:
        filesystem(url)
    assert extra in str(caught.value) and "\n" not in str(caught.value)
    assert missing in str(caught.value)


def test_a_requests_url_whose_package_is_missing_is_one_problem_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide_module(monkeypatch, "fsspec")
    with pytest.raises(RequestsFileError) as caught:
        split_requests(read_requests("s3://bucket/requests.jsonl"))
    [problem] = caught.value.problems
    assert problem.path == "s3://bucket/requests.jsonl"
    assert "install anthropic-batches[s3]" in problem.message


def test_an_unknown_protocol_is_named() -> None:
    with pytest.raises(StorageError, match=r"unknown protocol nosuch://"):
        filesystem("nosuch://x/y")


class _Dropping(io.RawIOBase):
    """A stream whose connection drops after `limit` bytes."""

    def __init__(self, data: bytes, limit: int) -> None:
        self.data, self.limit, self.at = data, limit, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.at = offset
        return offset

    def readinto(self, buffer: Any) -> int:
        if self.at >= self.limit:
            raise ConnectionResetError(104, "Connection reset by peer")
        piece = self.data[self.at : min(self.at + len(buffer), self.limit)]
        buffer[: len(piece)] = piece
        self.at += len(piece)
        return len(piece)


def test_a_url_whose_connection_drops_midway_is_one_problem_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fsspec.implementations.memory import MemoryFileSystem

    line = (
        b'{"custom_id": "a%d", "params": {"model": "m", "max_tokens": 1, '
        b'"messages": [{"role": "user", "content": "hi"}]}}\n'
    )
    data = b"".join(line % i for i in range(1000))
    monkeypatch.setattr(
        MemoryFileSystem, "_open", lambda self, path, mode="rb", **kw: _Dropping(data, 50_000)
    )
    with pytest.raises(RequestsFileError) as caught:
        split_requests(read_requests("memory://jobs/requests.jsonl"))
    [problem] = caught.value.problems
    assert problem.path == "memory://jobs/requests.jsonl" and problem.line is None
    assert "cannot be reached" in problem.message and "Connection reset" in problem.message


def test_an_output_on_any_fsspec_filesystem_holds_the_parts_and_the_manifest() -> None:
    url = f"memory://runs-{secrets.token_hex(4)}/out"
    output = PartsOutput(url)
    output.check()
    assert output.read_manifest() is None
    item = parse_result(1, result_line("a", text="hello"))
    with output.open_part(0) as writer:
        writer.write(item)
        writer.commit()
    output.write_manifest({"parts": [0]})
    assert output.read_manifest() == {"parts": [0]}
    combined = output.combine([0])
    assert combined == f"{url}/combined.jsonl"
    assert read_range(combined, 0, size(combined)) == item.json_line() + b"\n"


def test_a_missing_object_is_one_line_saying_so() -> None:
    url = f"memory://runs-{secrets.token_hex(4)}/nothing.jsonl"
    for step in (lambda: size(url), lambda: read_range(url, 0, 10)):
        with pytest.raises(StorageError) as caught:
            step()
        assert str(caught.value).startswith("not found (")
        assert "check the URL" in str(caught.value)


def test_an_object_removed_since_the_split_names_the_part_and_sends_nothing() -> None:
    url = f"memory://runs-{secrets.token_hex(4)}/requests.jsonl"
    fs, path = filesystem(url)
    fs.pipe_file(path, "".join(json.dumps(request(f"r{i}")) + "\n" for i in range(4)).encode())
    parts = split_requests(read_requests(url), max_requests=2)
    fs.rm_file(path)
    with pytest.raises(RequestsFileError) as caught:
        parts[1].body()
    [problem] = caught.value.problems
    assert problem.message.startswith("lines 3-4 (part 1) cannot be read (not found")
    assert url in str(caught.value)
