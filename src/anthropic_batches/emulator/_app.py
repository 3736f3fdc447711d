"""The ASGI application: the Message Batches API over HTTP, backed by an `Emulator`.

Every request, in this order: gets a `request-id`; may be answered by an injected fault (and
then nothing else happens); is authenticated (`x-api-key`, else `Authorization: Bearer`); must
name a served `anthropic-version`; is routed. Every error answer has the documented shape
(API-FACTS: "Errors"), and an unexpected exception becomes a 500 `api_error` answer rather than
a broken connection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Message, Receive, Scope, Send

from .._shared import API_VERSIONS, BATCHES_PATH
from .._validation import custom_id_problem
from ._results import ResultsResponse
from ._store import Emulator, Refusal

__all__ = ["EmulatorApp", "create_app"]

Endpoint = Callable[[Request], Awaitable[Response]]

_OPERATIONS = [
    ("POST", re.compile(rf"{BATCHES_PATH}/?"), "create"),
    ("GET", re.compile(rf"{BATCHES_PATH}/?"), "list"),
    ("GET", re.compile(rf"{BATCHES_PATH}/[^/]+"), "get"),
    ("DELETE", re.compile(rf"{BATCHES_PATH}/[^/]+"), "delete"),
    ("POST", re.compile(rf"{BATCHES_PATH}/[^/]+/cancel"), "cancel"),
    ("GET", re.compile(rf"{BATCHES_PATH}/[^/]+/results"), "results"),
]
_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_FAULT_MESSAGES = {
    429: "Number of requests has exceeded your rate limit (injected fault).",
    500: "Internal server error (injected fault).",
    529: "Overloaded (injected fault).",
}


def _operation(method: str, path: str) -> str:
    for verb, pattern, name in _OPERATIONS:
        if method == verb and pattern.fullmatch(path):
            return name
    return "other"


def error_payload(status: int, type: str | None, message: str, request_id: str) -> bytes:
    """The documented error body."""
    kind = (
        type
        or _STATUS_TYPES.get(status)
        or ("api_error" if status >= 500 else "invalid_request_error")
    )
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}
    return json.dumps(body).encode()


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data).encode(), status, media_type="application/json")


def _state(request: Request) -> tuple[Emulator, str, float, str]:
    app: EmulatorApp = request.scope["app"]
    return app.emulator, request.state.owner, request.state.now, request.state.base_url


# -- create -----------------------------------------------------------------------------------


def _bad(message: str) -> Refusal:
    return Refusal(400, "invalid_request_error", message)


async def _read_body(request: Request, limit: int, emulator: Emulator) -> bytes:
    # The connection is closed after the answer, so the rest of a body too large is never
    # even read off the socket (without it, the server drains the whole body to reuse the
    # connection: a client sending 1 GB would send all of it).
    too_large = Refusal(
        413,
        "request_too_large",
        f"Request exceeds the maximum size of {limit} bytes for a message batch.",
        {"connection": "close"},
    )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise _bad("content-length: must be a whole number of bytes")
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


_PARAMS_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_requests(body: bytes, max_requests: int) -> list[tuple[str, bytes]]:
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise _bad("request body is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise _bad(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _bad(f"request body must be a JSON object, not {_kind(data)}")
    extra = sorted(set(data) - {"requests"})
    if extra:
        raise _bad(f"{extra[0]}: Extra inputs are not permitted")
    if "requests" not in data:
        raise _bad("requests: Field required")
    requests = data["requests"]
    if not isinstance(requests, list):
        raise _bad(f"requests: must be a list of requests, not {_kind(requests)}")
    if not requests:
        raise _bad("requests: a batch needs at least 1 request")
    if len(requests) > max_requests:
        raise _bad(f"requests: {len(requests)} requests; a batch holds at most {max_requests}")
    seen: dict[str, int] = {}
    out: list[tuple[str, bytes]] = []
    for i, item in enumerate(requests):
        where = f"requests.{i}"
        if not isinstance(item, dict):
            raise _bad(f"{where}: must be an object with custom_id and params, not {_kind(item)}")
        extra = sorted(set(item) - {"custom_id", "params"})
        if extra:
            raise _bad(f"{where}.{extra[0]}: Extra inputs are not permitted")
        for name in ("custom_id", "params"):
            if name not in item:
                raise _bad(f"{where}.{name}: Field required")
        custom_id = item["custom_id"]
        problem = custom_id_problem(custom_id)
        if problem:
            raise _bad(f"{where}.custom_id: {problem}")
        first = seen.setdefault(custom_id, i)
        if first != i:
            raise _bad(
                f"{where}.custom_id: duplicate custom_id {custom_id!r} (also used by "
                f"requests.{first}); custom_id must be unique within a batch"
            )
        params = item["params"]
        if not isinstance(params, dict):
            raise _bad(f"{where}.params: must be an object, not {_kind(params)}")
        try:
            encoded = _PARAMS_ENCODER.encode(params).encode("ascii")
        except RecursionError:
            raise _bad(f"{where}.params: nested too deeply") from None
        out.append((custom_id, encoded))
    return out


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


async def create_batch(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        shown = content_type or "none"
        raise Refusal(
            400,
            "invalid_request_error",
            f"content-type must be application/json, not {shown}",
        )
    body = await _read_body(request, emulator.max_body_bytes, emulator)
    requests = _parse_requests(body, emulator.max_requests)
    batch = emulator.create(owner, request.state.api_version, requests, now)
    return _json(emulator.describe(batch, now, base_url))


# -- the other operations ---------------------------------------------------------------------


def _cursor(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.startswith("msgbatch_"):
        raise _bad(f"{name}: must be a message batch id (msgbatch_...), not {value[:80]!r}")
    return value


async def list_batches(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    raw = request.query_params.get("limit", "20")
    limit = int(raw) if raw.strip().isdigit() and len(raw) < 12 else -1
    if not 1 <= limit <= 1000:
        raise _bad(f"limit: must be a whole number from 1 to 1000, not {raw[:80]!r}")
    before_id, after_id = _cursor(request, "before_id"), _cursor(request, "after_id")
    if before_id is not None and after_id is not None:
        raise _bad("before_id and after_id cannot be used together")
    batches, has_more = emulator.page(owner, now, limit, before_id, after_id)
    data = [emulator.describe(b, now, base_url) for b in batches]
    return _json(
        {
            "data": data,
            "has_more": has_more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    )


async def get_batch(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    batch = emulator.get(owner, request.path_params["batch_id"], now)
    return _json(emulator.describe(batch, now, base_url))


async def cancel_batch(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    batch = emulator.cancel(owner, request.path_params["batch_id"], now)
    return _json(emulator.describe(batch, now, base_url))


async def delete_batch(request: Request) -> Response:
    emulator, owner, now, _ = _state(request)
    batch_id = request.path_params["batch_id"]
    emulator.delete(owner, batch_id, now)
    return _json({"id": batch_id, "type": "message_batch_deleted"})


async def batch_results(request: Request) -> Response:
    emulator, owner, now, _ = _state(request)
    batch, chunks = emulator.result_chunks(owner, request.path_params["batch_id"], now)
    drop = emulator.drop_results_after if batch.downloads == 1 else None
    if drop is not None and drop >= batch.line_count:
        drop = None  # the cut would come after the last line: nothing to drop
    if drop is not None:
        emulator.stats.results_dropped += 1
    return ResultsResponse(chunks, drop_after=drop)


def _route(path: str, **handlers: Endpoint) -> Route:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers))


# -- the application --------------------------------------------------------------------------


class EmulatorApp:
    """The ASGI application of the emulated API.

    Attributes:
        emulator: The state and settings behind the app.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._router = Router(
            [
                _route(BATCHES_PATH, POST=create_batch, GET=list_batches),
                _route(BATCHES_PATH + "/{batch_id}", GET=get_batch, DELETE=delete_batch),
                _route(BATCHES_PATH + "/{batch_id}/cancel", POST=cancel_batch),
                _route(BATCHES_PATH + "/{batch_id}/results", GET=batch_results),
            ],
            redirect_slashes=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        emulator = self.emulator
        request_id = emulator.request_id()
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def fail(status: int, kind: str | None, text: str, headers: dict[str, str]) -> None:
            body = error_payload(status, kind, text, request_id)
            raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
            raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            await send_with_id({"type": "http.response.start", "status": status, "headers": raw})
            await send_with_id({"type": "http.response.body", "body": body})

        try:
            emulator.stats.requests += 1
            emulator.stats.calls[_operation(scope["method"], scope["path"])] += 1
            fault = emulator.draw_fault()
            if fault is not None:
                emulator.stats.faults[fault] += 1
                await fail(fault, None, _FAULT_MESSAGES[fault], {"retry-after": "0"})
                return
            headers = _headers(scope)
            owner = self._authenticate(headers)
            version = headers.get("anthropic-version")
            if not version:
                raise _bad("anthropic-version: header is required")
            if version not in API_VERSIONS:
                raise _bad(
                    f"anthropic-version: {version[:40]!r} is not a valid version; the API "
                    f"serves {', '.join(API_VERSIONS)}"
                )
            state = scope.setdefault("state", {})
            state.update(owner=owner, api_version=version, now=emulator.clock.now())
            state["base_url"] = _base_url(scope, headers)
            await self._router({**scope, "app": self}, receive, send_with_id)
        except Refusal as exc:
            if not started:
                await fail(exc.status, exc.type, exc.message, exc.headers)
        except HTTPException as exc:
            extra = dict(exc.headers or {})
            if exc.status_code == 405:
                allowed = extra.get("Allow", "")
                text = f"Method {scope['method']} is not allowed on {scope['path']}; use {allowed}"
            else:
                text = f"Not found: {scope['method']} {scope['path'][:200]} is not an API path"
            await fail(exc.status_code, None, text, extra)
        except ClientDisconnect:
            return
        except Exception:
            if started:
                raise
            await fail(500, "api_error", "Internal server error", {})

    def _authenticate(self, headers: dict[str, str]) -> str:
        key = headers.get("x-api-key", "").strip()
        if not key:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                key = token.strip()
        if not key:
            raise Refusal(
                401,
                "authentication_error",
                "x-api-key header is required (or Authorization: Bearer <key>)",
            )
        if self.emulator.api_keys and key not in self.emulator.api_keys:
            raise Refusal(401, "authentication_error", "invalid x-api-key")
        return key

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if not host or not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]{1,255}", host):
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "127.0.0.1"
    return f"{scheme}://{host}"


def create_app(emulator: Emulator | None = None, **settings: Any) -> EmulatorApp:
    """The ASGI application of the emulated Message Batches API.

    Args:
        emulator: The state and settings to serve. When omitted, a new `Emulator` is made
            from `settings`.
        **settings: Keyword arguments for a new `Emulator` (`clock`, `api_keys`,
            `process_seconds`, `responder`, ...); only without `emulator`.

    Returns:
        An ASGI application; its `emulator` attribute holds the state.

    Raises:
        TypeError: If both `emulator` and `settings` are given.
    """
    if emulator is not None and settings:
        raise TypeError("pass either an Emulator or settings for a new one, not both")
    return EmulatorApp(emulator if emulator is not None else Emulator(**settings))
