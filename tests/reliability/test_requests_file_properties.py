"""The command line's requests-file reader fed generated files: good lines come out exactly,
every bad line is reported with its own line number, and nothing but `RequestsFileError`
escapes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from reliability.strategies import custom_ids, json_values, text
from reliability.support import counts_recorded_at_end, examples

from anthropic_batches._requests_file import RequestsFileError, read_requests

STATS = {"files": 0, "lines": 0, "good": 0, "problems": 0}
_record_counts = counts_recorded_at_end("requests_file", STATS)

params = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["claude-opus-5", "claude-haiku-4-5"]),
        "max_tokens": st.integers(1, 64_000),
        "messages": st.lists(
            st.fixed_dictionaries({"role": st.just("user"), "content": text}),
            min_size=1,
            max_size=3,
        ),
    },
    optional={"system": text, "metadata": st.fixed_dictionaries({"user_id": text})},
)
BAD_LINES: list[bytes] = [
    b'{"custom_id": "x", "params": ',  # cut short
    b"[1, 2]",  # not an object
    b'"just a string"',
    b"null",
    b'{"custom_id": "has space", "params": {}}',
    b'{"params": {"model": "m", "max_tokens": 1, "messages": [1]}}',  # no custom_id
    b'{"custom_id": "p", "params": {"model": "m", "max_tokens": 0, "messages": [1]}}',
    b'{"custom_id": "t", "params": {"model": "m", "max_tokens": 5, "messages": [1], '
    b'"temperature": 0.5}}',  # removed in 2026-10-21
    b'{"custom_id": "n", "params": {"model": "m", "max_tokens": NaN, "messages": [1]}}',
    b'{"custom_id": "i", "params": {"model": "m", "max_tokens": 1e400, "messages": [1]}}',
    b'{"custom_id": "u", "params": {"model": "m\xff", "max_tokens": 1, "messages": [1]}}',
    b'{"custom_id": "d", "params": {"model": "m", "max_tokens": 1' + b"0" * 5000 + b"}}",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"custom_id": "e", "params": {"model": "m", "max_tokens": 1, "messages": [1]}, "x": 1}',
]


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, list[dict[str, Any]], set[int]]:
    # good ids start with "g"; the bad lines' ids do not, so they never clash
    ids = draw(
        st.lists(custom_ids.map(lambda s: "g" + s[:63]), min_size=1, max_size=8, unique=True)
    )
    good = [{"custom_id": cid, "params": draw(params)} for cid in ids]
    entries: list[tuple[str, Any]] = [("good", r) for r in good]
    for _ in range(draw(st.integers(0, 3))):
        entries.insert(
            draw(st.integers(0, len(entries))), ("bad", draw(st.sampled_from(BAD_LINES)))
        )
    if draw(st.booleans()):  # a duplicate of an earlier custom_id
        entries.append(("dup", {"custom_id": ids[0], "params": good[0]["params"]}))
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), ("blank", b"  "))
    data = b""
    bad: set[int] = set()
    for number, (kind, value) in enumerate(entries, start=1):
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        data += raw + draw(st.sampled_from([b"\n", b"\r\n"]))
        if kind in ("bad", "dup"):
            bad.add(number)
    if draw(st.booleans()):
        data = data.rstrip(b"\r\n")  # no newline at the end
    return data, good, bad


def _read(data: bytes) -> tuple[list[dict[str, Any]], RequestsFileError | None]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.jsonl"
        path.write_bytes(data)
        out: list[dict[str, Any]] = []
        error: RequestsFileError | None = None
        try:
            for request in read_requests(path):
                out.append(request)
        except RequestsFileError as exc:
            error = exc
        assert error is None or error.path == str(path)
        return out, error


@examples(fast=150, long=5_000)
@given(files())
def test_good_lines_out_bad_lines_reported(
    case: tuple[bytes, list[dict[str, Any]], set[int]],
) -> None:
    data, good, bad = case
    out, error = _read(data)
    assert out == good
    STATS["files"] += 1
    STATS["lines"] += data.count(b"\n") + 1
    STATS["good"] += len(out)
    if bad:
        assert error is not None
        assert {p.line for p in error.problems} == bad
        STATS["problems"] += len(error.problems)
    else:
        assert error is None


@examples(fast=200, long=10_000)
@given(
    st.binary(max_size=200)
    | st.lists(json_values, max_size=5).map(
        lambda vs: b"\n".join(json.dumps(v).encode() for v in vs)
    )
)
def test_arbitrary_files_only_requests_file_error(data: bytes) -> None:
    _, error = _read(data)
    STATS["files"] += 1
    if error is not None:
        lines = data.split(b"\n")
        for problem in error.problems:
            assert problem.line is None or 1 <= problem.line <= len(lines)
            assert problem.message


def test_huge_integer_is_a_reported_line() -> None:
    """Regression: a number past Python's digit limit raised a bare ValueError."""
    line = b'{"custom_id": "a", "params": {"model": "m", "max_tokens": 1' + b"1" * 5000 + b"}}"
    out, error = _read(b'{"custom_id": "b", "params": {}}\n' + line + b"\n")
    assert out == []
    assert error is not None
    assert [(p.line, p.message) for p in error.problems][-1] == (
        2,
        "invalid JSON: a number has too many digits",
    )
