"""A client that keeps a ledger of every SDK call and every HTTP attempt behind it, so a test
can check the retry policy from the outside: how many attempts each call made, and why."""

from __future__ import annotations

import contextvars
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from anthropic_batches import AsyncClient


@dataclass
class Call:
    """One call of the client's `_send` (one logical request) and its attempts."""

    method: str
    path: str
    answers: list[int | str] = field(default_factory=list)  # status, or the error's name

    @property
    def retries(self) -> int:
        return max(len(self.answers) - 1, 0)


_CURRENT: contextvars.ContextVar[Call | None] = contextvars.ContextVar("call", default=None)


class _LedgerTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = _CURRENT.get()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:
            if call is not None:
                call.answers.append(type(exc).__name__)
            raise
        if call is not None:
            call.answers.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class LedgerClient(AsyncClient):
    """An `AsyncClient` whose calls are recorded in `calls`, each with its attempts."""

    def __init__(self, **options: Any) -> None:
        http = httpx.AsyncClient(transport=_LedgerTransport(), timeout=60.0)
        super().__init__(http_client=http, **options)
        self._own = http
        self.calls: list[Call] = []

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        return self

    async def _send(self, method: str, path_or_url: str, **options: Any) -> httpx.Response:
        call = Call(method, httpx.URL(path_or_url).path)
        token = _CURRENT.set(call)
        try:
            return await super()._send(method, path_or_url, **options)
        finally:
            _CURRENT.reset(token)
            self.calls.append(call)

    async def aclose(self) -> None:
        await super().aclose()
        await self._own.aclose()

    def operations(self) -> Counter[str]:
        """Calls per operation: `create`, `get`, `results`, ..."""
        return Counter(operation(c) for c in self.calls)


def operation(call: Call) -> str:
    if call.method == "POST" and call.path.endswith("/batches"):
        return "create"
    if call.path.endswith("/results"):
        return "results"
    return "get" if call.method == "GET" else call.method.lower()
