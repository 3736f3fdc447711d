"""I/O-free checks of batch requests, and the serialization of a create body.

The client runs these before any network call, so a user learns in milliseconds what the API
would otherwise report after a day of processing; the emulator runs `params_problems` on each
request when a batch is processed, so both judge a request by the same rules (API-FACTS:
"Limits" and "API versions and credentials").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from ._exceptions import BatchValidationError, Problem
from ._facts import (
    BODY_CLOSE,
    BODY_OPEN,
    CUSTOM_ID_PATTERN,
    DEFAULT_API_VERSION,
    MAX_BATCH_BYTES,
    MAX_BATCH_REQUESTS,
    OLD_API_VERSION,
    VERSION_RULES,
)
from ._models import BatchRequest

__all__ = [
    "CUSTOM_ID_PATTERN",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_REQUESTS",
    "EncodedRequests",
    "ParamProblem",
    "check_request",
    "custom_id_problem",
    "encode_requests",
    "params_problems",
    "serialize_request",
]

REMOVED_IN_2026_10_21 = VERSION_RULES[DEFAULT_API_VERSION].removed_params
OLD_VERSION = OLD_API_VERSION
_BODY_OPEN = BODY_OPEN
_BODY_CLOSE = BODY_CLOSE


@dataclass(frozen=True)
class ParamProblem:
    """One problem in a request's `params`.

    Attributes:
        field: The path inside the request, e.g. `"params.temperature"`.
        message: The problem, worded as the API words it.
        version_rule: Whether it is a rule of API version 2026-10-21 only.
    """

    field: str
    message: str
    version_rule: bool = False


def custom_id_problem(custom_id: object) -> str | None:
    """Why a `custom_id` is not acceptable, or `None` when it is."""
    if not isinstance(custom_id, str):
        return f"must be a string of 1 to 64 characters, not {type(custom_id).__name__}"
    if not CUSTOM_ID_PATTERN.fullmatch(custom_id):
        if not custom_id:
            return "must not be empty"
        if len(custom_id) > 64:
            return f"is {len(custom_id)} characters long; at most 64 are allowed"
        bad = sorted({c for c in custom_id if not CUSTOM_ID_PATTERN.fullmatch(c)})
        return "may only hold letters, digits, '_' and '-'; found " + ", ".join(
            repr(c) for c in bad[:5]
        )
    return None


def params_problems(params: object, api_version: str) -> list[ParamProblem]:
    """What is wrong with one request's `params` under an API version."""
    if not isinstance(params, Mapping):
        return [ParamProblem("params", f"must be an object, not {type(params).__name__}")]
    found: list[ParamProblem] = []
    if not isinstance(params.get("model"), str) or not params.get("model"):
        found.append(ParamProblem("params.model", "model: Field required"))
    max_tokens = params.get("max_tokens")
    if max_tokens is None:
        found.append(ParamProblem("params.max_tokens", "max_tokens: Field required"))
    elif not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        found.append(
            ParamProblem("params.max_tokens", "max_tokens: Input should be a valid integer")
        )
    elif max_tokens < 1:
        found.append(ParamProblem("params.max_tokens", "max_tokens: must be at least 1"))
    messages = params.get("messages")
    if messages is None:
        found.append(ParamProblem("params.messages", "messages: Field required"))
    elif not isinstance(messages, list) or not messages:
        found.append(
            ParamProblem("params.messages", "messages: must be a non-empty list of messages")
        )
    if api_version != OLD_VERSION:
        found.extend(_version_problems(params))
    return found


def _version_problems(params: Mapping[str, Any]) -> list[ParamProblem]:
    found = [
        ParamProblem(f"params.{name}", f"{name}: Extra inputs are not permitted", True)
        for name in REMOVED_IN_2026_10_21
        if name in params
    ]
    messages = params.get("messages")
    if not isinstance(messages, list):
        return found
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("content"), list):
            continue
        role = message.get("role")
        for j, block in enumerate(message["content"]):
            if not isinstance(block, Mapping):
                continue
            where = f"params.messages[{i}].content[{j}]"
            if role == "assistant" and block.get("type") == "document":
                found.append(
                    ParamProblem(
                        where,
                        f"messages.{i}.content.{j}: document blocks are not permitted in "
                        "assistant messages",
                        True,
                    )
                )
            elif role == "user" and _has_citations(block):
                found.append(
                    ParamProblem(
                        where,
                        f"messages.{i}.content.{j}: citations are not permitted on text "
                        "blocks in user messages",
                        True,
                    )
                )
    return found


