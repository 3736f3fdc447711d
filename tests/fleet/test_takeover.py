"""A part's lease moving between workers in this process: a create cut off by a worker's
death is found by the next holder instead of being made again (also while another worker's
create of a part of the same size is on its way), and a worker that lost its lease creates
nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from fleet_helpers import output_ids
from helpers import KEY

from anthropic_batches import AsyncClient, AsyncJob, MessageBatch
from anthropic_batches._state import PartState
from anthropic_batches._stores import LeaseLost, PostgresStore
from anthropic_batches.emulator import EmulatorServer


async def started_create(
    client: AsyncClient, store: PostgresStore, job: AsyncJob, worker: str, ttl: float
) -> tuple[PartState, MessageBatch]:
    """A part leased by `worker`, marked in the store as being created (what a create records
    before it is sent), and its batch made; the answer is not recorded."""
    [part] = store.lease("j", worker, ttl, 1)
    newest = await client.messages.batches.list(limit=1)
    part.newest_before = newest.data[0].id if newest.data else ""
    part.submitting_at = datetime.now(UTC).isoformat()
    store.save_part("j", part, worker=worker, ttl=ttl)
    return part, await client.messages.batches.create(job.part_requests(part.index))


async def test_a_create_cut_off_by_a_dead_worker_is_not_made_again(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        with PostgresStore(pg_url) as store:
            dead = AsyncJob.from_file(client, requests_file, store=store, name="j", max_requests=10)
            # The worker dies before the answer is recorded.
            part, made = await started_create(client, store, dead, dead.worker, 0.5)
            await anyio.sleep(0.6)  # its lease expires

            heir = AsyncJob.open(client, store, "j", poll_interval=0.05)
            manifest = await heir.work(tmp_path / "out")
            [summary] = store.jobs()
    assert fleet_server.emulator.stats.batches_created == 3  # not 4
    assert manifest["parts"][part.index]["batch_id"] == made.id
    assert summary.takeovers == 1
    assert sorted(output_ids(tmp_path / "out")) == [f"r{i:03d}" for i in range(24)]


@pytest.mark.parametrize(
    ("answer_after", "lease_ttl", "kept"),
    [(1.5, 60.0, True), (4.0, 2.0, False)],
    ids=["answer-in-time", "answer-after-half-the-lease"],
)
async def test_a_cut_off_create_waits_for_another_workers_create_on_its_way(
    pg_url: str,
    fleet_server: EmulatorServer,
    requests_file: Path,
    tmp_path: Path,
    answer_after: float,
    lease_ttl: float,
    kept: bool,
) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        with PostgresStore(pg_url) as store:
            dead = AsyncJob.from_file(client, requests_file, store=store, name="j", max_requests=10)
            part, made = await started_create(client, store, dead, dead.worker, 0.5)
            # Another worker's create of a part of the same size (10 requests) reached the API
            # too; its answer is recorded `answer_after` seconds after the heir starts.
            other, theirs = await started_create(client, store, dead, "live-worker", 30)
            assert len(dead.parts[other.index]) == len(dead.parts[part.index])
            await anyio.sleep(0.6)  # the dead worker's lease expires

            async def answer_recorded() -> None:
                await anyio.sleep(answer_after)
                other.batch_id, other.status = theirs.id, theirs.processing_status
                store.save_part("j", other, worker="live-worker", ttl=30)
                store.release("j", "live-worker", [other.index])

            heir = AsyncJob.open(client, store, "j", poll_interval=0.05)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(answer_recorded)
                manifest = await heir.work(tmp_path / "out", lease_ttl=lease_ttl)
    if kept:  # told apart once the other answer was in: part 0 is not paid twice
        assert fleet_server.emulator.stats.batches_created == 3
        assert manifest["parts"][part.index]["batch_id"] == made.id
    else:  # the heir waited half its lease (1 s), not 4 s: part 0 was made again
        assert fleet_server.emulator.stats.batches_created == 4
        assert manifest["parts"][part.index]["batch_id"] not in {made.id, theirs.id}
    assert manifest["parts"][other.index]["batch_id"] == theirs.id
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
