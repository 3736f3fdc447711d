"""One worker in this process: the job's parts go through the store to the output."""

from __future__ import annotations

import json
from pathlib import Path

from fleet_helpers import output_ids
from helpers import KEY

from anthropic_batches import AsyncClient, AsyncJob
from anthropic_batches._stores import PostgresStore
from anthropic_batches.emulator import EmulatorServer


async def test_one_worker_does_the_whole_job(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        job = AsyncJob.from_file(
            client,
            requests_file,
            store=pg_url,
            name="j",
            max_requests=5,
            poll_interval=0.05,
            max_poll_interval=0.3,
        )
        manifest = await job.work(out, combine=True)
        job.close()
    assert sorted(output_ids(out)) == [f"r{i:03d}" for i in range(24)]
    assert [p["object"] for p in manifest["parts"]] == [f"part-{i:05d}.jsonl" for i in range(5)]
    assert json.loads((out / "_manifest.json").read_text()) == manifest
    assert manifest["usage"]["counts"]["succeeded"] == 24
    assert fleet_server.emulator.stats.batches_created == 5
    with PostgresStore(pg_url) as store:
        [summary] = store.jobs()
    assert (summary.downloaded, summary.parts, summary.leases) == (5, 5, 0)
