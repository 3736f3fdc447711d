from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anthropic_batches._requests_file import RequestsFileError, read_requests
from anthropic_batches._split import split_requests


def req(cid: str, **params: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "model": "m",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
    }
    p.update(params)
    return {"custom_id": cid, "params": p}


def write(tmp_path: Path, lines: list[str], newline: str = "\n") -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return path


def test_good_file_with_blank_lines_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(req("a")), "", "  ", json.dumps(req("b"))], "\r\n")
    assert [r["custom_id"] for r in read_requests(path)] == ["a", "b"]


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(req("a")), "{broken"])
    reader = read_requests(path)
    assert next(reader)["custom_id"] == "a"
    with pytest.raises(RequestsFileError):
        next(reader)


def test_every_problem_is_reported_with_file_line_and_reason(tmp_path: Path) -> None:
    lines = [
        json.dumps(req("ok")),
        '{"custom_id": "x", "params": ',
        json.dumps({"params": req("y")["params"]}),
        json.dumps(req("ok")),
        json.dumps(req("bad id")),
        json.dumps({"custom_id": "np"}),
        json.dumps(req("mt", max_tokens=0)),
        "[1, 2]",
        json.dumps(req("t", temperature=1)),
    ]
    path = write(tmp_path, lines)
    with pytest.raises(RequestsFileError) as info:
        list(read_requests(path))
    assert [p.line for p in info.value.problems] == [2, 3, 4, 5, 6, 7, 8, 9]
    messages = [str(p) for p in info.value.problems]
    assert messages[0].startswith(f"{path}:2: invalid JSON")
    assert messages[1] == f"{path}:3: missing field 'custom_id'"
    assert messages[2] == f"{path}:4: duplicate custom_id 'ok' (first used on line 1)"
    assert "custom_id 'bad id'" in messages[3]
    assert "letters, digits" in messages[3]
    assert messages[4] == f"{path}:6: missing field 'params'"
    assert "max_tokens: must be at least 1" in messages[5]
    assert "expected a JSON object" in messages[6]
    assert "temperature" in messages[7]
    assert "2023-06-01" in messages[7]
    assert "8 problems" in str(info.value)
    assert "nothing was submitted" in str(info.value)


def test_api_version_decides_sampling_parameters(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(req("t", temperature=1))])
    assert len(list(read_requests(path, api_version="2023-06-01"))) == 1


def test_missing_empty_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(RequestsFileError, match="cannot read"):
        list(read_requests(tmp_path / "nope.jsonl"))
    empty = write(tmp_path, [""])
    with pytest.raises(RequestsFileError, match="empty"):
        list(read_requests(empty))
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\n")
    with pytest.raises(RequestsFileError, match=r"bin.jsonl:1: not UTF-8"):
        list(read_requests(binary))


def test_oversized_request(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps(req("big", system="z" * 500))])
    with pytest.raises(RequestsFileError, match="bytes; a batch holds at most 300"):
        list(read_requests(path, max_bytes=300))


def _params(i: int) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": f"hi {i}"}]}


def _file(path: Path, *, compact: bool, cid_last: bool = False) -> Path:
    separators = (",", ":") if compact else (", ", ": ")
    lines = []
    for i in range(4):
        request = {"custom_id": f"r{i}", "params": _params(i)}
        if cid_last:
            request = {"params": _params(i), "custom_id": f"r{i}"}
        lines.append(json.dumps(request, separators=separators) + "\n")
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize(("cut", "reason"), [(False, "cannot be read ("), (True, "changed since")])
def test_a_file_removed_or_cut_short_since_the_split_names_the_part_and_sends_nothing(
    tmp_path: Path, compact: bool, cut: bool, reason: str
) -> None:
    path = _file(tmp_path / "r.jsonl", compact=compact)
    parts = split_requests(read_requests(path), max_requests=2)
    assert parts[1].verbatim is compact  # lines sent as they are, or encoded again
    if cut:
        path.write_bytes(path.read_bytes()[:-20])
    else:
        path.unlink()
    for read in (parts[1].body, parts[1].read_custom_ids):
        with pytest.raises(RequestsFileError) as caught:
            read()
        [problem] = caught.value.problems
        assert problem.line == 3
        assert problem.message.startswith(f"lines 3-4 (part 1) {reason}")
        assert problem.message.endswith("since the job was checked; nothing of the part was sent")


def test_a_line_broken_since_the_split_is_refused_as_changed(tmp_path: Path) -> None:
    path = _file(tmp_path / "r.jsonl", compact=False)
    parts = split_requests(read_requests(path), max_requests=2)
    path.write_bytes(path.read_bytes().replace(b'{"custom_id": "r0"', b'["custom_id": "r0"'))
    with pytest.raises(RequestsFileError, match=r"lines 1-2 \(part 0\) changed since"):
        parts[0].body()


def test_custom_ids_are_read_back_wherever_they_stand_in_a_line(tmp_path: Path) -> None:
    path = _file(tmp_path / "r.jsonl", compact=True, cid_last=True)
    parts = split_requests(read_requests(path), max_requests=3)
    assert [p.read_custom_ids() for p in parts] == [["r0", "r1", "r2"], ["r3"]]
