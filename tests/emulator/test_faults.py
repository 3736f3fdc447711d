"""Fault injection: deterministic 429/500/529 answers that change nothing, and results
downloads cut mid-body once per batch."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body, results_of

from anthropic_batches.emulator import (
    AsyncEmulatorTransport,
    Emulator,
    EmulatorServer,
    EmulatorTransport,
    ManualClock,
    create_app,
)

FAULT_TYPES = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


def client(emulator: Emulator) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(emulator))
    return httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS)


async def statuses(seed: int, n: int = 300, rate: float = 0.2) -> list[int]:
    emulator = Emulator(clock=ManualClock(), seed=seed, fault_rate=rate)
    async with client(emulator) as http:
        return [(await http.get(BATCHES)).status_code for _ in range(n)]


async def test_faults_follow_the_rate_and_the_seed() -> None:
    first = await statuses(seed=7)
    assert first == await statuses(seed=7)  # same seed, same faults
    assert first != await statuses(seed=8)
    faults = Counter(s for s in first if s != 200)
    assert set(faults) == {429, 500, 529}
    assert 0.12 < sum(faults.values()) / len(first) < 0.28
    assert set(await statuses(seed=1, n=50, rate=0.0)) == {200}
    assert set(await statuses(seed=1, n=50, rate=1.0)) <= {429, 500, 529}


async def test_a_fault_has_the_documented_shape_and_changes_nothing() -> None:
    emulator = Emulator(clock=ManualClock(), seed=3, fault_rate=0.5)
    created: list[str] = []
    async with client(emulator) as http:
        for _ in range(60):
            response = await http.post(BATCHES, json=make_body(1))
            if response.status_code == 200:
                created.append(response.json()["id"])
                continue
            assert response.status_code in FAULT_TYPES
            assert response.headers["retry-after"] == "0"
            error = response.json()
            assert error["error"]["type"] == FAULT_TYPES[response.status_code]
            assert error["request_id"] == response.headers["request-id"]
        emulator.fault_rate = 0.0
        listed = (await http.get(f"{BATCHES}?limit=1000")).json()["data"]
    assert 10 < len(created) < 50
    assert sorted(b["id"] for b in listed) == sorted(created)  # a faulted create made nothing
    assert emulator.stats.batches_created == len(created)
    assert emulator.stats.create_calls == 60
    assert sum(emulator.stats.faults.values()) == 60 - len(created)


async def test_faults_come_before_authentication() -> None:
    emulator = Emulator(clock=ManualClock(), api_keys=["only"], fault_rate=1.0)
    async with client(emulator) as http:
        response = await http.get(BATCHES, headers={"x-api-key": "wrong"})
    assert response.status_code in FAULT_TYPES


def ended_batch(emulator: Emulator, clock: ManualClock, n: int) -> str:
    batch = emulator.create(
        HEADERS["x-api-key"],
        "2026-10-21",
        [
            (f"r-{i}", b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}')
            for i in range(n)
        ],
        clock.now(),
    )
    clock.advance(1)
    return batch.id


async def test_first_download_is_cut_in_process() -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, drop_results_after=150)
    batch_id = ended_batch(emulator, clock, 400)
    transport = AsyncEmulatorTransport(create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        lines: list[str] = []
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream("GET", f"{BATCHES}/{batch_id}/results") as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    lines.append(line)
        assert len(lines) == 150
        again = await http.get(f"{BATCHES}/{batch_id}/results")
        assert len(results_of(again)) == 400
        assert again.text.splitlines()[:150] == lines  # the same order every time
    assert emulator.stats.results_dropped == 1
    assert emulator.stats.results_downloads == 2


def test_first_download_is_cut_in_process_sync() -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, drop_results_after=0)
    batch_id = ended_batch(emulator, clock, 5)
    transport = EmulatorTransport(create_app(emulator))
    with httpx.Client(transport=transport, base_url="http://e", headers=HEADERS) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{BATCHES}/{batch_id}/results")
        assert len(results_of(http.get(f"{BATCHES}/{batch_id}/results"))) == 5
        assert http.get(BATCHES).json()["data"][0]["id"] == batch_id


def test_first_download_is_cut_over_loopback() -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, drop_results_after=250)
    first, second = ended_batch(emulator, clock, 1000), ended_batch(emulator, clock, 100)
    timeout = httpx.Timeout(10.0)
    with (
        EmulatorServer(emulator) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=timeout) as http,
    ):
        lines: list[str] = []
        with (
            pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
            http.stream("GET", f"{BATCHES}/{first}/results") as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/x-jsonl"
            lines.extend(response.iter_lines())
        assert len(lines) == 250
        assert len(results_of(http.get(f"{BATCHES}/{first}/results"))) == 1000
        # fewer lines than the cut: nothing to drop
        assert len(results_of(http.get(f"{BATCHES}/{second}/results"))) == 100
        assert http.get(BATCHES).status_code == 200  # still serving
    assert emulator.stats.results_dropped == 1


def test_faults_over_loopback_carry_retry_after() -> None:
    emulator = Emulator(clock=ManualClock(), fault_rate=1.0)
    with (
        EmulatorServer(emulator) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10.0) as http,
    ):
        response = http.get(BATCHES)
    assert response.status_code in FAULT_TYPES
    assert response.headers["retry-after"] == "0"
    assert response.json()["error"]["type"] == FAULT_TYPES[response.status_code]
