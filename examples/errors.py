"""What can go wrong, and what to catch.

- Requests the API would refuse are caught before anything is sent: one
  `BatchValidationError` lists every offending request and why.
- Transient failures (connection errors, 408, 409, 429, 5xx, 529) are retried for you;
  what is left after the retries is raised as an `APIStatusError` subclass or an
  `APIConnectionError`.
- Every error derives from `BatchesError`.
"""

from __future__ import annotations

import asyncio

import httpx

from anthropic_batches import (
    AsyncClient,
    BatchesError,
    BatchValidationError,
    NotFoundError,
    RateLimitError,
)

PARAMS = {
    "model": "claude-opus-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Hello"}],
}


async def main() -> None:
    async with AsyncClient(
        max_retries=4,  # tries after the first (default: 2), with backoff and jitter
        timeout=httpx.Timeout(120.0, connect=5.0),  # per HTTP request
    ) as client:
        batches = client.messages.batches

        # 1. Refused before sending: a bad custom_id, a duplicate, and `temperature`,
        #    which API version 2026-10-21 no longer accepts.
        try:
            await batches.create(
                [
                    {"custom_id": "has spaces", "params": PARAMS},
                    {"custom_id": "ok-1", "params": PARAMS},
                    {"custom_id": "ok-1", "params": PARAMS},
                    {"custom_id": "warm", "params": {**PARAMS, "temperature": 0.2}},
                ]
            )
        except BatchValidationError as exc:
            print(f"nothing was sent, {len(exc.problems)} problems:")
            for problem in exc.problems:
                print(f"  requests[{problem.index}] {problem.field}: {problem.message}")

        # 2. An answer from the API: the class says which status; the attributes say more.
        try:
            await batches.get("msgbatch_does_not_exist", timeout=10.0)  # per-call timeout
        except NotFoundError as exc:
            print(f"{exc.status_code} {exc.type} (request-id {exc.request_id})")
        except RateLimitError:
            print("still rate limited after the retries: slow down")

        # 3. Anything else from this package.
        try:
            await batches.cancel("msgbatch_does_not_exist")
        except BatchesError as exc:
            print(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
