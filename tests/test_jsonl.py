"""The JSONL line decoder: chunking, CRLF, blank lines, last line, offsets, bad lines."""

from __future__ import annotations

import json

import pytest

from anthropic_batches import ResultsDecodeError, SucceededResult, UnknownResult
from anthropic_batches._jsonl import LineDecoder, parse_result


def decode_all(chunks: list[bytes]) -> list[tuple[int, bytes]]:
    decoder = LineDecoder()
    out = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.flush())
    return out


def test_splits_on_newlines_and_numbers_lines() -> None:
    assert decode_all([b'{"a":1}\n{"b":2}\n']) == [(1, b'{"a":1}'), (2, b'{"b":2}')]


def test_crlf_split_across_chunks() -> None:
    assert decode_all([b'{"a":1}\r', b'\n{"b":2}\r\n']) == [(1, b'{"a":1}'), (2, b'{"b":2}')]


def test_blank_and_whitespace_lines_skipped_but_counted() -> None:
    data = b'\n{"a":1}\n\r\n   \n{"b":2}\n\n'
    assert decode_all([data]) == [(2, b'{"a":1}'), (5, b'{"b":2}')]


def test_last_line_without_newline() -> None:
    assert decode_all([b'{"a":1}\n{"b', b'":2}']) == [(1, b'{"a":1}'), (2, b'{"b":2}')]


def test_every_byte_chunking_gives_same_lines() -> None:
    data = '{"t":"é€𝄞\u2028x"}\r\n\n{"t":"b"}'.encode()
    whole = decode_all([data])
    assert decode_all([data[i : i + 1] for i in range(len(data))]) == whole
    assert json.loads(whole[0][1])["t"] == "é€𝄞\u2028x"


def test_offset_counts_bytes_of_complete_lines() -> None:
    decoder = LineDecoder()
    decoder.feed(b'{"a":1}\n{"b"')
    assert decoder.offset == 8
    assert decoder.pending == 4
    decoder.feed(b":2}\n")
    assert decoder.offset == 16
    resumed = LineDecoder(line_number=decoder.line_number, offset=decoder.offset)
    assert resumed.feed(b'{"c":3}\n') == [(3, b'{"c":3}')]
    assert resumed.offset == 24


def test_empty_feed_and_empty_flush() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"") == []
    assert decoder.flush() == []


SUCCEEDED = (
    b'{"custom_id":"r1","result":{"type":"succeeded","message":{"id":"msg_1","type":"message",'
    b'"role":"assistant","model":"claude-opus-5","content":[{"type":"text","text":"hi"}],'
    b'"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":2}}}}'
)


def test_parse_result_ok_and_forward_compatible() -> None:
    result = parse_result(1, SUCCEEDED)
    assert isinstance(result.result, SucceededResult)
    assert result.result.message.text == "hi"
    unknown = parse_result(2, b'{"custom_id":"r2","result":{"type":"deferred","eta":5}}')
    assert isinstance(unknown.result, UnknownResult)
    assert unknown.result.model_extra == {"eta": 5}


def test_parse_result_invalid_json_names_line() -> None:
    with pytest.raises(ResultsDecodeError, match=r"results line 7: not valid JSON") as info:
        parse_result(7, b'{"custom_id": "x", ')
    assert info.value.line_number == 7
    assert info.value.line.startswith('{"custom_id"')


def test_parse_result_not_a_result_names_field() -> None:
    with pytest.raises(ResultsDecodeError, match=r"line 3: not a batch result: result") as info:
        parse_result(3, b'{"custom_id": "x"}')
    assert info.value.line_number == 3
    with pytest.raises(ResultsDecodeError, match="not a batch result"):
        parse_result(4, b"[1, 2]")


def test_json_line_keeps_the_exact_bytes() -> None:
    line = b'{"result":{"type":"canceled","x":1},   "custom_id":"r9"}'
    result = parse_result(1, line)
    assert result.json_line() == line
    built = type(result).model_validate({"custom_id": "r9", "result": {"type": "expired"}})
    assert json.loads(built.json_line()) == {"custom_id": "r9", "result": {"type": "expired"}}
