"""The hand-written pair of backends: what the twins do differently, tested on each side,
and a job's state written off the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import KEY

from anthropic_batches import AsyncClient
from anthropic_batches._async import _backend as async_backend
from anthropic_batches._async import _job_open
from anthropic_batches._async.jobs import AsyncJob
from anthropic_batches._state import atomic_write
from anthropic_batches._sync import _backend as sync_backend
from anthropic_batches.emulator import AsyncEmulatorTransport, Emulator, create_app


async def test_gather_runs_the_calls_at_once_and_keeps_their_order() -> None:
    async def slow(value: int) -> int:
        await asyncio.sleep(0.2)
        return value

    start = time.monotonic()
    calls = [lambda i=i: slow(i) for i in range(5)]
    assert await async_backend.gather(calls) == [0, 1, 2, 3, 4]
    assert time.monotonic() - start < 0.6


async def test_gather_cancels_the_rest_on_error() -> None:
    finished: list[int] = []

    async def slow() -> int:
        await asyncio.sleep(5)
        finished.append(1)
        return 1

    async def bad() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await async_backend.gather([slow, bad])
    await asyncio.sleep(0)
    assert finished == []


def test_sync_gather_runs_the_calls_in_turn() -> None:
    seen: list[int] = []

    def call(n: int) -> Callable[[], int]:
        def run() -> int:
            seen.append(n)
            return n

        return run

    calls = [call(1), call(2)]
    assert sync_backend.gather(calls) == [1, 2]
    assert seen == [1, 2]


async def test_run_blocking_runs_in_a_worker_thread() -> None:
    assert await async_backend.run_blocking(threading.get_ident) != threading.get_ident()
    assert sync_backend.run_blocking(threading.get_ident) == threading.get_ident()
    assert sync_backend.run_blocking(divmod, 7, 2) == (3, 1)


async def test_a_cancelled_run_blocking_lets_the_function_finish_first() -> None:
    release, done = threading.Event(), threading.Event()

    def work() -> None:
        release.wait(5)
        done.set()

    task = asyncio.ensure_future(async_backend.run_blocking(work))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # still waiting for the thread
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert done.is_set()


def test_the_pair_exports_the_same_names() -> None:
    assert sorted(async_backend.__all__) == sorted(sync_backend.__all__)


async def test_the_loop_keeps_running_while_the_state_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving the state syncs the file and its folder to disk, which can take long on a
    slow disk; other tasks on the loop go on meanwhile."""
    release = threading.Event()
    writes: list[Path] = []
    write = atomic_write

    def slow_write(path: Path, data: bytes) -> None:
        release.wait(5)  # a disk that takes its time
        write(path, data)
        writes.append(path)

    monkeypatch.setattr(_job_open, "atomic_write", slow_write)
    http = httpx.AsyncClient(transport=AsyncEmulatorTransport(create_app(Emulator())))
    client = AsyncClient(api_key=KEY, base_url="http://emulator.test", http_client=http)
    request: dict[str, Any] = {
        "custom_id": "a",
        "params": {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    }
    async with http, client:
        job = AsyncJob(client, [request], state_path=tmp_path / "s.json")
        submit = asyncio.ensure_future(job.submit())
        ticks = 0
        while ticks < 20:
            await asyncio.sleep(0.005)
            ticks += 1
        assert not submit.done() and writes == []  # the first save is still blocked
        release.set()
        [batch_id] = await submit
    assert ticks == 20
    assert writes and (tmp_path / "s.json").exists()
    assert batch_id in (tmp_path / "s.json").read_text()
