"""The models fed arbitrary JSON: valid payloads round-trip, unknown types and extra fields are
kept, and nothing but a validation error ever escapes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from reliability.strategies import (
    custom_ids,
    encode,
    extras,
    json_objects,
    json_values,
    result_lines,
    unknown_blocks,
)
from reliability.support import counts_recorded_at_end, examples

from anthropic_batches import (
    BatchResult,
    DeletedMessageBatch,
    ErrorResponse,
    MessageBatch,
    Page,
    ResultsDecodeError,
    SucceededResult,
    UnknownBlock,
    UnknownResult,
)
from anthropic_batches._jsonl import parse_result

STATS = {"round_trips": 0, "arbitrary": 0, "validation_errors": 0, "unknown_kept": 0}
_record_counts = counts_recorded_at_end("models", STATS)
MODELS: list[type[Any]] = [BatchResult, MessageBatch, Page[MessageBatch], ErrorResponse]
MODELS.append(DeletedMessageBatch)

timestamps = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
counts = st.fixed_dictionaries(
    {k: st.integers(0, 100_000) for k in ("processing", "succeeded", "errored", "canceled")}
    | {"expired": st.integers(0, 100_000)}
)
batches = st.builds(
    lambda b, x: {**b, **x},
    st.fixed_dictionaries(
        {
            "id": custom_ids.map(lambda s: "msgbatch_" + s),
            "type": st.just("message_batch"),
            "processing_status": st.sampled_from(["in_progress", "canceling", "ended"]),
            "request_counts": counts,
            "created_at": timestamps,
            "expires_at": timestamps,
        },
        optional={
            "ended_at": st.none() | timestamps,
            "archived_at": st.none() | timestamps,
            "cancel_initiated_at": st.none() | timestamps,
            "results_url": st.none() | st.just("https://api.anthropic.com/v1/x/results"),
        },
    ),
    extras,
)


TIMESTAMPS = ("created_at", "expires_at", "ended_at", "archived_at", "cancel_initiated_at")


def _instants(data: dict[str, Any]) -> dict[str, Any]:
    """Timestamps compared as instants (`.000000Z` and `Z` are the same time)."""
    out = dict(data)
    for name in TIMESTAMPS:
        if isinstance(out.get(name), str):
            out[name] = datetime.fromisoformat(out[name])
    return out


def _same_json(model: Any, payload: dict[str, Any]) -> None:
    dumped = json.loads(model.model_dump_json(exclude_unset=True))
    assert _instants(dumped) == _instants(payload)
    STATS["round_trips"] += 1


@examples(fast=150, long=10_000)
@given(result_lines)
def test_results_round_trip(payload: dict[str, Any]) -> None:
    result = BatchResult.model_validate(payload)
    _same_json(result, payload)
    _same_json(BatchResult.model_validate_json(encode(payload)), payload)
    if isinstance(result.result, UnknownResult):
        assert result.result.type == payload["result"]["type"]
        STATS["unknown_kept"] += 1


@examples(fast=100, long=5_000)
@given(batches)
def test_batches_round_trip(payload: dict[str, Any]) -> None:
    batch = MessageBatch.model_validate_json(encode(payload))
    _same_json(batch, payload)
    page = Page[MessageBatch].model_validate({"data": [payload], "has_more": False})
    _same_json(page.data[0], payload)


@examples(fast=100, long=5_000)
@given(unknown_blocks, extras)
def test_unknown_blocks_keep_every_field(block: dict[str, Any], extra: dict[str, Any]) -> None:
    message = {
        "id": "msg_1",
        "model": "m",
        "content": [{**block, **extra}],
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    payload = {"custom_id": "a", "result": {"type": "succeeded", "message": message}}
    parsed = parse_result(1, encode(payload))
    assert isinstance(parsed.result, SucceededResult)
    kept = parsed.result.message.content[0]
    assert isinstance(kept, UnknownBlock)
    assert kept.model_dump() == {**block, **extra}
    STATS["unknown_kept"] += 1


@examples(fast=300, long=20_000)
@given(json_values, st.sampled_from(MODELS))
def test_arbitrary_json_only_validation_errors(value: Any, model: type[Any]) -> None:
    STATS["arbitrary"] += 1
    try:
        model.model_validate(value)
        model.model_validate_json(encode(value))
    except ValidationError:
        STATS["validation_errors"] += 1


@examples(fast=300, long=20_000)
@given(json_objects, custom_ids)
def test_arbitrary_result_objects(result: dict[str, Any], custom_id: str) -> None:
    """A result object of any shape: parsed, or ResultsDecodeError; never anything else."""
    STATS["arbitrary"] += 1
    line = encode({"custom_id": custom_id, "result": result})
    error: ResultsDecodeError | None = None
    try:
        parsed = parse_result(3, line)
    except ResultsDecodeError as exc:
        error = exc
    if error is not None:
        assert error.line_number == 3
        STATS["validation_errors"] += 1
    else:
        assert parsed.json_line() == line


UNHASHABLE_TYPES = [
    pytest.param(b'{"custom_id":"a","result":{"type":[1]}}', id="result type a list"),
    pytest.param(b'{"custom_id":"a","result":{"type":{}}}', id="result type an object"),
    pytest.param(
        b'{"custom_id":"a","result":{"type":"succeeded","message":{"id":"m","model":"x",'
        b'"usage":{},"content":[{"type":["text"]}]}}}',
        id="content block type a list",
    ),
]


@pytest.mark.parametrize("line", UNHASHABLE_TYPES)
def test_unhashable_type_is_a_validation_error(line: bytes) -> None:
    """A list or object `type` once raised TypeError (the union tags were looked up in a
    frozenset); fixed in 51de116, kept as a regression test."""
    with pytest.raises(ResultsDecodeError) as caught:
        parse_result(5, line)
    assert caught.value.line_number == 5
