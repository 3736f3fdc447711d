"""A second user of the emulator, run as its own process during the load test: with its own key
it lists its batches and now and then creates one, and writes each call's latency (seconds) and
status to a file until it is stopped.

Usage: python probe.py BASE_URL API_KEY OUTPUT
"""

from __future__ import annotations

import json
import sys
import time

import httpx

REQUEST = {
    "custom_id": "probe",
    "params": {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
}


def main(base_url: str, key: str, output: str) -> None:
    headers = {"x-api-key": key, "anthropic-version": "2026-10-21"}
    mine: set[str] = set()
    with (
        httpx.Client(base_url=base_url, headers=headers, timeout=30) as http,
        open(output, "w", encoding="utf-8") as out,
    ):
        for i in range(1_000_000):
            started = time.monotonic()
            if i % 10 == 0:
                response = http.post("/v1/messages/batches", json={"requests": [REQUEST]})
                if response.status_code == 200:
                    mine.add(response.json()["id"])
                foreign = 0
            else:
                response = http.get("/v1/messages/batches", params={"limit": 100})
                seen = {b["id"] for b in response.json()["data"]} if response.is_success else set()
                foreign = len(seen - mine)
            took = time.monotonic() - started
            line = {"s": round(took, 5), "status": response.status_code, "foreign": foreign}
            out.write(json.dumps(line) + "\n")
            out.flush()
            time.sleep(0.02)


if __name__ == "__main__":
    main(*sys.argv[1:4])
