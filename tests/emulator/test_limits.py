"""The emulator's limits (requests per minute, queued requests, spend limit), over
httpx.ASGITransport on a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from emulator.support import BASE, BATCHES, HEADERS, Body

from anthropic_batches._facts import (
    ENFORCED_SPEND_LIMIT_REACHED,
    RATELIMIT_REQUESTS_LIMIT,
    RATELIMIT_REQUESTS_REMAINING,
    RATELIMIT_REQUESTS_RESET,
)
from anthropic_batches.emulator import Emulator, ManualClock, create_app


async def _client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=HEADERS) as client:
        yield client


@pytest.fixture
async def limited(clock: ManualClock) -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    emulator = Emulator(
        clock=clock, requests_per_minute=5, max_queued_requests=10, spend_limit_requests=30
    )
    async for client in _client(emulator):
        yield emulator, client


async def test_no_limits_and_no_headers_by_default(http: httpx.AsyncClient) -> None:
    for _ in range(50):
        response = await http.get(BATCHES)
        assert response.status_code == 200
    assert RATELIMIT_REQUESTS_REMAINING not in response.headers


async def test_requests_per_minute_refuses_with_retry_after_and_refills(
    limited: tuple[Emulator, httpx.AsyncClient], clock: ManualClock
) -> None:
    emulator, http = limited
    remaining = []
    for _ in range(5):
        response = await http.get(BATCHES)
        assert response.status_code == 200
        assert response.headers[RATELIMIT_REQUESTS_LIMIT] == "5"
        assert response.headers[RATELIMIT_REQUESTS_RESET].endswith("Z")
        remaining.append(int(response.headers[RATELIMIT_REQUESTS_REMAINING]))
    assert remaining == [4, 3, 2, 1, 0]
    refused = await http.get(BATCHES)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert refused.headers["retry-after"] == "12"  # one request every 60 / 5 seconds
    assert refused.headers[RATELIMIT_REQUESTS_REMAINING] == "0"
    assert emulator.stats.refused["requests_per_minute"] == 1
    clock.advance(12)
    assert (await http.get(BATCHES)).status_code == 200


async def test_a_key_has_its_own_budget(limited: tuple[Emulator, httpx.AsyncClient]) -> None:
    _, http = limited
    for _ in range(5):
        await http.get(BATCHES)
    assert (await http.get(BATCHES)).status_code == 429
    other = await http.get(BATCHES, headers={"x-api-key": "key-b"})
    assert other.status_code == 200


async def test_queue_cap_refuses_until_a_batch_ends(clock: ManualClock, body: Body) -> None:
    emulator = Emulator(clock=clock, max_queued_requests=10, process_seconds=30)
    async for http in _client(emulator):
        assert (await http.post(BATCHES, json=body(6, "a"))).status_code == 200
        clock.advance(10)
        assert (await http.post(BATCHES, json=body(4, "b"))).status_code == 200
        full = await http.post(BATCHES, json=body(1, "c"))
        assert full.status_code == 429
        assert full.json()["error"]["type"] == "rate_limit_error"
        assert full.headers["retry-after"] == "20"  # when the first batch ends
        assert "details" not in full.json()["error"]
        assert emulator.stats.refused["max_queued_requests"] == 1
        assert len(emulator) == 2
        clock.advance(20)
        assert (await http.post(BATCHES, json=body(6, "c"))).status_code == 200


async def test_spend_limit_answers_its_error_code_until_lifted(
    clock: ManualClock, body: Body
) -> None:
    emulator = Emulator(clock=clock, spend_limit_requests=5)
    async for http in _client(emulator):
        assert (await http.post(BATCHES, json=body(5))).status_code == 200
        refused = await http.post(BATCHES, json=body(1))
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["details"] == {"error_code": ENFORCED_SPEND_LIMIT_REACHED}
        assert error["type"] == "rate_limit_error"
        assert (await http.get(BATCHES)).status_code == 200  # only creates are refused
        assert emulator.stats.refused["spend_limit"] == 1
        emulator.limits.lift_spend_limit()
        assert (await http.post(BATCHES, json=body(1))).status_code == 200


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        Emulator(requests_per_minute=0)
    with pytest.raises(ValueError, match="window_seconds"):
        Emulator(rate_window_seconds=0)
