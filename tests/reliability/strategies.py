"""Hypothesis strategies of what the API sends: results lines, batches, arbitrary JSON."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

#: Text as JSON carries it: any code point but lone surrogates (not encodable as UTF-8).
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
custom_ids = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)

#: JSON values (a "type" may be anything, a list or an object included).
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | text
scalars_and_floats = scalars | st.floats(allow_nan=False, allow_infinity=False)


def _objects(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = names | text | st.just("type")
    return st.dictionaries(keys, children, max_size=5)


json_values = st.recursive(
    scalars_and_floats, lambda c: st.lists(c, max_size=4) | _objects(c), max_leaves=10
)
json_objects = _objects(json_values)
#: Extra fields a newer API might add (names no model here uses).
extras = st.dictionaries(names.map(lambda n: "x_" + n), json_values, max_size=3)

usage = st.fixed_dictionaries(
    {"input_tokens": st.integers(0, 10**9), "output_tokens": st.integers(0, 10**9)},
    optional={
        "cache_creation_input_tokens": st.none() | st.integers(0, 10**6),
        "cache_read_input_tokens": st.none() | st.integers(0, 10**6),
        "service_tier": st.just("batch"),
    },
)
known_blocks = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": text}),
    st.fixed_dictionaries(
        {"type": st.just("tool_use"), "id": text, "name": text, "input": json_objects}
    ),
    st.fixed_dictionaries({"type": st.just("thinking"), "thinking": text, "signature": text}),
    st.fixed_dictionaries({"type": st.just("redacted_thinking"), "data": text}),
)
unknown_blocks = st.builds(
    lambda kind, fields: {**fields, "type": kind},
    names.filter(lambda n: n not in {"text", "tool_use", "thinking", "redacted_thinking"}),
    json_objects,
)
blocks = st.builds(lambda b, x: {**b, **x}, known_blocks | unknown_blocks, extras)

messages = st.builds(
    lambda m, x: {**m, **x},
    st.fixed_dictionaries(
        {
            "id": text,
            "type": st.just("message"),
            "role": st.just("assistant"),
            "model": text,
            "content": st.lists(blocks, max_size=4),
            "stop_reason": st.none() | text,
            "stop_sequence": st.none() | text,
            "usage": usage,
        }
    ),
    extras,
)
errors = st.fixed_dictionaries(
    {
        "type": st.just("error"),
        "error": st.builds(
            lambda kind, message, x: {"type": kind, "message": message, **x}, names, text, extras
        ),
        "request_id": st.none() | text,
    }
)
results = st.one_of(
    st.fixed_dictionaries({"type": st.just("succeeded"), "message": messages}),
    st.fixed_dictionaries({"type": st.just("errored"), "error": errors}),
    st.fixed_dictionaries({"type": st.just("canceled")}),
    st.fixed_dictionaries({"type": st.just("expired")}),
    st.builds(
        lambda kind, fields: {**fields, "type": kind},
        names.filter(lambda n: n not in {"succeeded", "errored", "canceled", "expired"}),
        json_objects,
    ),
)
result_lines = st.builds(
    lambda cid, result, x: {"custom_id": cid, "result": {**result, **x}, **extras_top(x)},
    custom_ids,
    results,
    extras,
)


def extras_top(x: dict[str, Any]) -> dict[str, Any]:
    """Extra top-level fields too (renamed so they differ from the nested ones)."""
    return {"y" + k: v for k, v in x.items()}


def encode(value: Any) -> bytes:
    """Compact JSON as the API writes it (UTF-8, raw non-ASCII)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
