"""The results line decoder under arbitrary chunkings of valid and invalid streams.

Property: whatever the chunking, the decoder hands out exactly the non-blank lines, in order,
with their 1-based line numbers; each valid line parses to the result it encodes; each invalid
line raises `ResultsDecodeError` carrying its own line number, and nothing else ever escapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from reliability.strategies import encode, json_values, result_lines
from reliability.support import counts_recorded_at_end, examples

from anthropic_batches import BatchResult, ResultsDecodeError
from anthropic_batches._jsonl import LineDecoder, parse_result


@dataclass
class Line:
    raw: bytes  # without its line end
    result: dict[str, Any] | None  # what a valid line encodes; None for an invalid line
    blank: bool = False


def _truncated(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(1, max(1, len(data) - 1)).map(lambda n: data[:n])


valid = result_lines.map(lambda r: Line(encode(r), r))
invalid = st.one_of(
    # cut short, as a line torn by a bad writer
    result_lines.map(encode).flatmap(_truncated).map(lambda b: Line(b, None)),
    # JSON, but not a result
    json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: Line(encode(v), None)),
    st.just(Line(b'{"custom_id": 7, "result": {"type": "canceled"}}', None)),
    st.just(Line(b'{"custom_id": "a"}', None)),
    st.just(Line(b'{"custom_id": "a", "result": null}', None)),
    st.just(Line(b"\xff\xfe not UTF-8", None)),
    st.just(Line(b"NaN", None)),
    # any bytes at all (no newline; no CR at the end, which belongs to the line end)
    st.binary(min_size=1, max_size=40)
    .map(lambda b: b.replace(b"\n", b"").rstrip(b"\r"))
    .filter(lambda b: bool(b.strip()))
    .map(lambda b: Line(b, None)),
)
blank = st.sampled_from([b"", b" ", b"\t", b"  \t "]).map(lambda b: Line(b, None, blank=True))
line_ends = st.sampled_from([b"\n", b"\r\n"])


@st.composite
def streams(draw: st.DrawFn, with_invalid: bool) -> tuple[list[Line], bytes, list[bytes]]:
    kinds = valid | blank | invalid if with_invalid else valid | blank
    lines = draw(st.lists(kinds, max_size=8))
    ends = [draw(line_ends) for _ in lines]
    if lines and lines[-1].raw and draw(st.booleans()):
        ends[-1] = b""  # the last line may lack its newline
    data = b"".join(line.raw + end for line, end in zip(lines, ends, strict=True))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=20)))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return lines, data, chunks


STATS = {"streams": 0, "chunks": 0, "lines": 0, "valid": 0, "invalid": 0}
_record_counts = counts_recorded_at_end("jsonl_decoder", STATS)


def _decode(chunks: list[bytes]) -> tuple[list[tuple[int, bytes]], LineDecoder]:
    decoder = LineDecoder()
    out: list[tuple[int, bytes]] = []
    fed = 0
    for chunk in chunks:
        out += decoder.feed(chunk)
        fed += len(chunk)
        # offset is the end of the last complete line; the rest is pending
        assert decoder.offset + decoder.pending == fed
    out += decoder.flush()
    assert decoder.pending == 0
    return out, decoder


def _decode_error(number: int, raw: bytes) -> ResultsDecodeError | None:
    """The error parsing a line raises, or None (random bytes may happen to be a result, and
    then they must round-trip)."""
    try:
        parsed = parse_result(number, raw)
    except ResultsDecodeError as exc:
        return exc
    assert parsed.json_line() == raw
    return None


def _check(lines: list[Line], data: bytes, chunks: list[bytes]) -> None:
    got, decoder = _decode(chunks)
    expected = [(n, line.raw) for n, line in enumerate(lines, start=1) if not line.blank]
    assert got == expected
    assert decoder.offset == len(data)
    assert decoder.line_number == len(lines)
    STATS["streams"] += 1
    STATS["chunks"] += len(chunks)
    for (number, raw), line in zip(got, [x for x in lines if not x.blank], strict=True):
        STATS["lines"] += 1
        if line.result is not None:
            parsed = parse_result(number, raw)
            assert isinstance(parsed, BatchResult)
            assert parsed.custom_id == line.result["custom_id"]
            assert parsed.result.type == line.result["result"]["type"]
            assert parsed.json_line() == raw
            assert json.loads(parsed.model_dump_json(exclude_unset=True)) == line.result
            STATS["valid"] += 1
        else:
            error = _decode_error(number, raw)
            if error is not None:
                assert error.line_number == number
                assert str(error).startswith(f"results line {number}: ")
                STATS["invalid"] += 1


@examples(fast=150, long=10_000)
@given(streams(with_invalid=False))
def test_valid_streams_any_chunking(stream: tuple[list[Line], bytes, list[bytes]]) -> None:
    _check(*stream)


@examples(fast=150, long=10_000)
@given(streams(with_invalid=True))
def test_invalid_lines_raise_with_their_number(
    stream: tuple[list[Line], bytes, list[bytes]],
) -> None:
    _check(*stream)


@examples(fast=200, long=10_000)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=10))
def test_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    """Any byte stream: lines re-join to the stream; parsing raises only ResultsDecodeError."""
    bounds = sorted(min(c, len(data)) for c in cuts)
    chunks = [data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)], strict=True)]
    got, decoder = _decode(chunks)
    assert decoder.offset == len(data)
    pieces = data.split(b"\n")
    for number, raw in got:
        assert pieces[number - 1].removesuffix(b"\r") == raw
        error = _decode_error(number, raw)
        assert error is None or error.line_number == number
    STATS["streams"] += 1
