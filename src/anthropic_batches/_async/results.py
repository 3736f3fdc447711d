"""The result stream: a batch's `.jsonl` results read line by line with flat memory.

The HTTP answer is closed on exhaustion, on `break`, on an exception and on leaving the
context. A download that drops midway is requested again and picks up after the last result
handed out: by a `Range` request when the server advertises byte ranges, else by skipping the
lines already read. So each result comes exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from .._exceptions import APIConnectionError
from .._jsonl import LineDecoder, parse_result
from .._models import BatchResult, MessageBatch
from .._otel import start_span
from .._shared import NOT_GIVEN, NotGiven, batch_path, parse_model, results_url, retry_delay
from ._backend import sleep

if TYPE_CHECKING:
    from .client import AsyncClient, TimeoutTypes

__all__ = ["AsyncResultStream"]

logger = logging.getLogger("anthropic_batches")

#: What the official SDKs ask for; the API answers `application/x-jsonl`.
_ACCEPT = "application/binary"


class _Download:
    """What the reading generator needs, kept apart from the stream object so that dropping
    the stream (a `break` out of a bare loop) frees the generator, which closes the answer."""

    def __init__(
        self, client: AsyncClient, batch: str | MessageBatch, timeout: TimeoutTypes | NotGiven
    ) -> None:
        self.client = client
        self.batch = batch if isinstance(batch, MessageBatch) else None
        self.batch_id = batch.id if isinstance(batch, MessageBatch) else batch
        self.timeout = timeout
        self.response: httpx.Response | None = None
        self.closed = False
        self.line_number = 0
        self.resumes = 0

    async def close_response(self) -> None:
        response, self.response = self.response, None
        if response is not None:
            await response.aclose()

    async def url(self) -> str:
        batch = self.batch
        if batch is None or batch.results_url is None:
            response = await self.client._send(
                "GET", batch_path(self.batch_id), operation="retrieve", batch_id=self.batch_id
            )
            batch = parse_model(MessageBatch, response)
        return results_url(self.client._settings, self.batch_id, batch.results_url)

    async def open(self, url: str, offset: int, ranged: bool) -> httpx.Response:
        headers = {"accept": _ACCEPT}
        if ranged and offset:
            headers["range"] = f"bytes={offset}-"
        self.response = await self.client._send(
            "GET",
            url,
            headers=headers,
            timeout=self.timeout,
            stream=True,
            operation="results",
            batch_id=self.batch_id,
        )
        return self.response


class AsyncResultStream:
    """A batch's `BatchResult`s, one at a time: read them with `async for`, inside
    `async with` to close the download on leaving the block.

    Attributes:
        batch_id: The batch whose results these are.
    """

    def __init__(
        self,
        client: AsyncClient,
        batch: str | MessageBatch,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
    ) -> None:
        self._download = _Download(client, batch, timeout)
        self.batch_id = self._download.batch_id
        self._results: AsyncIterator[BatchResult] | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"at line {self.line_number}"
        return f"<{type(self).__name__} {self.batch_id} {state}>"

    async def __aenter__(self) -> AsyncResultStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncResultStream:
        return self

    async def __anext__(self) -> BatchResult:
        if self._download.closed:
            raise StopAsyncIteration
        if self._results is None:
            self._results = _read(self._download)
        return await self._results.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the HTTP answer. Safe to call more than once."""
        self._download.closed = True
        results, self._results = self._results, None
        if results is not None:
            await results.aclose()  # type: ignore[attr-defined]
        await self._download.close_response()

    @property
    def closed(self) -> bool:
        """Whether the stream has been closed (nothing more will be read)."""
        return self._download.closed

    @property
    def line_number(self) -> int:
        """The line of the results file read last (1-based; 0 before the first)."""
        return self._download.line_number

    @property
    def resumes(self) -> int:
        """How many times a dropped download was picked up again."""
        return self._download.resumes


async def _read(state: _Download) -> AsyncIterator[BatchResult]:
    span, end_span = start_span("results", state.batch_id, state.client._tracer_provider)
    error: BaseException | None = None
    try:
        url = await state.url()
        decoder = LineDecoder()
        delivered = 0
        ranged = False
        while True:
            response = await state.open(url, decoder.offset, ranged)
            if response.status_code == 206 and _starts_at(response, decoder.offset):
                decoder = LineDecoder(line_number=decoder.line_number, offset=decoder.offset)
            else:
                decoder = LineDecoder()
                ranged = (
                    response.headers.get("accept-ranges", "").lower() == "bytes"
                    and "content-encoding" not in response.headers
                )
            try:
                async for chunk in response.aiter_bytes():
                    for number, line in decoder.feed(chunk):
                        if number > delivered:
                            result = parse_result(number, line)
                            state.line_number = delivered = number
                            yield result
                for number, line in decoder.flush():
                    if number > delivered:
                        result = parse_result(number, line)
                        state.line_number = delivered = number
                        yield result
                return
            except httpx.TransportError as exc:
                if state.resumes >= state.client.max_retries:
                    raise APIConnectionError(
                        f"results download of {state.batch_id} dropped after line "
                        f"{delivered}, {state.resumes} resume(s) made: {exc}",
                        request=response.request,
                    ) from exc
                logger.info(
                    "results of %s dropped after line %d (%r); resuming",
                    state.batch_id,
                    delivered,
                    exc,
                )
                await state.close_response()
                await sleep(retry_delay(state.resumes))
                state.resumes += 1
    except BaseException as exc:
        # Leaving the loop early (`break`) closes the generator: not an error of the download.
        error = None if isinstance(exc, GeneratorExit) else exc
        raise
    finally:
        span.set("anthropic_batches.results.lines", state.line_number)
        span.set("anthropic_batches.results.resumes", state.resumes)
        end_span(error)
        state.closed = True
        await state.close_response()


def _starts_at(response: httpx.Response, offset: int) -> bool:
    """Whether a 206 answer's `Content-Range` starts at `offset`."""
    value = response.headers.get("content-range", "")
    unit, _, rest = value.partition(" ")
    start = rest.split("-", 1)[0]
    return unit.strip().lower() == "bytes" and start.isdigit() and int(start) == offset