def _has_citations(block: Mapping[str, Any]) -> bool:
    kind = block.get("type")
    if kind == "text":
        return bool(block.get("citations"))
    if kind == "search_result" and isinstance(block.get("content"), list):
        return any(isinstance(b, Mapping) and _has_citations(b) for b in block["content"])
    return False


def _as_mapping(request: object) -> Mapping[str, Any] | None:
    if isinstance(request, BatchRequest):
        return request.model_dump(mode="json", exclude_unset=False)
    if isinstance(request, Mapping):
        return request
    return None


def check_request(
    index: int, request: object, api_version: str
) -> tuple[str | None, Mapping[str, Any] | None, list[Problem]]:
    """Check one request without encoding it.

    Returns:
        The request's `custom_id` (when it is a string), the request as a mapping (when it
        is one), and the problems found.
    """
    if _plain_and_valid(request, api_version):
        assert isinstance(request, dict)
        return request["custom_id"], request, []
    mapping = _as_mapping(request)
    if mapping is None:
        what = type(request).__name__
        msg = f"must be a BatchRequest or a dict with custom_id and params, not {what}"
        return None, None, [Problem(index, None, None, msg)]
    custom_id = mapping.get("custom_id")
    cid = custom_id if isinstance(custom_id, str) else None
    problems: list[Problem] = []
    if "custom_id" not in mapping:
        problems.append(Problem(index, None, "custom_id", "Field required"))
    else:
        reason = custom_id_problem(custom_id)
        if reason:
            problems.append(Problem(index, cid, "custom_id", reason))
    extra = sorted(set(mapping) - {"custom_id", "params"})
    if extra:
        problems.append(
            Problem(index, cid, extra[0], "unknown field; a request has custom_id and params")
        )
    if "params" not in mapping:
        problems.append(Problem(index, cid, "params", "Field required"))
    else:
        for p in params_problems(mapping["params"], api_version):
            msg = p.message
            if p.version_rule:
                msg += (
                    f" under api_version={api_version!r}; "
                    f'api_version="{OLD_VERSION}" still accepts it'
                )
            problems.append(Problem(index, cid, p.field, msg))
    return cid, mapping, problems


def _plain_and_valid(request: object, api_version: str) -> bool:
    """Whether a request is a plain dict that passes every check, by a quick test that
    covers the common shape (issue 6: creates of 100,000 requests). `False` means only
    "look closer": the full checks then decide, and word the problems."""
    if type(request) is not dict or len(request) != 2:
        return False
    custom_id = request.get("custom_id")
    params = request.get("params")
    if (
        type(custom_id) is not str
        or type(params) is not dict
        or CUSTOM_ID_PATTERN.fullmatch(custom_id) is None
    ):
        return False
    model = params.get("model")
    max_tokens = params.get("max_tokens")
    messages = params.get("messages")
    if (
        type(model) is not str
        or not model
        or type(max_tokens) is not int
        or max_tokens < 1
        or type(messages) is not list
        or not messages
    ):
        return False
    if api_version == OLD_VERSION:
        return True
    if "temperature" in params or "top_p" in params or "top_k" in params:
        return False
    # Only list contents can break a version rule; plain string contents are fine.
    return all(type(m) is dict and type(m.get("content")) is str for m in messages)


def _encode(value: object) -> bytes:
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
    so copies it neither to join it nor to write it), which saves more than that (issue 6).
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


def _encode_fast(value: object) -> bytes:
    """`value` as compact UTF-8 JSON: pydantic-core's encoder for plain data, else `json`.

    Raises:
        TypeError, ValueError: It cannot be sent as JSON (`json` says why).
    """
    if _plain(value):
        try:
            return to_json(value)
        except PydanticSerializationError:
            pass  # e.g. a lone surrogate in a string: `json` says what is wrong
    return _encode(value)


