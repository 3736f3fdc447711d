"""`EmulatorServer`, the loopback server for tests and demos, and the app's other ASGI scopes."""

from __future__ import annotations

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body
from starlette.types import Message

from anthropic_batches.emulator import Emulator, EmulatorServer, ManualClock


async def test_async_context_manager_serves_and_stops() -> None:
    server = EmulatorServer(clock=ManualClock(), process_seconds=0)
    async with server:
        url = server.base_url
        async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=10.0) as http:
            created = await http.post(BATCHES, json=make_body(1))
            assert created.status_code == 200
            assert created.json()["processing_status"] == "ended"
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    async with httpx.AsyncClient(headers=HEADERS, timeout=5.0) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(url + BATCHES)


def test_a_server_runs_once_at_a_time() -> None:
    emulator = Emulator(clock=ManualClock())
    server = EmulatorServer(emulator)
    assert server.emulator is emulator
    server.stop()  # stopping a server that never started is harmless
    with server:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        assert httpx.get(server.base_url + BATCHES, headers=HEADERS, timeout=5.0).status_code == 200
    with server:  # and it can be started again
        assert httpx.get(server.base_url + BATCHES, headers=HEADERS, timeout=5.0).status_code == 200


def test_a_server_on_an_address_in_use_does_not_start() -> None:
    with EmulatorServer(clock=ManualClock()) as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        second = EmulatorServer(clock=ManualClock(), port=port)
        with pytest.raises(OSError, match="in use"):
            second.start()
        with pytest.raises(RuntimeError, match="not running"):
            _ = second.base_url
        second.stop()  # harmless: it never started
        assert httpx.get(first.base_url + BATCHES, headers=HEADERS, timeout=5.0).status_code == 200


async def test_the_app_answers_lifespan_and_ignores_other_scopes() -> None:
    from anthropic_batches.emulator import create_app

    app = create_app(clock=ManualClock())
    incoming: list[Message] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    await app({"type": "websocket"}, receive, send)
    assert len(sent) == 2  # nothing sent for a scope the API does not serve
