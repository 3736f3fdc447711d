"""A batch of 100,000 requests: accepted, processed, and streamed in chunks with flat memory."""

from __future__ import annotations

import json
import tracemalloc

import httpx
from emulator.support import BATCHES, HEADERS

from anthropic_batches.emulator import Emulator, EmulatorServer, ManualClock

N = 100_000


def test_a_100k_batch_streams_its_results_with_flat_memory() -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock)
    requests = [
        {
            "custom_id": f"r-{i}",
            "params": {
                "model": "claude-opus-5",
                "max_tokens": 32,
                "messages": [{"role": "user", "content": f"Summarise item number {i} please"}],
            },
        }
        for i in range(N)
    ]
    content = json.dumps({"requests": requests}).encode()
    del requests
    with (
        EmulatorServer(emulator) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=60.0) as http,
    ):
        created = http.post(BATCHES, content=content, headers={"content-type": "application/json"})
        assert created.status_code == 200, created.text
        batch_id = created.json()["id"]
        assert created.json()["request_counts"]["processing"] == N
        clock.advance(1)
        ended = http.get(f"{BATCHES}/{batch_id}").json()
        assert ended["request_counts"]["succeeded"] == N

        tracemalloc.start()
        try:
            seen = bytearray(N)  # one byte a request: small next to the results
            chunks = total = succeeded = 0
            carry = b""
            with http.stream("GET", ended["results_url"]) as response:
                assert response.status_code == 200
                for chunk in response.iter_raw():
                    chunks += 1
                    total += len(chunk)
                    lines = (carry + chunk).split(b"\n")
                    carry = lines.pop()
                    for line in lines:
                        seen[int(line[16 : line.index(b'"', 16)])] += 1
                    succeeded += b"\n".join(lines).count(b'"result":{"type":"succeeded"')
            assert carry == b""
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert total > 20_000_000  # over 20 MB of results text...
        assert peak < 8_000_000  # ...never held at once, on either side
        assert chunks >= N // 1000  # streamed, not one body
        assert seen == bytearray([1]) * N  # every request, exactly once
        assert succeeded == N
