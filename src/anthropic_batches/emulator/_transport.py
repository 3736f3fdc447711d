"""httpx transports that call the emulator's ASGI app in-process, without a socket.

Unlike `httpx.ASGITransport`, a body the app leaves unfinished (the emulator's
`drop_results_after`) reaches the client as what it is over a network: the lines sent so far,
then `httpx.RemoteProtocolError` while reading. Bodies are collected before the response is
returned, as `httpx.ASGITransport` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

__all__ = ["AsyncEmulatorTransport", "EmulatorTransport"]

_CUT = "peer closed connection without sending complete message body (emulated drop)"


@dataclass
class _Answer:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    complete: bool = False
    started: bool = False


def _scope(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": httpx.URL(url.raw_path.decode("ascii").split("?")[0]).path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "server": (url.host, port),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }


async def _run(
    app: ASGIApp, request: httpx.Request, next_part: Callable[[], Awaitable[bytes | None]]
) -> _Answer:
    answer = _Answer()
    body_done = False

    async def receive() -> Message:
        nonlocal body_done
        if body_done:
            return {"type": "http.disconnect"}
        part = await next_part()
        if part is None:
            body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": part, "more_body": True}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.started = True
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                answer.complete = True

    await app(_scope(request), receive, send)
    if not answer.started:
        raise httpx.RemoteProtocolError(
            "server disconnected without sending a response", request=request
        )
    return answer


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, answer: _Answer, request: httpx.Request) -> None:
        self._answer, self._request = answer, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._answer.parts:
            if part:
                yield part
        if not self._answer.complete:
            raise httpx.RemoteProtocolError(_CUT, request=self._request)


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, answer: _Answer, request: httpx.Request) -> None:
        self._answer, self._request = answer, request

    def __iter__(self) -> Iterator[bytes]:
        for part in self._answer.parts:
            if part:
                yield part
        if not self._answer.complete:
            raise httpx.RemoteProtocolError(_CUT, request=self._request)


class AsyncEmulatorTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncClient` transport that calls an ASGI app (the emulator) in-process.

    Args:
        app: The ASGI application, e.g. `create_app(Emulator(clock=ManualClock()))`.

    Example:
        ```python
        transport = AsyncEmulatorTransport(create_app())
        http = httpx.AsyncClient(transport=transport, base_url="http://emulator.local")
        client = AsyncClient(api_key="test", base_url="http://emulator.local", http_client=http)
        ```
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        stream = request.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("AsyncEmulatorTransport needs an async request body")
        parts = stream.__aiter__()

        async def next_part() -> bytes | None:
            with contextlib.suppress(StopAsyncIteration):
                while True:
                    part = await parts.__anext__()
                    if part:
                        return part
            return None

        answer = await _run(self.app, request, next_part)
        return httpx.Response(
            answer.status, headers=answer.headers, stream=_AsyncBody(answer, request)
        )


class EmulatorTransport(httpx.BaseTransport):
    """An `httpx.Client` transport that calls an ASGI app (the emulator) in-process.

    The app runs on an event loop in a helper thread (an anyio blocking portal), started on
    the first request and stopped by `close()` (which `httpx.Client.close()` calls).

    Args:
        app: The ASGI application, e.g. `create_app(Emulator(clock=ManualClock()))`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._portal_cm: Any = None
        self._portal: Any = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import anyio.from_thread

        if self._portal is None:
            self._portal_cm = anyio.from_thread.start_blocking_portal()
            self._portal = self._portal_cm.__enter__()
        body = request.read()

        async def next_part() -> bytes | None:
            nonlocal body
            part, body = body, b""
            return part or None

        answer: _Answer = self._portal.call(_run, self.app, request, next_part)
        return httpx.Response(
            answer.status, headers=answer.headers, stream=_SyncBody(answer, request)
        )

    def close(self) -> None:
        if self._portal_cm is not None:
            cm, self._portal_cm, self._portal = self._portal_cm, None, None
            cm.__exit__(None, None, None)
