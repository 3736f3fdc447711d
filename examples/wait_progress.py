"""Wait for a batch with a progress line, an overall timeout, and a way back in later.

The API moves request counts only when the whole batch ends: until then every request is
`processing`. So honest progress is the status, the time waited and the time left before the
batch expires.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from anthropic_batches import AsyncClient, MessageBatch, WaitTimeoutError

REQUESTS = [
    {
        "custom_id": f"summary-{i}",
        "params": {
            "model": "claude-opus-5",
            "max_tokens": 300,
            "messages": [{"role": "user", "content": f"Summarize chapter {i}."}],
        },
    }
    for i in range(1, 6)
]


def progress(started: float) -> Callable[[MessageBatch], None]:
    def show(batch: MessageBatch) -> None:
        waited = time.monotonic() - started
        left = batch.expires_at - datetime.now(UTC)
        counts = batch.request_counts
        print(
            f"{batch.id} {batch.processing_status}: {counts.processing} processing, "
            f"{counts.succeeded} succeeded; waited {waited:.1f} s, "
            f"expires in {left.total_seconds() / 3600:.1f} h"
        )

    return show


async def main() -> None:
    async with AsyncClient() as client:
        batches = client.messages.batches
        batch = await batches.create(REQUESTS)
        try:
            batch = await batches.wait(
                batch,
                poll_interval=1.0,  # the first pauses; each grows by half...
                max_poll_interval=60.0,  # ...up to this (a retry-after is honoured too)
                timeout=3600,  # give up waiting after an hour (the batch runs on)
                on_poll=progress(time.monotonic()),
            )
        except WaitTimeoutError as exc:
            # The batch is still running: keep its id and wait again later.
            print(f"still running: {exc.batch.id if exc.batch else batch.id}")
            return
        print(f"done: {batch.request_counts.succeeded} of {batch.request_counts.total}")


if __name__ == "__main__":
    asyncio.run(main())
