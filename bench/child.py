"""One measured client, run in a process of its own.

`python -m bench.child TASK CLIENT URL ARG` does one task with one client, then prints one
line of JSON: the seconds the work took inside the process (imports and interpreter start
left out: the parent measures wall time around the whole process), the peak RSS of the
process (`ru_maxrss`), and a summary of what was read, which the parent compares across
clients. Each client imports only its own library, so RSS is not shared or inflated.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["main"]

KEY = "bench-key"
Summary = dict[str, Any]
_clock: dict[str, float] = {}


def _start() -> None:
    """Start the clock: called once the client is built, so only the operation is timed."""
    _clock["start"] = time.perf_counter()
    _clock["cpu"] = time.process_time()


class _Tally:
    """Counts results by type and sums output tokens: the work every client does."""

    __slots__ = ("counts", "tokens")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.tokens = 0

    def add(self, kind: str, tokens: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.tokens += tokens

    def summary(self) -> Summary:
        return {"counts": dict(sorted(self.counts.items())), "output_tokens": self.tokens}


# -- results ----------------------------------------------------------------------------------


def _batch_id(size: str) -> str:
    return f"msgbatch_bench_{size}"


async def results_ours_async(url: str, size: str) -> Summary:
    from anthropic_batches import AsyncClient

    tally = _Tally()
    async with AsyncClient(api_key=KEY, base_url=url) as client:
        _start()
        async with client.messages.batches.results(_batch_id(size)) as results:
            async for r in results:
                result = r.result
                if result.type == "succeeded":
                    tally.add("succeeded", result.message.usage.output_tokens)  # type: ignore[union-attr]
                else:
                    tally.add(result.type, 0)
    return tally.summary()


def results_ours_sync(url: str, size: str) -> Summary:
    from anthropic_batches import Client

    tally = _Tally()
    with Client(api_key=KEY, base_url=url) as client:
        _start()
        with client.messages.batches.results(_batch_id(size)) as results:
            for r in results:
                result = r.result
                if result.type == "succeeded":
                    tally.add("succeeded", result.message.usage.output_tokens)  # type: ignore[union-attr]
                else:
                    tally.add(result.type, 0)
    return tally.summary()


async def results_official_async(url: str, size: str) -> Summary:
    import anthropic

    tally = _Tally()
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        async for r in await client.messages.batches.results(_batch_id(size)):
            result = r.result
            if result.type == "succeeded":
                tally.add("succeeded", result.message.usage.output_tokens)
            else:
                tally.add(result.type, 0)
    return tally.summary()


def results_official_sync(url: str, size: str) -> Summary:
    import anthropic

    tally = _Tally()
    with anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        for r in client.messages.batches.results(_batch_id(size)):
            result = r.result
            if result.type == "succeeded":
                tally.add("succeeded", result.message.usage.output_tokens)
            else:
                tally.add(result.type, 0)
    return tally.summary()


async def _results_url(http: Any, url: str, size: str) -> str:
    response = await http.get(f"{url}/v1/messages/batches/{_batch_id(size)}")
    return str(response.json()["results_url"])


async def results_httpx_bytes(url: str, size: str) -> Summary:
    """The transport limit: the same GETs over httpx, the bytes read and dropped."""
    import httpx

    total = lines = 0
    async with httpx.AsyncClient() as http:
        _start()
        results_url = await _results_url(http, url, size)
        async with http.stream("GET", results_url) as response:
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                lines += chunk.count(b"\n")
    return {"bytes": total, "lines": lines}


def _tally_dict(tally: _Tally, result: dict[str, Any]) -> None:
    kind = result["type"]
    tally.add(kind, result["message"]["usage"]["output_tokens"] if kind == "succeeded" else 0)


def results_httpx_bytes_sync(url: str, size: str) -> Summary:
    """The transport limit of the sync clients: httpx's sync client, bytes read and dropped."""
    import httpx

    total = lines = 0
    with httpx.Client() as http:
        _start()
        response = http.get(f"{url}/v1/messages/batches/{_batch_id(size)}")
        with http.stream("GET", response.json()["results_url"]) as response:
            for chunk in response.iter_bytes():
                total += len(chunk)
                lines += chunk.count(b"\n")
    return {"bytes": total, "lines": lines}


async def results_httpx_json(url: str, size: str) -> Summary:
    """httpx, lines split by hand and `json.loads` on each: no models, no validation."""
    import httpx

    tally = _Tally()
    loads = json.loads
    async with httpx.AsyncClient() as http:
        _start()
        results_url = await _results_url(http, url, size)
        async with http.stream("GET", results_url) as response:
            rest = b""
            async for chunk in response.aiter_bytes():
                parts = (rest + chunk).split(b"\n")
                rest = parts.pop()
                for line in parts:
                    _tally_dict(tally, loads(line)["result"])
            if rest.strip():
                _tally_dict(tally, loads(rest)["result"])
    return tally.summary()


# -- create -----------------------------------------------------------------------------------


