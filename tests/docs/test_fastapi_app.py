"""`examples/fastapi_app.py`, served by uvicorn on loopback, in front of the emulator.

What a user of the service would notice: the streamed NDJSON is exactly the batch's results;
the first results arrive while the upstream download is still going; and an HTTP client that
hangs up mid-stream does not leave an upstream download running or a connection held in the
SDK's pool.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from docs.support import PARAMS, PacedResults, load_example, serve

from anthropic_batches import DEFAULT_API_VERSION, AsyncClient, BatchResult
from anthropic_batches.emulator import EmulatorServer

KEY = "sk-ant-docs-fastapi"
REQUESTS = 300


class PacedEmulatorServer(EmulatorServer):
    """The emulator over loopback, its results download paced by `PacedResults`."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.paced = PacedResults(self.app)
        self.app = self.paced  # type: ignore[assignment]


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[PacedEmulatorServer]:
    # 300 results go out 10 lines at a time, 20 ms apart: the download lasts about 0.6 s.
    server = PacedEmulatorServer(process_seconds=0.05, api_keys=[KEY])
    with server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
        yield server


@pytest.fixture
async def service(upstream: PacedEmulatorServer) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The example app served on 127.0.0.1, and an HTTP client of it."""
    module = load_example("fastapi_app")
    async with serve(module.app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield module.app, http


def busy_connections(client: AsyncClient) -> int:
    """Connections in the SDK client's httpx pool that are open and not idle."""
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    return sum(1 for c in pool.connections if not c.is_idle() and not c.is_closed())


async def create_ended_batch(http: httpx.AsyncClient, n: int = REQUESTS) -> str:
    body = {"requests": [{"custom_id": f"row-{i}", "params": PARAMS} for i in range(n)]}
    created = await http.post("/batches", json=body)
    assert created.status_code == 201, created.text
    batch_id: str = created.json()["id"]
    assert created.json()["processing_status"] == "in_progress"
    for _ in range(200):
        status = (await http.get(f"/batches/{batch_id}")).json()
        if status["processing_status"] == "ended":
            assert status["request_counts"]["succeeded"] == n
            return batch_id
        await asyncio.sleep(0.02)
    raise AssertionError(f"batch {batch_id} did not end")


async def test_streamed_body_equals_the_batch_results(
    service: tuple[Any, httpx.AsyncClient], upstream: PacedEmulatorServer
) -> None:
    app, http = service
    batch_id = await create_ended_batch(http)

    response = await http.get(f"/batches/{batch_id}/results")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"

    # The results file as the API serves it, fetched without the SDK.
    async with httpx.AsyncClient(base_url=upstream.base_url) as plain:
        raw = await plain.get(
            f"/v1/messages/batches/{batch_id}/results",
            headers={"x-api-key": KEY, "anthropic-version": DEFAULT_API_VERSION},
        )
    assert raw.status_code == 200
    assert response.content == raw.content  # byte for byte
    lines = response.content.splitlines()
    assert len(lines) == REQUESTS
    assert {BatchResult.model_validate_json(line).custom_id for line in lines} == {
        f"row-{i}" for i in range(REQUESTS)
    }
    assert busy_connections(app.state.client) == 0


async def test_first_results_arrive_before_the_upstream_download_ends(
    service: tuple[Any, httpx.AsyncClient], upstream: PacedEmulatorServer
) -> None:
    _, http = service
    batch_id = await create_ended_batch(http)
    paced = upstream.paced

    asked = time.monotonic()
    async with http.stream("GET", f"/batches/{batch_id}/results") as response:
        lines = response.aiter_lines()
        first = json.loads(await anext(lines))
        first_at = time.monotonic()
        upstream_lines_then = paced.lines_sent
        upstream_done_then = paced.finished_at is not None
        rest = [line async for line in lines]
    done_at = time.monotonic()

    assert first["custom_id"].startswith("row-")
    assert len(rest) == REQUESTS - 1
    assert paced.finished_at is not None and paced.started_at is not None
    # The first line was through the service while the upstream was still sending.
    assert not upstream_done_then
    assert upstream_lines_then < REQUESTS // 2
    assert first_at < paced.finished_at
    print(
        f"\nfirst line after {1000 * (first_at - asked):.0f} ms "
        f"(upstream had sent {upstream_lines_then}/{REQUESTS} lines); upstream finished after "
        f"{1000 * (paced.finished_at - asked):.0f} ms; last line after "
        f"{1000 * (done_at - asked):.0f} ms"
    )


async def test_client_disconnect_closes_the_upstream_download(
    service: tuple[Any, httpx.AsyncClient], upstream: PacedEmulatorServer
) -> None:
    app, http = service
    batch_id = await create_ended_batch(http)
    sdk_client: AsyncClient = app.state.client
    paced = upstream.paced

    async with http.stream("GET", f"/batches/{batch_id}/results") as response:
        lines = response.aiter_lines()
        for _ in range(5):
            await anext(lines)
        assert busy_connections(sdk_client) == 1  # the upstream download is in flight
        # Leaving the block mid-body closes this HTTP connection: the client hangs up.
    hung_up = time.monotonic()

    deadline = hung_up + 5
    while paced.disconnected_at is None or busy_connections(sdk_client):
        assert time.monotonic() < deadline, "the upstream download was left open"
        await asyncio.sleep(0.01)
    assert paced.finished_at is None  # the upstream body was never read to its end
    assert paced.lines_sent < REQUESTS
    assert busy_connections(sdk_client) == 0
    print(
        f"\nupstream closed {1000 * (paced.disconnected_at - hung_up):.0f} ms after the hang-up, "
        f"after {paced.lines_sent}/{REQUESTS} lines"
    )

    # The service and its pool are still fine for the next caller.
    again = await http.get(f"/batches/{batch_id}/results")
    assert len(again.text.splitlines()) == REQUESTS
    assert busy_connections(sdk_client) == 0


async def test_errors_are_http_statuses_before_any_streaming(
    service: tuple[Any, httpx.AsyncClient],
) -> None:
    _, http = service
    missing = await http.get("/batches/msgbatch_missing/results")
    assert missing.status_code == 404
    assert (await http.get("/batches/msgbatch_missing")).status_code == 404

    duplicate = {"custom_id": "same", "params": PARAMS}
    refused = await http.post("/batches", json={"requests": [duplicate, duplicate]})
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["index"] == 1 and problem["custom_id"] == "same"
    assert "duplicate" in problem["message"]
