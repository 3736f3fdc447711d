"""Test helpers shared by the async tests and their generated sync twins (no I/O here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx

from anthropic_batches import BatchRequest
from anthropic_batches._job_options import Polling
from anthropic_batches._split import RequestLike

BASE = "https://api.example.test"
KEY = "sk-ant-test-0123456789"
OTHER_KEY = "sk-ant-other-9876543210"

#: Job polling for tests on a manual clock: every round at once.
FAST: Polling = {"poll_interval": 0.001, "max_poll_interval": 0.005}


def custom_ids(requests: Iterable[RequestLike]) -> list[str]:
    """The `custom_id` of each request, whether a `BatchRequest` or a dict."""
    return [r.custom_id if isinstance(r, BatchRequest) else r["custom_id"] for r in requests]


def checked_request(custom_id: Any = "r1", **params: Any) -> dict[str, Any]:
    """A small acceptable request; `params` replace or add fields of its `params`."""
    base: dict[str, Any] = {
        "model": "claude-opus-5",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}],
    }
    base.update(params)
    return {"custom_id": custom_id, "params": base}


def job_request(custom_id: str, text: str = "hello") -> dict[str, Any]:
    """A request of a job's tests: one user message of `text`."""
    messages = [{"role": "user", "content": text}]
    params = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages}
    return {"custom_id": custom_id, "params": params}


def numbered_requests(
    n: int,
    prefix: str = "r",
    *,
    model: str = "claude-opus-5",
    max_tokens: int = 32,
    **params: Any,
) -> list[dict[str, Any]]:
    """`n` requests `PREFIX0`, `PREFIX1`, ..., each asking `question I`."""
    return [
        {
            "custom_id": f"{prefix}{i}",
            "params": {
                "model": model,
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": f"question {i}"}],
                **params,
            },
        }
        for i in range(n)
    ]


def batch_json(
    batch_id: str = "msgbatch_01",
    status: str = "in_progress",
    *,
    results_url: str | None = None,
    created_at: str = "2024-09-24T18:37:24.100435Z",
    **counts: int,
) -> dict[str, Any]:
    rc = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    rc.update(counts)
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": rc,
        "ended_at": "2024-09-24T18:40:00Z" if status == "ended" else None,
        "created_at": created_at,
        "expires_at": "2024-09-25T18:37:24.100435Z",
        "cancel_initiated_at": None,
        "results_url": results_url,
    }


def result_line(custom_id: str, kind: str = "succeeded", text: str = "hello") -> bytes:
    result: dict[str, Any] = {"type": kind}
    if kind == "succeeded":
        result["message"] = {
            "id": f"msg_{custom_id}",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-5",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 5},
        }
    elif kind == "errored":
        result["error"] = {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "bad"},
            "request_id": None,
        }
    return json.dumps({"custom_id": custom_id, "result": result}).encode()


def results_body(n: int, newline: bytes = b"\n") -> bytes:
    return b"".join(result_line(f"r{i}") + newline for i in range(n))


class ChunkStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent in fixed-size chunks, optionally cut after `drop_after` bytes.

    Records whether it was closed, so tests can see the SDK closed the answer.
    """

    def __init__(self, data: bytes, chunk: int = 7, drop_after: int | None = None) -> None:
        self.data = data
        self.chunk = chunk
        self.drop_after = drop_after
        self.closed = False
        self.sent = 0

    def _chunks(self) -> Iterator[bytes]:
        end = len(self.data) if self.drop_after is None else self.drop_after
        for i in range(0, end, self.chunk):
            piece = self.data[i : min(i + self.chunk, end)]
            self.sent += len(piece)
            yield piece
        if self.drop_after is not None:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._chunks():
            yield piece

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def hide_module(monkeypatch: Any, name: str) -> None:
    """Make `import name` (and its submodules) fail for one test, as if the package were not
    installed, whether or not an earlier test imported it (the tests run in a random order)."""
    import sys

    for loaded in {name, *(m for m in sys.modules if m.startswith(name + "."))}:
        monkeypatch.setitem(sys.modules, loaded, None)
