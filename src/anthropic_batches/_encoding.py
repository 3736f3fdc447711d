"""Encoding checked requests into a create body (I/O-free).

The rules a request must follow live in `_validation`; this module only turns requests that
passed them into bytes: compact UTF-8 JSON, the same bytes as `json.dumps` with
`separators=(",", ":")` and `ensure_ascii=False`, written in parts so that a body of 256 MB
is never copied whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from ._exceptions import BatchValidationError, Problem
from ._facts import BODY_CLOSE, BODY_OPEN, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from ._validation import RequestChecker, batch_problems, not_iterable_problem

__all__ = [
    "EncodedRequests",
    "body_from_encoded",
    "encode_json",
    "encode_requests",
    "encoding_problem",
]


def _encode_stdlib(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def _plain(value: object) -> bool:
    """Whether a value is plain JSON data: dicts with string keys, lists, strings, ints,
    bools, `None` and finite floats, of exactly those types.

    Such data is encoded by pydantic-core's serializer, several times faster than `json`
    and to the same bytes; anything else goes through `json.dumps`, whose rules (no NaN, no
    sets, no objects) stay the rules of what can be sent. Floats only where both write the
    same digits (they differ in how they write exponents).

    The price: pydantic-core reads a non-ASCII string through its UTF-8 form, which CPython
    then keeps inside the string object. A create grows the caller's requests by about the
    UTF-8 size of their non-ASCII text; it sends the body in parts instead of joined (and
    so copies it neither to join it nor to write it), which saves more than that.
    """
    # A loop over a stack, not recursion: this visits every value of every request.
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            for key in item:  # type: ignore[attr-defined]
                if type(key) is not str:
                    return False
            push(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            push(item)  # type: ignore[arg-type]
        elif kind is float:
            size: float = abs(item)  # type: ignore[arg-type]
            if not (size == 0.0 or 1e-4 <= size < 1e16):
                return False
        else:
            return False
    return True


def encode_json(value: object, *, plain: bool = False) -> bytes:
    """`value` as compact UTF-8 JSON: pydantic-core's encoder for plain data, else `json`.

    Args:
        value: What to encode.
        plain: The caller knows `value` is plain JSON data without floats (e.g. it was just
            decoded from JSON holding no number with a fraction or an exponent), so the
            walk over it that decides is skipped.

    Raises:
        TypeError, ValueError: It cannot be sent as JSON (`json` says why).
    """
    if plain or _plain(value):
        try:
            return to_json(value)
        except PydanticSerializationError:
            pass  # e.g. a lone surrogate in a string: `json` says what is wrong
    return _encode_stdlib(value)


def encoding_problem(index: int | None, request: Mapping[str, Any]) -> Problem | None:
    """The problem of a request that cannot be sent as JSON, or `None` when it can."""
    try:
        _encode_stdlib(request)
    except (TypeError, ValueError) as exc:
        cid = request.get("custom_id")
        cid = cid if isinstance(cid, str) else None
        return Problem(index, cid, "params", f"cannot be sent as JSON: {exc}", "not_json")
    return None


@dataclass(frozen=True)
class EncodedRequests:
    """A checked create body, in parts: joined, they are `{"requests":[...]}`.

    Kept in parts so that the body is never copied whole: the parts are written to the
    connection one after the other (and again, from the start, on a retry).

    Attributes:
        parts: The body's bytes, in order.
        size: Their total length, the body's `content-length`.
    """

    parts: list[bytes]
    size: int

    def __bytes__(self) -> bytes:
        return b"".join(self.parts)


#: Requests encoded (or joined) per part of a body: one call per request costs more in
#: set-up than in encoding, one call for the whole batch would hold the body twice. Small
#: enough that a request which is not plain data sends only its own chunk through `json`.
_CHUNK = 128


def body_from_encoded(encoded: Sequence[bytes]) -> EncodedRequests:
    """The create body of requests encoded one by one (see `encode_json`)."""
    parts = [BODY_OPEN]
    size = len(BODY_OPEN) + len(BODY_CLOSE)
    for start in range(0, len(encoded), _CHUNK):
        chunk = b",".join(encoded[start : start + _CHUNK])
        if start:
            parts.append(b",")
            size += 1
        parts.append(chunk)
        size += len(chunk)
    parts.append(BODY_CLOSE)
    return EncodedRequests(parts, size)


class _BodyWriter:
    """Encodes checked requests a chunk at a time into the parts of the create body.

    The parts, joined, are `{"requests":[...]}` byte for byte as when each request is
    encoded alone; they are kept apart, so the body is never copied whole.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = [BODY_OPEN]
        self.size = len(BODY_OPEN) + len(BODY_CLOSE)
        self.pending: list[Mapping[str, Any]] = []
        self.indices: list[int] = []

    def add(self, index: int, mapping: Mapping[str, Any], problems: list[Problem]) -> None:
        self.pending.append(mapping)
        self.indices.append(index)
        if len(self.pending) >= _CHUNK:
            self.flush(problems)

    def flush(self, problems: list[Problem]) -> None:
        """Encode the pending requests; a request that cannot be encoded is a problem.

        Once there is any problem the body will not be sent, so chunks are still encoded
        (every request is checked) but no longer kept.
        """
        pending, self.pending = self.pending, []
        indices, self.indices = self.indices, []
        if not pending:
            return
        keep = not problems
        try:
            # `[a,b,c]` without its brackets is the requests joined by commas.
            encoded = encode_json(pending)[1:-1]
        except (TypeError, ValueError):
            # Find which requests cannot be encoded, and say so for each.
            for index, mapping in zip(indices, pending, strict=True):
                problem = encoding_problem(index, mapping)
                if problem is not None:
                    problems.append(problem)
            return
        if not keep:
            return
        if len(self.parts) > 1:
            self.parts.append(b",")
            self.size += 1
        self.parts.append(encoded)
        self.size += len(encoded)

    def body(self) -> EncodedRequests:
        self.parts.append(BODY_CLOSE)
        parts, self.parts = self.parts, []
        return EncodedRequests(parts, self.size)


def encode_requests(
    requests: Iterable[object],
    api_version: str,
    *,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> EncodedRequests:
    """Check every request and build the create body in one pass, in parts.

    Raises:
        BatchValidationError: Listing every offending index and why; nothing is sent.
    """
    problem = not_iterable_problem(requests)
    if problem is not None:
        raise BatchValidationError([problem])
    problems: list[Problem] = []
    writer = _BodyWriter()
    checker = RequestChecker(api_version)
    for index, request in enumerate(requests):
        checked = checker.check(index, request)
        if checked.problems:
            problems.extend(checked.problems)
        elif checked.request is not None:
            writer.add(index, checked.request, problems)
    writer.flush(problems)
    # Encoding problems are found a chunk at a time: put them back in request order.
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    problems.extend(
        batch_problems(
            checker.count,
            None if problems else writer.size,
            max_requests=max_requests,
            max_bytes=max_bytes,
        )
    )
    if problems:
        raise BatchValidationError(problems)
    return writer.body()
