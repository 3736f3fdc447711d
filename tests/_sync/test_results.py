"""The result stream over mocked HTTP: decoding, closing, resuming, and where it connects."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from helpers import BASE, KEY, ChunkStream, batch_json, result_line, results_body

from anthropic_batches import (
    APIConnectionError,
    Client,
    ErroredResult,
    MessageBatch,
    NotFoundError,
    ResultsDecodeError,
    SucceededResult,
)
from anthropic_batches._sync import client as client_mod
from anthropic_batches._sync import results as results_mod
from anthropic_batches._sync._backend import sleep

RESULTS = f"{BASE}/v1/messages/batches/b1/results"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(client_mod, "sleep", fake_sleep)
    monkeypatch.setattr(results_mod, "sleep", fake_sleep)


class Server:
    """A mock API: `get` of b1 is ended; results come from `bodies` in turn."""

    def __init__(self, *bodies: ChunkStream, ranges: bool = False) -> None:
        self.bodies = list(bodies)
        self.ranges = ranges
        self.requests: list[httpx.Request] = []
        self.streams: list[ChunkStream] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not request.url.path.endswith("/results"):
            return httpx.Response(200, json=batch_json("b1", "ended", results_url=RESULTS))
        stream = self.bodies.pop(0)
        self.streams.append(stream)
        headers = {"content-type": "application/x-jsonl"}
        if self.ranges:
            headers["accept-ranges"] = "bytes"
            wanted = request.headers.get("range")
            if wanted:
                start = int(wanted.removeprefix("bytes=").rstrip("-"))
                total = len(stream.data)
                stream.data = stream.data[start:]
                headers["content-range"] = f"bytes {start}-{total - 1}/{total}"
                return httpx.Response(206, headers=headers, stream=stream)
        return httpx.Response(200, headers=headers, stream=stream)

    def client(self, **kw: Any) -> Client:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return Client(api_key=KEY, base_url=BASE, http_client=http, **kw)


def ended(results_url: str | None = RESULTS) -> MessageBatch:
    return MessageBatch.model_validate(batch_json("b1", "ended", results_url=results_url))


def test_streams_every_result_and_closes_on_exhaustion() -> None:
    body = b"\r\n".join(result_line(f"r{i}") for i in range(50)) + b"\r\n\r\n"
    server = Server(ChunkStream(body, chunk=5))
    client = server.client()
    with client.messages.batches.results(ended()) as stream:
        ids = [r.custom_id for r in stream]
    assert ids == [f"r{i}" for i in range(50)]
    assert server.streams[0].closed
    assert stream.closed
    assert stream.line_number == 50
    assert [r.url.path for r in server.requests] == ["/v1/messages/batches/b1/results"]
    assert server.requests[0].headers["x-api-key"] == KEY


def test_typed_variants() -> None:
    body = result_line("a") + b"\n" + result_line("b", "errored") + b"\n"
    body += result_line("c", "canceled") + b"\n" + result_line("d", "expired")
    server = Server(ChunkStream(body))
    results = [r for r in server.client().messages.batches.results(ended())]
    assert isinstance(results[0].result, SucceededResult)
    assert results[0].result.message.usage.output_tokens == 5
    assert isinstance(results[1].result, ErroredResult)
    assert results[1].result.error.error.type == "invalid_request_error"
    assert [r.result.type for r in results] == ["succeeded", "errored", "canceled", "expired"]


def test_reads_incrementally_not_whole_body() -> None:
    body = results_body(2000)
    server = Server(ChunkStream(body, chunk=4096))
    with server.client().messages.batches.results(ended()) as stream:
        first = stream.__next__()
        assert first.custom_id == "r0"
        assert server.streams[0].sent < len(body) // 10


def test_break_in_context_closes_response() -> None:
    server = Server(ChunkStream(results_body(100)))
    with server.client().messages.batches.results(ended()) as stream:
        for _ in stream:
            break
    assert server.streams[0].closed


def test_break_in_bare_loop_closes_response() -> None:
    server = Server(ChunkStream(results_body(100)))
    client = server.client()
    for _ in client.messages.batches.results(ended()):
        break
    for _ in range(3):
        sleep(0)
    assert server.streams[0].closed


def test_exception_in_consumer_closes_response() -> None:
    server = Server(ChunkStream(results_body(100)))
    with pytest.raises(KeyError):
        with server.client().messages.batches.results(ended()) as stream:
            for _ in stream:
                raise KeyError("consumer failed")
    assert server.streams[0].closed


def test_bad_line_raises_with_number_and_closes() -> None:
    body = result_line("a") + b"\n\n" + b'{"custom_id": "b", "result": {"typ\n' + result_line("c")
    server = Server(ChunkStream(body))
    got = []
    with pytest.raises(ResultsDecodeError, match="results line 3: not valid JSON") as info:
        for r in server.client().messages.batches.results(ended()):
            got.append(r.custom_id)
    assert got == ["a"]
    assert info.value.line_number == 3
    assert server.streams[0].closed


def test_dropped_download_resumes_by_skipping_lines() -> None:
    body = results_body(40)
    cut = body.index(b"\n", len(body) // 2) + 30  # mid-line
    server = Server(ChunkStream(body, chunk=64, drop_after=cut), ChunkStream(body, chunk=64))
    with server.client().messages.batches.results(ended()) as stream:
        ids = [r.custom_id for r in stream]
    assert ids == [f"r{i}" for i in range(40)]
    assert stream.resumes == 1
    assert "range" not in server.requests[1].headers
    assert all(s.closed for s in server.streams)


def test_dropped_download_resumes_with_range_when_offered() -> None:
    body = results_body(40)
    cut = body.index(b"\n", len(body) // 3) + 10
    server = Server(
        ChunkStream(body, chunk=64, drop_after=cut), ChunkStream(body, chunk=64), ranges=True
    )
    with server.client().messages.batches.results(ended()) as stream:
        ids = [r.custom_id for r in stream]
    assert ids == [f"r{i}" for i in range(40)]
    offset = int(server.requests[1].headers["range"].removeprefix("bytes=").rstrip("-"))
    assert body[offset - 1 : offset] == b"\n"
    assert offset <= cut
    assert len(server.streams[1].data) == len(body) - offset


def test_download_that_keeps_dropping_fails_after_retries() -> None:
    body = results_body(10)
    drops = [ChunkStream(body, drop_after=50) for _ in range(3)]
    server = Server(*drops)
    got = []
    with pytest.raises(APIConnectionError, match="dropped after line 0, 2 resume"):
        for r in server.client(max_retries=2).messages.batches.results(ended()):
            got.append(r)
    assert got == []
    assert all(s.closed for s in server.streams)


def test_id_is_looked_up_for_its_results_url() -> None:
    server = Server(ChunkStream(results_body(3)))
    ids = [r.custom_id for r in server.client().messages.batches.results("b1")]
    assert ids == ["r0", "r1", "r2"]
    assert [r.url.path for r in server.requests] == [
        "/v1/messages/batches/b1",
        "/v1/messages/batches/b1/results",
    ]


def test_foreign_results_url_never_gets_the_key() -> None:
    server = Server(ChunkStream(results_body(2)))
    batch = ended("https://elsewhere.example/v1/messages/batches/b1/results")
    ids = [r.custom_id for r in server.client().messages.batches.results(batch)]
    assert ids == ["r0", "r1"]
    assert [str(r.url) for r in server.requests] == [RESULTS]


def test_not_ended_results_are_not_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/results"):
            return httpx.Response(
                404, json={"type": "error", "error": {"type": "not_found_error", "message": "no"}}
            )
        return httpx.Response(200, json=batch_json("b1", "in_progress"))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(api_key=KEY, base_url=BASE, http_client=http)
    stream = client.messages.batches.results("b1")
    with pytest.raises(NotFoundError):
        stream.__next__()
    assert stream.closed
    assert "b1" in repr(stream)
    assert "closed" in repr(stream)


def test_closed_stream_yields_nothing_and_close_is_idempotent() -> None:
    server = Server(ChunkStream(results_body(5)))
    stream = server.client().messages.batches.results(ended())
    stream.close()
    stream.close()
    assert [r for r in stream] == []
    assert server.requests == []