def _requests(size: str) -> list[dict[str, Any]]:
    from bench.data import create_requests

    return create_requests(int(size))


async def create_ours_async(url: str, requests: list[dict[str, Any]]) -> Summary:
    from anthropic_batches import AsyncClient

    async with AsyncClient(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        batch = await client.messages.batches.create(requests)
    return {"requests": batch.request_counts.processing}


def create_ours_sync(url: str, requests: list[dict[str, Any]]) -> Summary:
    from anthropic_batches import Client

    with Client(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        batch = client.messages.batches.create(requests)
    return {"requests": batch.request_counts.processing}


async def create_official_async(url: str, requests: list[dict[str, Any]]) -> Summary:
    import anthropic

    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        batch = await client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
    return {"requests": batch.request_counts.processing}


def create_official_sync(url: str, requests: list[dict[str, Any]]) -> Summary:
    import anthropic

    with anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        batch = client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
    return {"requests": batch.request_counts.processing}


# -- list -------------------------------------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self.count = 0
        self.digest = hashlib.sha256()

    def add(self, batch_id: str) -> None:
        self.count += 1
        self.digest.update(batch_id.encode())

    def summary(self) -> Summary:
        return {"batches": self.count, "ids_sha256": self.digest.hexdigest()[:16]}


async def list_ours_async(url: str, limit: str) -> Summary:
    from anthropic_batches import AsyncClient

    ids = _Ids()
    async with AsyncClient(api_key=KEY, base_url=url) as client:
        _start()
        async for batch in client.messages.batches.iter(limit=int(limit)):
            ids.add(batch.id)
    return ids.summary()


def list_ours_sync(url: str, limit: str) -> Summary:
    from anthropic_batches import Client

    ids = _Ids()
    with Client(api_key=KEY, base_url=url) as client:
        _start()
        for batch in client.messages.batches.iter(limit=int(limit)):
            ids.add(batch.id)
    return ids.summary()


async def list_official_async(url: str, limit: str) -> Summary:
    import anthropic

    ids = _Ids()
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        async for batch in client.messages.batches.list(limit=int(limit)):
            ids.add(batch.id)
    return ids.summary()


def list_official_sync(url: str, limit: str) -> Summary:
    import anthropic

    ids = _Ids()
    with anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        _start()
        for batch in client.messages.batches.list(limit=int(limit)):
            ids.add(batch.id)
    return ids.summary()


# -- wait -------------------------------------------------------------------------------------


def _open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


async def wait_ours_async(url: str, count: str) -> Summary:
    """Create `count` batches, then wait for all of them concurrently in this one loop."""
    from anthropic_batches import AsyncClient

    request = {"custom_id": "r-1", "params": {"model": "claude-opus-5", "max_tokens": 16,
               "messages": [{"role": "user", "content": "hi"}]}}  # fmt: skip
    peak = {"sockets": 0, "threads": 0}
    polls = 0

    def on_poll(_: object) -> None:
        nonlocal polls
        polls += 1

    async def sample(stop: asyncio.Event) -> None:
        while not stop.is_set():
            peak["sockets"] = max(peak["sockets"], _open_sockets())
            peak["threads"] = max(peak["threads"], threading.active_count())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.02)

    async with AsyncClient(api_key=KEY, base_url=url) as client:
        _start()
        batches = await asyncio.gather(
            *(client.messages.batches.create([request]) for _ in range(int(count)))
        )
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(stop))
        started = time.perf_counter()
        done = await asyncio.gather(
            *(
                client.messages.batches.wait(b, poll_interval=0.5, max_poll_interval=2.0,
                                             on_poll=on_poll)
                for b in batches
            )
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        stop.set()
        await sampler
        limit = client._http._transport._pool._max_connections  # type: ignore[attr-defined]
    return {
        "ended": sum(1 for b in done if b.ended),
        "wait_seconds": elapsed,
        "polls": polls,
        "max_sockets": peak["sockets"],
        "max_threads": peak["threads"],
        "pool_limit": limit,
    }


# -- the command ------------------------------------------------------------------------------

_TASKS: dict[str, Callable[..., Any]] = {
    name: value for name, value in globals().items() if name.split("_")[0] in
    ("results", "create", "list", "wait") and callable(value)
}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    task, client, url, arg = (argv if argv is not None else sys.argv[1:])[:4]
    fn = _TASKS[f"{task}_{client.replace('-', '_')}"]
    payload: Any = arg
    extra: dict[str, Any] = {}
    if task == "create":
        payload = _requests(arg)
        extra["rss_before_kb"] = _current_rss_kb()
    is_async = asyncio.iscoroutinefunction(fn)
    summary = asyncio.run(fn(url, payload)) if is_async else fn(url, payload)
    seconds = time.perf_counter() - _clock["start"]
    cpu = time.process_time() - _clock["cpu"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"seconds": seconds, "cpu": cpu, "maxrss_kb": usage.ru_maxrss, "summary": summary}
    out.update(extra)
    print(json.dumps(out), flush=True)


def _current_rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
