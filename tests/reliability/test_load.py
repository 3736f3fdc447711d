"""Load: many batches in flight at once, waited concurrently by one client on one event loop,
against the emulator in its own process. All must end; the client must stay within its
connection pool and in bounded memory; another key's calls must stay quick meanwhile."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability.support import (
    child_env,
    peak_rss_kib,
    record,
    rss_kib,
    served_emulator,
    stop,
    tcp_connections,
)

from anthropic_batches import AsyncClient, AsyncJob

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

KEY = "sk-ant-load"
PROBE_KEY = "sk-ant-someone-else"
POOL_LIMIT = 100  # httpx's default max_connections, which the client keeps
PER_BATCH = 2


class Sampler(threading.Thread):
    """Samples this process's connections to a port and its memory until stopped."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.done = threading.Event()
        self.connections = 0
        self.rss_kib = 0
        self.samples = 0

    def run(self) -> None:
        while not self.done.is_set():
            self.connections = max(self.connections, tcp_connections(self.port))
            self.rss_kib = max(self.rss_kib, rss_kib())
            self.samples += 1
            self.done.wait(0.01)

    def __enter__(self) -> Sampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def job_requests(n: int) -> list[dict[str, Any]]:
    params = {"model": "claude-haiku-4-5", "max_tokens": 8}
    return [
        {
            "custom_id": f"l-{i}",
            "params": {**params, "messages": [{"role": "user", "content": "x"}]},
        }
        for i in range(n)
    ]


def start_probe(url: str, out: Path) -> subprocess.Popen[bytes]:
    script = Path(__file__).with_name("probe.py")
    return subprocess.Popen(
        [sys.executable, str(script), url, PROBE_KEY, str(out)],
        env=child_env(),
        stdout=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("batches", "process_seconds"),
    [
        pytest.param(100, 6.0, id="100-fast"),
        pytest.param(1_000, 40.0, id="1000", marks=pytest.mark.slow),
    ],
)
async def test_many_batches_in_flight_waited_at_once(
    tmp_path: Path, batches: int, process_seconds: float
) -> None:
    requests = job_requests(batches * PER_BATCH)
    probe_out = tmp_path / "probe.jsonl"
    with served_emulator("--process-seconds", str(process_seconds)) as (url, emulator_proc):
        port = httpx.URL(url).port
        assert port is not None
        probe = start_probe(url, probe_out)
        reports: list[int] = []  # one per submit and per poll
        try:
            started = time.monotonic()
            with Sampler(port) as sampler:
                async with AsyncClient(api_key=KEY, base_url=url) as client:
                    job = AsyncJob(
                        client,
                        requests,
                        max_requests=PER_BATCH,
                        poll_interval=1.0,
                        max_poll_interval=5.0,
                        on_progress=lambda _: reports.append(1),
                    )
                    await job.submit()
                    submitted = time.monotonic() - started
                    statuses = [
                        b.processing_status async for b in client.messages.batches.iter(limit=1000)
                    ]
                    # the Python heap while waiting (RSS hides reuse of memory freed earlier;
                    # tracing from the start would slow the submit 4 times over)
                    tracemalloc.start()
                    ended = await job.wait(timeout=process_seconds + 120)
            elapsed = time.monotonic() - started
            heap_peak = tracemalloc.get_traced_memory()[1]
            emulator_peak = peak_rss_kib(emulator_proc.pid)
        finally:
            tracemalloc.stop()
            stop(probe)
    assert submitted < process_seconds, "too slow to have them all in flight: raise process_seconds"
    assert len(statuses) == batches
    assert statuses.count("in_progress") == batches  # all in flight at once
    assert len(ended) == batches
    assert all(b.processing_status == "ended" for b in ended)
    assert sum(b.request_counts.succeeded for b in ended) == len(requests)
    assert 0 < sampler.connections <= POOL_LIMIT
    heap_mib = heap_peak / 2**20
    assert heap_mib < 10 + batches * 0.05  # tens of KiB per batch in flight, not more

    probe_calls = [json.loads(line) for line in probe_out.read_text().splitlines()]
    latencies = sorted(c["s"] for c in probe_calls)
    assert len(probe_calls) > 20
    assert {c["status"] for c in probe_calls} == {200}
    assert sum(c["foreign"] for c in probe_calls) == 0  # and it never saw this key's batches
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 1.0
    record(
        "load",
        batches_in_flight=batches,
        requests=len(requests),
        submit_seconds=round(submitted, 1),
        batches_ended=len(ended),
        polls=len(reports) - batches,
        peak_connections=sampler.connections,
        pool_limit=POOL_LIMIT,
        client_heap_growth_waiting_mib=round(heap_mib, 1),
        client_peak_rss_mib=round(sampler.rss_kib / 1024, 1),
        emulator_peak_rss_mib=round(emulator_peak / 1024, 1),
        probe_calls=len(probe_calls),
        probe_errors=sum(c["status"] != 200 for c in probe_calls),
        probe_median_ms=round(statistics.median(latencies) * 1000, 1),
        probe_p99_ms=round(p99 * 1000, 1),
        probe_max_ms=round(latencies[-1] * 1000, 1),
        seconds=round(elapsed, 1),
    )
