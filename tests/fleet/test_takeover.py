"""A part's lease moving between workers in this process: a create cut off by a worker's
death is found by the next holder instead of being made again, and a worker that lost its
lease creates nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from fleet_helpers import output_ids
from helpers import KEY

from anthropic_batches import AsyncClient, AsyncJob
from anthropic_batches._stores import LeaseLost, PostgresStore
from anthropic_batches.emulator import EmulatorServer


async def test_a_create_cut_off_by_a_dead_worker_is_not_made_again(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        with PostgresStore(pg_url) as store:
            dead = AsyncJob.from_file(client, requests_file, store=store, name="j", max_requests=10)
            [part] = store.lease("j", dead.worker, 0.5, 1)
            # What a create records before it is sent; then the worker dies before the
            # answer is recorded.
            newest = await client.messages.batches.list(limit=1)
            part.newest_before = newest.data[0].id if newest.data else ""
            part.submitting_at = datetime.now(UTC).isoformat()
            store.save_part("j", part, worker=dead.worker, ttl=0.5)
            made = await client.messages.batches.create(dead.part_requests(part.index))
            await anyio.sleep(0.6)  # its lease expires

            heir = AsyncJob.open(client, store, "j", poll_interval=0.05)
            manifest = await heir.work(tmp_path / "out")
            [summary] = store.jobs()
    assert fleet_server.emulator.stats.batches_created == 3  # not 4
    assert manifest["parts"][part.index]["batch_id"] == made.id
    assert summary.takeovers == 1
    assert sorted(output_ids(tmp_path / "out")) == [f"r{i:03d}" for i in range(24)]


async def test_a_worker_that_lost_its_lease_creates_nothing(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path
) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        with PostgresStore(pg_url) as store:
            slow = AsyncJob.from_file(client, requests_file, store=store, name="j", max_requests=10)
            [part] = store.lease("j", slow.worker, 0.3, 1)
            slow.state.parts[part.index] = part
            await anyio.sleep(0.5)
            [taken] = store.lease("j", "another-worker", 30, 1)
            assert taken.index == part.index
            with pytest.raises(LeaseLost, match=f"part {part.index} is not leased"):
                await slow.submit_part(part.index)
            stored = store.load("j")
    assert fleet_server.emulator.stats.batches_created == 0
    assert stored is not None and stored.parts[part.index].submitting_at is None
