"""A FastAPI service in front of the Message Batches API.

- One `AsyncClient` for the whole app, opened and closed by the lifespan: its connection
  pool is shared by every request.
- `POST /batches` creates a batch, `GET /batches/{batch_id}` reads its status.
- `GET /batches/{batch_id}/results` streams the results as NDJSON straight from the SDK's
  async iterator: each result is sent on as soon as it is read, and nothing is buffered.
  If the HTTP client goes away, the upstream download is closed with it.
- The SDK's errors become answers a caller can act on, never a bare 500: the API refusing
  the service's own key (401, 403) or failing (5xx), and the API out of reach, are 502 (a bad
  gateway: the caller's request was fine); a batch the API does not know is 404; the API's
  rate limit is 503 with `retry-after`. Each body says what happened, with the API's request
  id when there is one.

Run it with `uvicorn fastapi_app:app` (from `examples/`), with `ANTHROPIC_API_KEY` set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from anthropic_batches import (
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    AsyncResultStream,
    AuthenticationError,
    BatchRequest,
    BatchValidationError,
    MessageBatch,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

#: What a 503 asks the caller to wait when the API's answer did not say.
DEFAULT_RETRY_AFTER = "30"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Reads ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL, if set) from the environment.
    async with AsyncClient() as client:
        app.state.client = client
        yield


app = FastAPI(title="Batches service", lifespan=lifespan)


def upstream_error(
    status_code: int, detail: str, exc: APIStatusError | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if exc is not None:
        body["upstream"] = {
            "status_code": exc.status_code,
            "type": exc.type,
            "request_id": exc.request_id,
        }
    return JSONResponse(body, status_code=status_code)


@app.exception_handler(APIStatusError)
async def api_status_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIStatusError)
    if isinstance(exc, NotFoundError):
        return upstream_error(404, "not found at the Anthropic API", exc)
    if isinstance(exc, RateLimitError):
        response = upstream_error(503, "the Anthropic API's rate limit: try again later", exc)
        response.headers["retry-after"] = exc.response.headers.get(
            "retry-after", DEFAULT_RETRY_AFTER
        )
        return response
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        # The caller did nothing wrong: the service's own key was refused.
        return upstream_error(502, "the Anthropic API refused this service's API key", exc)
    return upstream_error(502, f"the Anthropic API answered {exc.status_code}", exc)


@app.exception_handler(APIConnectionError)
async def api_connection_error(request: Request, exc: Exception) -> JSONResponse:
    return upstream_error(502, "the Anthropic API could not be reached")


def batches_client(request: Request) -> AsyncClient:
    client: AsyncClient = request.app.state.client
    return client


class CreateBatch(BaseModel):
    requests: list[BatchRequest]


@app.post("/batches", status_code=201)
async def create_batch(body: CreateBatch, request: Request) -> MessageBatch:
    client = batches_client(request)
    try:
        return await client.messages.batches.create(body.requests)
    except BatchValidationError as exc:
        # Checked before anything was sent: tell the caller which requests are wrong, and why.
        detail: list[dict[str, Any]] = [
            {"index": p.index, "custom_id": p.custom_id, "field": p.field, "message": p.message}
            for p in exc.problems
        ]
        raise HTTPException(status_code=422, detail=detail) from exc


async def ended_batch(client: AsyncClient, batch_id: str) -> MessageBatch:
    batch = await client.messages.batches.get(batch_id)
    if not batch.ended:
        detail = f"batch {batch_id} is {batch.processing_status}"
        raise HTTPException(status_code=409, detail=detail)
    return batch


@app.get("/batches/{batch_id}")
async def get_batch(batch_id: str, request: Request) -> MessageBatch:
    return await batches_client(request).messages.batches.get(batch_id)


async def ndjson(results: AsyncResultStream) -> AsyncIterator[bytes]:
    # Leaving this block, by exhaustion, an error, or the HTTP client disconnecting, closes
    # the upstream results response and hands its connection back to the pool.
    async with results:
        async for item in results:
            # json_line() is the exact line the API sent, unknown fields included.
            yield item.json_line() + b"\n"


@app.get("/batches/{batch_id}/results")
async def batch_results(batch_id: str, request: Request) -> StreamingResponse:
    client = batches_client(request)
    # Checked before the response starts, so a missing or unfinished batch is a 404 or 409
    # rather than a broken stream. Passing the batch reuses its results_url: no extra request.
    batch = await ended_batch(client, batch_id)
    results = client.messages.batches.results(batch)
    return StreamingResponse(ndjson(results), media_type="application/x-ndjson")
