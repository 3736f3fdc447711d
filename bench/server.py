"""A small, fast HTTP/1.1 server on loopback that plays the API for the benchmarks.

It runs in its own process (`python -m bench.server DATA_DIR`) and prints its base URL. It
serves the prepared results files with `sendfile`, so the bytes cost it almost nothing, and
keeps connections alive, so each client is measured on the same bytes with the server out of
the way. What it answers:

- `GET /v1/messages/batches/msgbatch_bench_N`: an ended batch whose `results_url` points at
  the results file of N results (`results-N-*.jsonl` in DATA_DIR).
- `GET /v1/messages/batches/msgbatch_bench_N/results`: that file, `application/x-jsonl`.
- `POST /v1/messages/batches`: reads the whole body, counts the requests in it (occurrences of
  `"custom_id"`) without parsing, and answers a new `in_progress` batch with that count.
- `GET /v1/messages/batches?limit=&after_id=&before_id=`: pages over 10,000 batches, newest
  first; the pages are encoded once and cached.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LIST_SIZE", "main"]

LIST_SIZE = 10_000
_PREFIX = "/v1/messages/batches"
_CREATED = "2026-10-21T12:00:00.000000Z"
_EXPIRES = "2026-10-22T12:00:00.000000Z"
_MARK = b'"custom_id"'


def _batch(batch_id: str, *, ended: bool, count: int, results_url: str | None) -> dict[str, Any]:
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": "ended" if ended else "in_progress",
        "request_counts": {
            "processing": 0 if ended else count,
            "succeeded": count if ended else 0,
            "errored": 0,
            "canceled": 0,
            "expired": 0,
        },
        "ended_at": _EXPIRES if ended else None,
        "created_at": _CREATED,
        "expires_at": _EXPIRES,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": results_url,
    }


class _Lister:
    """The list endpoint over LIST_SIZE batches, ids sorted oldest first."""

    def __init__(self) -> None:
        self.ids = [f"msgbatch_{i:010d}" for i in range(LIST_SIZE)]
        self.position = {batch_id: i for i, batch_id in enumerate(self.ids)}
        self.cache: dict[tuple[int, str | None, str | None], bytes] = {}

    def page(self, limit: int, before_id: str | None, after_id: str | None) -> bytes:
        key = (limit, before_id, after_id)
        body = self.cache.get(key)
        if body is None:
            body = self.cache[key] = self._page(limit, before_id, after_id)
        return body

    def _page(self, limit: int, before_id: str | None, after_id: str | None) -> bytes:
        ids = self.ids
        if after_id is not None:
            end = self.position.get(after_id, 0)
            chosen = ids[max(0, end - limit) : end][::-1]
            has_more = end > limit
        elif before_id is not None:
            start = self.position.get(before_id, -1) + 1
            chosen = ids[start : start + limit][::-1]
            has_more = len(ids) - start > limit
        else:
            chosen = ids[-limit:][::-1]
            has_more = len(ids) > limit
        data = [_batch(i, ended=True, count=1, results_url=None) for i in chosen]
        page = {
            "data": data,
            "has_more": has_more,
            "first_id": chosen[0] if chosen else None,
            "last_id": chosen[-1] if chosen else None,
        }
        return json.dumps(page, separators=(",", ":")).encode()


class _Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.lister = _Lister()
        self.created = 0
        self.base_url = ""

    def results_path(self, count: str) -> tuple[Path, int] | None:
        found = sorted(self.data_dir.glob(f"results-{count}-*.jsonl"))
        return (found[-1], found[-1].stat().st_size) if found else None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                requests = await self.drain_body(reader, length)
                await self.respond(writer, method, target, requests)
                if headers.get("connection", "").lower() == "close":
                    return
        finally:
            writer.close()

    async def drain_body(self, reader: asyncio.StreamReader, length: int) -> int:
        """Read and drop a body, counting the requests in it."""
        count, tail, left = 0, b"", length
        while left:
            chunk = await reader.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            block = tail + chunk
            count += block.count(_MARK)
            # Keep the end that could hold the start of a mark cut in two.
            # (one byte shorter than a mark, so no mark is counted twice).
            tail = block[-(len(_MARK) - 1) :]
        return count

    async def respond(
        self, writer: asyncio.StreamWriter, method: str, target: str, requests: int
    ) -> None:
        url = urlsplit(target)
        path = url.path
        if method == "POST" and path == _PREFIX:
            self.created += 1
            batch_id = f"msgbatch_created_{self.created:06d}"
            body = json.dumps(_batch(batch_id, ended=False, count=requests, results_url=None))
            await self.send(writer, 200, body.encode())
        elif method == "GET" and path == _PREFIX:
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            body_bytes = self.lister.page(
                int(query.get("limit", "20")), query.get("before_id"), query.get("after_id")
            )
            await self.send(writer, 200, body_bytes)
        elif method == "GET" and path.startswith(_PREFIX + "/msgbatch_bench_"):
            rest = path[len(_PREFIX) + 1 :]
            batch_id, _, suffix = rest.partition("/")
            count = batch_id.rsplit("_", 1)[-1]
            file = self.results_path(count)
            if file is None or not count.isdigit():
                await self.send(writer, 404, b'{"type":"error","error":{"type":"not_found_error"}}')
            elif suffix == "results":
                await self.send_file(writer, *file)
            else:
                results_url = f"{self.base_url}{_PREFIX}/{batch_id}/results"
                batch = _batch(batch_id, ended=True, count=int(count), results_url=results_url)
                body = json.dumps(batch)
                await self.send(writer, 200, body.encode())
        else:
            await self.send(writer, 404, b'{"type":"error","error":{"type":"not_found_error"}}')

    async def send(self, writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\nrequest-id: req_bench\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()

    async def send_file(self, writer: asyncio.StreamWriter, file: Path, size: int) -> None:
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-jsonl\r\n"
            f"content-length: {size}\r\nrequest-id: req_bench\r\n\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        loop = asyncio.get_running_loop()
        with file.open("rb") as f:
            await loop.sendfile(writer.transport, f, 0, size)


async def _serve(data_dir: Path) -> None:
    server = _Server(data_dir)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=2048)
    port = listener.sockets[0].getsockname()[1]
    server.base_url = f"http://127.0.0.1:{port}"
    # Encode every page of the limit=100 walk once, so list timings never include it.
    after: str | None = None
    while True:
        page = json.loads(server.lister.page(100, None, after))
        if not page["has_more"]:
            break
        after = page["last_id"]
    print(server.base_url, flush=True)
    async with listener:
        await listener.serve_forever()


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
    try:
        asyncio.run(_serve(data_dir))
    except KeyboardInterrupt:
        pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
