"""`examples/fastapi_app.py` when the API refuses or cannot be reached: what its caller gets
is an answer to act on (502, 404, 503 with `retry-after`) with a clear body, never a bare 500
with a traceback in the service's log."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from docs.support import PARAMS, load_example, serve

from anthropic_batches.emulator import EmulatorServer

KEY = "sk-ant-docs-fastapi-errors"


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(process_seconds=0.05, api_keys=[KEY]) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
        yield server


@asynccontextmanager
async def service() -> AsyncIterator[httpx.AsyncClient]:
    """The example app, configured from the environment as it is now."""
    module = load_example("fastapi_app")
    async with serve(module.app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


BODY = {"requests": [{"custom_id": "a", "params": PARAMS}]}


async def test_a_refused_key_is_a_bad_gateway_with_a_clear_body(
    upstream: EmulatorServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    async with service() as http:
        for answer in (await http.post("/batches", json=BODY), await http.get("/batches/x")):
            assert answer.status_code == 502
            body = answer.json()
            assert body["detail"] == "the Anthropic API refused this service's API key"
            assert body["upstream"]["status_code"] == 401
            assert body["upstream"]["type"] == "authentication_error"
            assert body["upstream"]["request_id"].startswith("req_")
    assert server_errors(caplog) == []


async def test_an_unknown_batch_is_404(
    upstream: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with service() as http:
        for path in ("/batches/msgbatch_missing", "/batches/msgbatch_missing/results"):
            answer = await http.get(path)
            assert answer.status_code == 404
            assert answer.json()["upstream"]["type"] == "not_found_error"
    assert server_errors(caplog) == []


async def test_the_rate_limit_is_503_with_retry_after(
    upstream: EmulatorServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Every call answered 429 (the SDK's own retries included), with the API's retry-after.
    monkeypatch.setattr(upstream.emulator, "draw_fault", lambda: 429)
    async with service() as http:
        answer = await http.post("/batches", json=BODY)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "0"
    assert answer.json()["upstream"]["type"] == "rate_limit_error"
    assert server_errors(caplog) == []


async def test_an_unreachable_api_is_a_bad_gateway(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    async with service() as http:
        answer = await http.get("/batches/msgbatch_x")
    assert answer.status_code == 502
    assert answer.json() == {"detail": "the Anthropic API could not be reached"}
    assert server_errors(caplog) == []