def serialize_request(
    index: int, request: object, api_version: str
) -> tuple[str | None, bytes | None, list[Problem]]:
    """Check one request and encode it as compact JSON.

    Returns:
        The request's `custom_id` (when it is a string), its JSON bytes (when it had no
        problem), and the problems found.
    """
    cid, mapping, problems = check_request(index, request, api_version)
    if problems or mapping is None:
        return cid, None, problems
    try:
        encoded = _encode_fast(mapping)
    except (TypeError, ValueError) as exc:
        return cid, None, [Problem(index, cid, "params", f"cannot be sent as JSON: {exc}")]
    return cid, encoded, []


#: Requests encoded per call: one call per request costs more in set-up than in encoding,
#: one call for the whole batch would hold the body twice. Small enough that a request which
#: is not plain data sends only its own chunk through `json`.
_ENCODE_CHUNK = 128


class _BodyWriter:
    """Encodes checked requests a chunk at a time into the parts of the create body.

    The parts, joined, are `{"requests":[...]}` byte for byte as when each request is
    encoded alone; they are kept apart, so the body is never copied whole.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = [_BODY_OPEN]
        self.size = len(_BODY_OPEN) + len(_BODY_CLOSE)
        self.pending: list[Mapping[str, Any]] = []
        self.indices: list[int] = []

    def add(self, index: int, mapping: Mapping[str, Any], problems: list[Problem]) -> None:
        self.pending.append(mapping)
        self.indices.append(index)
        if len(self.pending) >= _ENCODE_CHUNK:
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
            encoded = _encode_fast(pending)[1:-1]
        except (TypeError, ValueError):
            # Find which requests cannot be encoded, and say so for each.
            for index, mapping in zip(indices, pending, strict=True):
                try:
                    _encode(mapping)
                except (TypeError, ValueError) as exc:
                    cid = mapping.get("custom_id")
                    cid = cid if isinstance(cid, str) else None
                    problems.append(Problem(index, cid, "params", f"cannot be sent as JSON: {exc}"))
            return
        if not keep:
            return
        if len(self.parts) > 1:
            self.parts.append(b",")
            self.size += 1
        self.parts.append(encoded)
        self.size += len(encoded)

    def body(self) -> EncodedRequests:
        self.parts.append(_BODY_CLOSE)
        parts, self.parts = self.parts, []
        return EncodedRequests(parts, self.size)


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
    if isinstance(requests, (str, bytes, Mapping)):
        raise BatchValidationError(
            [
                Problem(
                    None,
                    None,
                    None,
                    "requests must be an iterable of requests, not a single "
                    f"{type(requests).__name__}",
                )
            ]
        )
    problems: list[Problem] = []
    writer = _BodyWriter()
    seen: dict[str, int] = {}
    count = 0
    for index, request in enumerate(requests):
        count += 1
        cid, mapping, found = check_request(index, request, api_version)
        if found:
            problems.extend(found)
        elif mapping is not None:
            writer.add(index, mapping, problems)
        if cid is not None and (not found or not custom_id_problem(cid)):
            first = seen.setdefault(cid, index)
            if first != index:
                problems.append(
                    Problem(
                        index, cid, "custom_id", f"duplicate: already used by requests[{first}]"
                    )
                )
    writer.flush(problems)
    # Encoding problems are found a chunk at a time: put them back in request order.
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    if count == 0:
        problems.append(Problem(None, None, None, "a batch needs at least 1 request"))
    elif count > max_requests:
        problems.append(
            Problem(None, None, None, f"{count} requests; a batch holds at most {max_requests}")
        )
    size = writer.size
    if not problems and size > max_bytes:
        problems.append(
            Problem(
                None,
                None,
                None,
                f"the request body is {size:,} bytes; a batch holds at most {max_bytes:,}",
            )
        )
    if problems:
        raise BatchValidationError(problems)
    return writer.body()
