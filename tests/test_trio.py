"""The async client under trio (through anyio), against the emulator over loopback: create,
wait, results, and a job of two parts whose waits run at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import KEY
from helpers import numbered_requests as requests

from anthropic_batches import AsyncClient, AsyncJob, BatchResult, SucceededResult
from anthropic_batches.emulator import Emulator, EmulatorServer

trio = pytest.importorskip("trio")


@pytest.fixture
def server() -> Any:
    with EmulatorServer(Emulator(api_keys=[KEY], process_seconds=0.2)) as running:
        yield running


def test_create_wait_results_and_a_two_part_job_under_trio(
    server: EmulatorServer, tmp_path: Path
) -> None:
    async def main() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with AsyncClient(api_key=KEY, base_url=server.base_url) as client:
            batches = client.messages.batches
            batch = await batches.create(requests(3, "r"))
            ended = await batches.wait(batch, poll_interval=0.05)
            async with batches.results(ended) as stream:
                seen["results"] = sorted([r.custom_id async for r in stream])
            job = AsyncJob(
                client,
                requests(4, "j"),
                max_requests=2,
                poll_interval=0.05,
                state_path=tmp_path / "job.json",
            )
            await job.submit()
            seen["parts"] = [b.processing_status for b in await job.wait(timeout=30)]
            seen["job"] = [
                r.custom_id
                async for r in job.results_in_input_order()
                if isinstance(r, BatchResult) and isinstance(r.result, SucceededResult)
            ]
            seen["batch"] = batch.id
            seen["listed"] = [b.id async for b in batches.list(limit=1)]
            seen["page"] = (await batches.list(limit=1)).data[0].id
        return seen

    seen = trio.run(main)
    assert seen["results"] == ["r0", "r1", "r2"]
    assert seen["parts"] == ["ended", "ended"]
    assert seen["job"] == ["j0", "j1", "j2", "j3"]
    # Two parts and the first batch: the newest (a job's part) comes first.
    assert len(seen["listed"]) == 3 and seen["batch"] == seen["listed"][-1]
    assert seen["page"] == seen["listed"][0]
