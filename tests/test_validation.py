"""Checks made before any network call on create."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import checked_request as req

from anthropic_batches import BatchRequest, BatchValidationError
from anthropic_batches._encoding import encode_requests
from anthropic_batches._validation import custom_id_problem, params_problems

NEW, OLD = "2026-10-21", "2023-06-01"


def serialize_requests(requests: Any, version: str, **kw: Any) -> bytes:
    """The create body, joined."""
    return bytes(encode_requests(requests, version, **kw))


def problems_of(requests: list[Any], version: str = NEW, **kw: Any) -> list[str]:
    with pytest.raises(BatchValidationError) as info:
        serialize_requests(requests, version, **kw)
    assert isinstance(info.value, ValueError)
    return [str(p) for p in info.value.problems]


def test_body_is_compact_json_in_order() -> None:
    body = serialize_requests([req("a"), BatchRequest(**req("b"))], NEW)
    decoded = json.loads(body)
    assert [r["custom_id"] for r in decoded["requests"]] == ["a", "b"]
    assert b", " not in body
    assert b": " not in body


def test_custom_id_rules() -> None:
    assert custom_id_problem("ok_ID-1") is None
    assert custom_id_problem("x" * 64) is None
    assert "65 characters" in (custom_id_problem("x" * 65) or "")
    assert "empty" in (custom_id_problem("") or "")
    assert "' '" in (custom_id_problem("a b") or "")
    assert "not int" in (custom_id_problem(5) or "")


def test_every_offending_index_is_listed() -> None:
    found = problems_of([req("good"), req("bad id"), req("good"), {"custom_id": "x"}, "nope"])
    text = "\n".join(found)
    assert "requests[1] custom_id='bad id' custom_id: may only hold" in text
    assert "requests[2] custom_id='good' custom_id: duplicate of requests[0]" in text
    assert "requests[3] custom_id='x' params: Field required" in text
    assert "requests[4]: must be a BatchRequest or a dict" in text


def test_required_params() -> None:
    found = problems_of([{"custom_id": "a", "params": {"max_tokens": 0}}])
    assert any("params.model" in p for p in found)
    assert any(p.endswith(" params.max_tokens: must be at least 1") for p in found)
    assert any("params.messages" in p for p in found)


def test_new_version_rejects_sampling_params_and_names_old_version() -> None:
    found = problems_of([req("a", temperature=0.5, top_k=3)])
    assert len(found) == 2
    # The library speaks Python, names the field once, and not in pydantic's words.
    assert found[0] == (
        "requests[0] custom_id='a' params.temperature: not accepted under "
        f'api_version="{NEW}"; api_version="{OLD}" still accepts it'
    )
    assert serialize_requests([req("a", temperature=0.5, top_p=0.9, top_k=3)], OLD)


def test_new_version_document_in_assistant_and_user_citations() -> None:
    doc = {"type": "document", "source": {"type": "text", "data": "x", "media_type": "text/plain"}}
    cited = {"type": "text", "text": "x", "citations": [{"type": "char_location"}]}
    nested = {"type": "search_result", "source": "s", "title": "t", "content": [cited]}
    messages = [
        {"role": "user", "content": [cited]},
        {"role": "assistant", "content": [doc]},
        {"role": "user", "content": [nested, {"type": "text", "text": "y", "citations": []}]},
    ]
    found = [p.message for p in params_problems(req(messages=messages)["params"], NEW)]
    assert len(found) == 3
    assert "messages.0.content.0: citations" in found[0]
    assert "messages.1.content.0: document blocks" in found[1]
    assert "messages.2.content.0: citations" in found[2]
    assert params_problems(req(messages=messages)["params"], OLD) == []


def test_count_and_size_limits() -> None:
    assert "at least 1 request" in problems_of([])[0]
    assert (
        "3 requests; a batch holds at most 2"
        in problems_of([req("a"), req("b"), req("c")], max_requests=2)[0]
    )
    assert "a batch holds at most 100" in problems_of([req("a")], max_bytes=100)[0]


def test_not_json_serializable_and_non_iterables() -> None:
    assert "cannot be sent as JSON" in problems_of([req("a", metadata={"x": object()})])[0]
    assert "cannot be sent as JSON" in problems_of([req("a", metadata={"x": float("nan")})])[0]
    assert "not a single str" in problems_of("abc")[0]  # type: ignore[arg-type]


def test_unknown_top_level_field() -> None:
    found = problems_of([{**req("a"), "extra": 1}])
    assert found == [
        "requests[0] custom_id='a' extra: unknown field; a request has custom_id and params"
    ]


def test_message_is_capped_but_problems_kept() -> None:
    with pytest.raises(BatchValidationError) as info:
        serialize_requests([req(f"bad id {i}") for i in range(50)], NEW)
    assert len(info.value.problems) == 50
    assert "... and 30 more" in str(info.value)
    assert str(info.value).startswith("50 problems in the batch requests; nothing was sent")


_AWKWARD = [
    "plain",
    "caf\u00e9 \u6771\u4eac \U0001f600",
    "line\nbreak\ttab \x00\x1f\x7f",
    'quote " backslash \\ slash /',
    "\u2028\u2029 separators",
    "",
]
_NUMBERS = [0, -0.0, 0.5, 1.0, 1e-4, 3.14159, 1e15, 1e16, 1e-5, 2.5e-300, 1e300, 10**30, -7]


def test_body_bytes_equal_json_dumps_whatever_the_data() -> None:
    # The size limits (and the splitting of a job) count the bytes `json.dumps` makes, so the
    # body sent must be those bytes exactly, whichever encoder made them.
    requests = [
        req(
            f"r{i}",
            system=text,
            metadata={"user_id": text, "n": number, "list": [number, text, None, True]},
            stop_sequences=[text, "end"],
        )
        for i, (text, number) in enumerate((t, n) for t in _AWKWARD for n in _NUMBERS)
    ]
    body = serialize_requests(requests, OLD)
    expected = json.dumps(
        {"requests": requests}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    assert body == expected


def test_values_json_cannot_send_are_problems_whatever_the_encoder() -> None:
    for bad in ({1, 2}, b"bytes", float("inf"), "lone \ud800 surrogate"):
        found = problems_of([req("a"), req("b", metadata={"x": bad})])
        assert len(found) == 1
        assert found[0].startswith("requests[1] custom_id='b' params: cannot be sent as JSON")
    # What `json.dumps` turns into JSON goes as it does: a tuple, a key that is a number.
    body = serialize_requests([req("a", stop_sequences=("x", "y"), metadata={3: "v"})], NEW)
    params = json.loads(body)["requests"][0]["params"]
    assert params["stop_sequences"] == ["x", "y"]
    assert params["metadata"] == {"3": "v"}
