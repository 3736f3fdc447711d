"""The ASGI application: the Message Batches API over HTTP, backed by an `Emulator`.

Every request, in this order: gets a `request-id`; is counted under its operation (its route
in `ROUTES`); may be answered by an injected fault (and then nothing else happens); is
authenticated (`x-api-key`, else `Authorization: Bearer`); must name a served
`anthropic-version`; goes to its route, or is answered 404 (unknown path) or 405 (a method the
path does not serve). Every error answer has the documented shape
(https://docs.anthropic.com/en/api/errors), and an unexpected exception becomes a 500
`api_error` answer rather than a broken connection.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from .._facts import API_VERSIONS
from ._errors import FAULT_MESSAGES, Refusal, bad_request, error_payload
from ._routes import find_route
from ._store import Emulator

__all__ = ["EmulatorApp", "create_app"]


class EmulatorApp:
    """The ASGI application of the emulated API.

    Attributes:
        emulator: The state and settings behind the app.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        emulator = self.emulator
        request_id = emulator.request_id()
        started = False
        limit_headers: dict[str, str] = {}

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"request-id", request_id.encode()))
                headers += [(k.encode(), v.encode()) for k, v in limit_headers.items()]
                message = {**message, "headers": headers}
            await send(message)

        async def fail(
            status: int, text: str, headers: dict[str, str], code: str | None = None
        ) -> None:
            body = error_payload(status, text, request_id, code)
            raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
            raw += [
                (k.lower().encode(), v.encode())
                for k, v in headers.items()
                if k.lower() not in limit_headers
            ]
            await send_with_id({"type": "http.response.start", "status": status, "headers": raw})
            await send_with_id({"type": "http.response.body", "body": body})

        try:
            emulator.stats.requests += 1
            found = find_route(scope)
            emulator.stats.calls[found.operation] += 1
            fault = emulator.draw_fault()
            if fault is not None:
                emulator.stats.faults[fault] += 1
                await fail(fault, FAULT_MESSAGES[fault], {"retry-after": "0"})
                return
            headers = _headers(scope)
            owner = self._authenticate(headers)
            version = headers.get("anthropic-version")
            if not version:
                raise bad_request("anthropic-version: header is required")
            if version not in API_VERSIONS:
                raise bad_request(
                    f"anthropic-version: {version[:40]!r} is not a valid version; the API "
                    f"serves {', '.join(API_VERSIONS)}"
                )
            if found.route is None:
                raise _unrouted(scope, found.allowed)
            now = emulator.clock.now()
            emulator.stats.arrivals.append(now)
            limit_headers.update(emulator.limits.admit(owner, now))
            state = scope.setdefault("state", {})
            state.update(owner=owner, api_version=version, now=now)
            state["base_url"] = _base_url(scope, headers)
            await found.route.handle({**scope, **found.scope, "app": self}, receive, send_with_id)
        except Refusal as exc:
            if not started:
                await fail(exc.status, exc.message, exc.headers, exc.error_code)
        except ClientDisconnect:
            return
        except Exception:
            if started:
                raise
            await fail(500, "Internal server error", {})

    def _authenticate(self, headers: dict[str, str]) -> str:
        key = headers.get("x-api-key", "").strip()
        if not key:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                key = token.strip()
        if not key:
            raise Refusal(401, "x-api-key header is required (or Authorization: Bearer <key>)")
        if self.emulator.api_keys and key not in self.emulator.api_keys:
            raise Refusal(401, "invalid x-api-key")
        return key

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _unrouted(scope: Scope, allowed: tuple[str, ...]) -> Refusal:
    method, path = scope["method"], scope["path"][:200]
    if allowed:
        methods = ", ".join(allowed)
        return Refusal(
            405, f"Method {method} is not allowed on {path}; use {methods}", {"allow": methods}
        )
    return Refusal(404, f"Not found: {method} {path} is not an API path")


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
