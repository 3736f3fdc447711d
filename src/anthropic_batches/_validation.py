"""I/O-free checks of batch requests, and the serialization of a create body.

The client runs these before any network call, so a user learns in milliseconds what the API
would otherwise report after a day of processing; the emulator runs `params_problems` on each
request when a batch is processed, so both judge a request by the same rules (API-FACTS:
"Limits" and "API versions and credentials").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._exceptions import BatchValidationError, Problem
from ._models import BatchRequest

__all__ = [
    "CUSTOM_ID_PATTERN",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_REQUESTS",
    "ParamProblem",
    "custom_id_problem",
    "params_problems",
    "serialize_request",
    "serialize_requests",
]

MAX_BATCH_REQUESTS = 100_000
#: 256 MB of request body; counted in decimal megabytes, the safer reading of the limit.
MAX_BATCH_BYTES = 256_000_000
CUSTOM_ID_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")
#: Sampling parameters that API version 2026-10-21 removed.
REMOVED_IN_2026_10_21 = ("temperature", "top_p", "top_k")
OLD_VERSION = "2023-06-01"
_BODY_OPEN = b'{"requests":['
_BODY_CLOSE = b"]}"


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


def serialize_request(
    index: int, request: object, api_version: str
) -> tuple[str | None, bytes | None, list[Problem]]:
    """Check one request and encode it as compact JSON.

    Returns:
        The request's `custom_id` (when it is a string), its JSON bytes (when it had no
        problem), and the problems found.
    """
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
    if problems:
        return cid, None, problems
    try:
        encoded = json.dumps(
            mapping, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        return cid, None, [Problem(index, cid, "params", f"cannot be sent as JSON: {exc}")]
    return cid, encoded, []


def serialize_requests(
    requests: Iterable[object],
    api_version: str,
    *,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> bytes:
    """Check every request and build the create body in one pass.

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
    parts: list[bytes] = []
    seen: dict[str, int] = {}
    size = len(_BODY_OPEN) + len(_BODY_CLOSE)
    count = 0
    for index, request in enumerate(requests):
        count += 1
        cid, encoded, found = serialize_request(index, request, api_version)
        problems.extend(found)
        if cid is not None and not custom_id_problem(cid):
            first = seen.setdefault(cid, index)
            if first != index:
                problems.append(
                    Problem(
                        index, cid, "custom_id", f"duplicate: already used by requests[{first}]"
                    )
                )
        if encoded is not None and not problems:
            parts.append(encoded)
            size += len(encoded) + 1
    if count == 0:
        problems.append(Problem(None, None, None, "a batch needs at least 1 request"))
    elif count > max_requests:
        problems.append(
            Problem(None, None, None, f"{count} requests; a batch holds at most {max_requests}")
        )
    if not problems and size - 1 > max_bytes:
        problems.append(
            Problem(
                None,
                None,
                None,
                f"the request body is {size - 1:,} bytes; a batch holds at most {max_bytes:,}",
            )
        )
    if problems:
        raise BatchValidationError(problems)
    return _BODY_OPEN + b",".join(parts) + _BODY_CLOSE
