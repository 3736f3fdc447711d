"""The create call's body: read off the network within the size limit, then checked.

`check_create_body` is the one place the emulator checks the shape of a create body and each
request's `custom_id`; each request's `params` are checked when the batch is processed
(`params_problems`, in the responder), so that a bad request ends `errored` as with the API.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from .._exceptions import Problem, ProblemCode
from .._validation import RequestChecker
from ._errors import Refusal, bad_request
from ._store import Emulator

__all__ = ["check_content_type", "check_create_body", "read_create_body"]

_PARAMS_ENCODER = json.JSONEncoder(separators=(",", ":"))


def check_content_type(request: Request) -> None:
    """Refuse a create body that is not sent as JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        shown = content_type or "none"
        raise bad_request(f"content-type must be application/json, not {shown}")


async def read_create_body(request: Request, emulator: Emulator) -> bytes:
    """The body, counted into `emulator.stats` as it is read.

    Raises:
        Refusal: 413 as soon as the body is known to be larger than `max_body_bytes`.
    """
    limit = emulator.max_body_bytes
    # The connection is closed after the answer, so the rest of a body too large is never
    # even read off the socket (without it, the server drains the whole body to reuse the
    # connection: a client sending 1 GB would send all of it).
    too_large = Refusal(
        413,
        f"Request exceeds the maximum size of {limit} bytes for a message batch.",
        {"connection": "close"},
    )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise bad_request("content-length: must be a whole number of bytes")
        if int(declared) > limit:
            raise too_large
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        emulator.stats.body_bytes_read += len(part)
        if size > limit:
            raise too_large  # stop reading: the rest of the body is never buffered
        parts.append(part)
    return b"".join(parts)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def check_create_body(body: bytes, max_requests: int) -> list[tuple[str, bytes]]:
    """The `(custom_id, params JSON)` pairs of a create body, in order.

    Raises:
        Refusal: 400 naming the first problem: not a JSON object, no `requests` list, too
            many or no requests, a request that is not `{custom_id, params}`, a `custom_id`
            the API refuses or that repeats one before it, or `params` that are not an object.
    """
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise bad_request("request body is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise bad_request(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request(f"request body must be a JSON object, not {_kind(data)}")
    extra = sorted(set(data) - {"requests"})
    if extra:
        raise bad_request(f"{extra[0]}: Extra inputs are not permitted")
    if "requests" not in data:
        raise bad_request("requests: Field required")
    requests = data["requests"]
    if not isinstance(requests, list):
        raise bad_request(f"requests: must be a list of requests, not {_kind(requests)}")
    if not requests:
        raise bad_request("requests: a batch needs at least 1 request")
    if len(requests) > max_requests:
        raise bad_request(
            f"requests: {len(requests)} requests; a batch holds at most {max_requests}"
        )
    checker = RequestChecker(None)  # params are checked when each request is processed
    out: list[tuple[str, bytes]] = []
    for i, item in enumerate(requests):
        checked = checker.check(i, item)
        if checked.problems:
            first = min(checked.problems, key=lambda p: _ORDER.index(p.code))
            raise bad_request(_worded(first, item, checked.first))
        assert checked.custom_id is not None and isinstance(item, dict)
        # No RecursionError here: parsing went two levels deeper than these params.
        out.append((checked.custom_id, _PARAMS_ENCODER.encode(item["params"]).encode("ascii")))
    return out


#: The problem a refused create names, when a request has several: as the API orders them.
_ORDER: tuple[ProblemCode, ...] = (
    "not_a_request",
    "unknown_field",
    "missing_field",
    "invalid_custom_id",
    "duplicate_custom_id",
    "invalid_params",
)


def _worded(problem: Problem, item: object, first: int | None) -> str:
    """A problem found by the core checker, worded as the API words a refused create."""
    where = f"requests.{problem.index}"
    if problem.code == "not_a_request":
        return f"{where}: must be an object with custom_id and params, not {_kind(item)}"
    if problem.code == "unknown_field":
        return f"{where}.{problem.field}: Extra inputs are not permitted"
    if problem.code == "missing_field":
        return f"{where}.{problem.field}: Field required"
    if problem.code == "duplicate_custom_id":
        return (
            f"{where}.custom_id: duplicate custom_id {problem.custom_id!r} (also used by "
            f"requests.{first}); custom_id must be unique within a batch"
        )
    if problem.code == "invalid_params":
        params = item.get("params") if isinstance(item, dict) else None
        return f"{where}.params: must be an object, not {_kind(params)}"
    return f"{where}.{problem.field}: {problem.message}"
