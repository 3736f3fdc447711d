"""The one request checker: codes and fields, the quick path held to the full checks, and
each request checked and encoded once on the way from a file to a job's create bodies."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import checked_request as req
from hypothesis import given, settings
from hypothesis import strategies as st

from anthropic_batches import (
    BatchRequest,
    BatchValidationError,
    CanceledResult,
    ErroredResult,
    ExpiredResult,
    SucceededResult,
    _encoding,
    _validation,
)
from anthropic_batches._encoding import encode_requests
from anthropic_batches._facts import API_VERSIONS, RESULT_TYPES, VERSION_RULES
from anthropic_batches._requests_file import RequestsFileError, read_requests
from anthropic_batches._split import split_requests
from anthropic_batches._validation import RequestChecker, full_check

NEW, OLD = API_VERSIONS


def codes(requests: list[Any], version: str = NEW) -> list[tuple[int | None, str, str | None]]:
    with pytest.raises(BatchValidationError) as info:
        encode_requests(requests, version)
    return [(p.index, p.code, p.field) for p in info.value.problems]


def test_every_rule_has_a_code_and_a_field() -> None:
    doc = {"type": "document", "source": {"type": "text", "data": "x"}}
    found = codes(
        [
            "not a request",
            {"params": req()["params"]},
            req("bad id"),
            req("ok"),
            req("ok"),
            {**req("x"), "extra": 1},
            {"custom_id": "np"},
            {"custom_id": "po", "params": []},
            req("mt", max_tokens=0, model=None),
            req("t", temperature=1),
            req("d", messages=[{"role": "assistant", "content": [doc]}]),
            req("j", metadata={"x": {1, 2}}),
        ]
    )
    assert found == [
        (0, "not_a_request", None),
        (1, "missing_field", "custom_id"),
        (2, "invalid_custom_id", "custom_id"),
        (4, "duplicate_custom_id", "custom_id"),
        (5, "unknown_field", "extra"),
        (6, "missing_field", "params"),
        (7, "invalid_params", "params"),
        (8, "missing_param", "params.model"),
        (8, "invalid_param", "params.max_tokens"),
        (9, "version_rule", "params.temperature"),
        (10, "version_rule", "params.messages[0].content[0]"),
        (11, "not_json", "params"),
    ]


def test_batch_level_problems_have_codes() -> None:
    assert codes([]) == [(None, "no_requests", None)]
    with pytest.raises(BatchValidationError) as info:
        encode_requests([req("a"), req("b")], NEW, max_requests=1)
    assert [p.code for p in info.value.problems] == ["too_many_requests"]
    with pytest.raises(BatchValidationError) as info:
        encode_requests([req("a")], NEW, max_bytes=50)
    assert [p.code for p in info.value.problems] == ["body_too_large"]
    with pytest.raises(BatchValidationError) as info:
        encode_requests(req("a"), NEW)
    assert [p.code for p in info.value.problems] == ["not_iterable"]


def test_a_duplicate_names_the_first_use() -> None:
    checker = RequestChecker(NEW)
    assert not checker.check(3, req("a")).problems
    again = checker.check(9, req("a"))
    assert again.first == 3
    assert [str(p) for p in again.problems] == [
        "requests[9] custom_id='a' custom_id: duplicate of requests[3]"
    ]
    # A custom_id that is itself invalid is reported as such, not also as a duplicate.
    assert [p.code for p in checker.check(10, req("b c")).problems] == ["invalid_custom_id"]
    assert [p.code for p in checker.check(11, req("b c")).problems] == ["invalid_custom_id"]


# -- the quick path and the full checks give the same verdict -----------------------------------


_text = st.text(alphabet="ab _-\u00e9", max_size=4)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), _text, st.floats(0, 2))
_block = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": _text}),
    st.fixed_dictionaries(
        {"type": st.just("text"), "text": _text, "citations": st.lists(st.just({}), max_size=1)}
    ),
    st.fixed_dictionaries({"type": st.just("document"), "source": st.just({})}),
    st.fixed_dictionaries(
        {
            "type": st.just("search_result"),
            "content": st.lists(
                st.fixed_dictionaries({"type": st.just("text"), "citations": st.just([{}])}),
                max_size=1,
            ),
        }
    ),
    _scalar,
)
_blocks = st.lists(_block, min_size=1, max_size=2)
_message = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": _text})
_valid = st.builds(
    lambda cid, tokens, messages: {
        "custom_id": cid,
        "params": {"model": "claude-opus-5", "max_tokens": tokens, "messages": messages},
    },
    st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True),
    st.integers(1, 5),
    st.lists(_message, min_size=1, max_size=3),
)


def _set(*path: str) -> Any:
    """A change that sets the value at `path` (drawn when applied)."""

    def change(request: dict[str, Any], value: Any) -> None:
        target = request
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(*path: str) -> Any:
    def change(request: dict[str, Any], value: Any) -> None:
        target = request
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _content(request: dict[str, Any], value: Any) -> None:
    request["params"]["messages"][0]["content"] = value


def _first_message(request: dict[str, Any], value: Any) -> None:
    request["params"]["messages"][0] = value


def _role(request: dict[str, Any], value: Any) -> None:
    request["params"]["messages"][0]["role"] = value


#: Each breaks (or may break) one rule; a request gets none, one or two of them.
_CHANGES: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (_set("custom_id"), st.one_of(_text, _scalar, st.just("x" * 65))),
    (_drop("custom_id"), st.none()),
    (_drop("params"), st.none()),
    (_set("extra"), _scalar),
    (_set("params"), _scalar),
    (_set("params", "model"), _scalar),
    (_drop("params", "model"), st.none()),
    (_set("params", "max_tokens"), st.one_of(_scalar, st.just(0), st.just(True))),
    (_drop("params", "max_tokens"), st.none()),
    (_set("params", "messages"), st.one_of(_scalar, st.just([]))),
    (_drop("params", "messages"), st.none()),
    (_set("params", "temperature"), st.floats(0, 1)),
    (_set("params", "top_p"), st.floats(0, 1)),
    (_set("params", "top_k"), st.integers(0, 5)),
    (_set("params", "system"), _text),
    (_content, st.one_of(st.lists(_block, max_size=3), _scalar)),
    (_first_message, st.fixed_dictionaries({"role": st.just("assistant"), "content": _blocks})),
    (_first_message, st.fixed_dictionaries({"role": st.just("user"), "content": _blocks})),
    (_role, st.sampled_from(["user", "assistant", 1])),
    (_set("params", "betas"), st.just(["message-batches-2024-09-24"])),
    (_set("params", "extra_body"), st.just({})),
    (_set("params", "extra_headers"), st.just({"x": "y"})),
    (_set("params", "extra_query"), st.none()),
    (_set("params", "timeout"), st.floats(1, 600)),
    (_set("params", "stream"), st.one_of(st.booleans(), st.none(), _scalar)),
]


@st.composite
def _request(draw: st.DrawFn, first: int | None) -> Any:
    """A valid request with the change `first` (if any) and maybe one more made to it."""
    request = draw(_valid)
    more = draw(st.lists(st.integers(0, len(_CHANGES) - 1), max_size=1))
    for index in ([] if first is None else [first]) + more:
        change, values = _CHANGES[index]
        # An earlier change may have removed or replaced what this one changes.
        with contextlib.suppress(KeyError, TypeError, IndexError):
            change(request, draw(values))
    return request


@pytest.mark.parametrize("change", [None, *range(len(_CHANGES))])
@settings(max_examples=60, deadline=None)
@given(data=st.data(), version=st.sampled_from(API_VERSIONS))
def test_quick_path_and_full_checks_agree(change: int | None, data: Any, version: str) -> None:
    request = data.draw(st.one_of(_request(change), _request(change), _scalar))
    quick = RequestChecker(version).check(0, request)
    full = full_check(0, request, version)
    assert quick.problems == full.problems
    assert quick.custom_id == full.custom_id


def test_every_served_version_has_its_rules() -> None:
    assert set(VERSION_RULES) == set(API_VERSIONS)
    assert not VERSION_RULES[OLD].any
    assert VERSION_RULES[NEW].removed_params == ("temperature", "top_p", "top_k")


# -- checked once, encoded once -------------------------------------------------------------


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"check": 0, "encode": 0}
    check, encode = RequestChecker.check, _encoding.encode_json

    def counted_check(self: RequestChecker, position: int, request: object) -> Any:
        calls["check"] += 1
        return check(self, position, request)

    def counted_encode(value: object, **options: Any) -> bytes:
        calls["encode"] += 1
        return encode(value, **options)

    monkeypatch.setattr(RequestChecker, "check", counted_check)
    for module in ("_encoding", "_split", "_requests_file"):
        monkeypatch.setattr(f"anthropic_batches.{module}.encode_json", counted_encode)
    assert _validation.RequestChecker.check is counted_check
    return calls


def test_a_requests_file_is_checked_and_encoded_once_for_a_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "requests.jsonl"
    # Floats (written differently by the two encoders past some exponents) and text that
    # JSON escapes: what is sent is still what `json.dumps` writes.
    awkward = [1e16, 1e-5, 0.5, 2.5e-300, 10**30, 'caf\u00e9 \u2028 \x00 "q"']
    lines = [req(f"r{i}", metadata={"v": awkward[i % len(awkward)]}) for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    calls = _count_calls(monkeypatch)
    parts = split_requests(read_requests(path), max_requests=4)
    assert calls == {"check": 10, "encode": 10}
    bodies = [part.body() for part in parts]  # lines not written compactly: encoded again
    assert [len(p) for p in parts] == [4, 4, 2]
    # What is sent for each part is what `create` would send for its requests.
    for part, body in zip(parts, bodies, strict=True):
        assert bytes(body) == bytes(encode_requests(part.read_requests(), NEW))
        assert body.size == len(bytes(body)) == part.size
    sent = [r for body in bodies for r in json.loads(bytes(body))["requests"]]
    assert sent == lines
    assert (
        bytes(bodies[0])
        == json.dumps({"requests": lines[:4]}, ensure_ascii=False, separators=(",", ":")).encode()
    )


def test_a_requests_file_with_nan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(req("a", temperature=float("nan"))) + "\n")
    with pytest.raises(RequestsFileError, match="cannot be sent as JSON"):
        list(read_requests(path, api_version=OLD))


def test_requests_from_python_are_checked_and_encoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_calls(monkeypatch)
    requests = [req(f"r{i}") for i in range(5)] + [BatchRequest(**req("model"))]
    parts = split_requests(requests, max_requests=2)
    assert calls == {"check": 6, "encode": 6}
    assert [r["custom_id"] for p in parts for r in p.read_requests()] == [
        "r0",
        "r1",
        "r2",
        "r3",
        "r4",
        "model",
    ]


def test_a_file_line_names_line_and_reason_by_code(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [req("a"), req("a"), {**req("b"), "extra": 1}, {"custom_id": "c", "params": 3}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(RequestsFileError) as info:
        list(read_requests(path))
    assert [str(p).split(": ", 1)[1] for p in info.value.problems] == [
        "duplicate custom_id 'a' (first used on line 1)",
        "unknown field 'extra'; a request has only custom_id and params",
        "params: must be an object, not int",
    ]


def test_the_models_know_exactly_the_result_types_of_the_facts() -> None:
    tags = [
        cls.model_fields["type"].default
        for cls in (SucceededResult, ErroredResult, CanceledResult, ExpiredResult)
    ]
    assert tags == list(RESULT_TYPES)


# -- keys of the SDKs' calls put inside params -------------------------------------------------


def test_sdk_only_keys_and_stream_are_refused_before_sending_each_request_named() -> None:
    requests = [
        req("a", betas=["x"]),
        req("b"),
        req("c", extra_body={}, timeout=30),
        req("d", extra_headers={}, extra_query={}),
        req("e", stream=True),
        req("f", stream=False),
    ]
    with pytest.raises(BatchValidationError) as info:
        encode_requests(requests, NEW)
    found = [(p.custom_id, p.code, p.field) for p in info.value.problems]
    assert found == [
        ("a", "sdk_only_key", "params.betas"),
        ("c", "sdk_only_key", "params.extra_body"),
        ("c", "sdk_only_key", "params.timeout"),
        ("d", "sdk_only_key", "params.extra_headers"),
        ("d", "sdk_only_key", "params.extra_query"),
        ("e", "stream", "params.stream"),
    ]
    messages = {p.field: p.message for p in info.value.problems}
    assert "create(betas=...)" in messages["params.betas"]
    assert "timeout on the client or on create(timeout=...)" in messages["params.timeout"]
    assert "leave stream out" in messages["params.stream"]
    # The older API version refuses them just the same.
    assert [c for _, c, _ in codes([req("a", betas=["x"])], OLD)] == ["sdk_only_key"]


def test_sdk_only_keys_are_refused_for_a_job_and_in_a_requests_file(tmp_path: Path) -> None:
    with pytest.raises(BatchValidationError, match="betas"):
        split_requests([req("a"), req("b", betas=["x"])])
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(req("a", timeout=5)) + "\n" + json.dumps(req("b")) + "\n")
    with pytest.raises(RequestsFileError) as info:
        list(read_requests(path))
    [problem] = info.value.problems
    assert problem.line == 1
    assert "timeout: Extra inputs are not permitted" in str(problem)
    assert "create(timeout=...)" in str(problem)
