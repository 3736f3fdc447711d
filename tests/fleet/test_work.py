"""One worker in this process: the job's parts go through the store to the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fleet_helpers import output_ids
from helpers import KEY

from anthropic_batches import (
    AsyncClient,
    AsyncJob,
    Client,
    Job,
    JobProgress,
    JobStoreError,
    RequestsFileError,
)
from anthropic_batches._job_options import JobSettings
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


async def test_a_state_file_store_works_alone_and_opens_by_name(
    fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    state = tmp_path / "job.state.json"
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        job = AsyncJob.from_file(
            client, requests_file, store=str(state), max_requests=10, poll_interval=0.05
        )
        assert job.state_path == state  # the state file, as with state_path=
        await job.submit_part(0)
        # Another process opens it by its store alone and does the rest.
        opened = AsyncJob.open(client, str(state), "any", poll_interval=0.05)
        assert opened.batch_ids[0] == job.batch_ids[0]
        manifest = await opened.work(tmp_path / "out")
    assert sorted(output_ids(tmp_path / "out")) == [f"r{i:03d}" for i in range(24)]
    assert len(manifest["parts"]) == 3
    assert fleet_server.emulator.stats.batches_created == 3
    assert all(p["downloaded"] for p in json.loads(state.read_text())["parts"])


def _change(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


async def test_a_joining_worker_checks_each_part_it_reads(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        first = AsyncJob.from_file(client, requests_file, store=pg_url, name="j", max_requests=10)
        first.close()
        _change(requests_file, '"say 23"', '"say 99"')  # in the last part
        joined = AsyncJob.open(client, pg_url, "j", poll_interval=0.05)
        with pytest.raises(RequestsFileError, match=r"part 2\)? changed"):
            await joined.work(tmp_path / "out")
        joined.close()
    created = fleet_server.emulator.stats.batches_created
    assert created <= 2  # the changed part was not sent
    with PostgresStore(pg_url) as store:
        stored = store.load("j")
    assert stored is not None and stored.parts[2].batch_id is None


async def test_a_missing_job_is_one_line(pg_url: str, fleet_server: EmulatorServer) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        with pytest.raises(JobStoreError, match="there is no job 'nope'"):
            AsyncJob.open(client, pg_url, "nope")


def test_the_sync_job_works_on_a_shared_job_too(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    with Client(api_key=KEY, base_url=fleet_server.base_url) as client:
        first = Job.from_file(client, requests_file, store=pg_url, name="s", max_requests=10)
        first.close()
        with PostgresStore(pg_url) as store:
            job = Job.open(client, store, "s", poll_interval=0.05)
            manifest = job.work(str(tmp_path / "out"), lease_ttl=5, max_leases=1)
            [summary] = store.jobs()
    assert sorted(output_ids(tmp_path / "out")) == [f"r{i:03d}" for i in range(24)]
    assert len(manifest["parts"]) == 3 and summary.downloaded == 3
    assert fleet_server.emulator.stats.batches_created == 3


async def test_a_worker_creates_a_part_only_when_it_has_queue_room(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path, tmp_path: Path
) -> None:
    seen: list[JobProgress] = []
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        # Parts of 10 requests, and room for one of them at a time.
        settings: JobSettings = {
            "max_requests": 10,
            "max_queued_requests": 10,
            "poll_interval": 0.05,
            "on_progress": seen.append,
        }
        job = AsyncJob.from_file(client, requests_file, store=pg_url, name="q", **settings)
        await job.work(tmp_path / "out", max_leases=3)
        job.close()
    assert sorted(output_ids(tmp_path / "out")) == [f"r{i:03d}" for i in range(24)]
    running = [
        sum(1 for p in snap.parts if p.batch_id is not None and not p.ended) for snap in seen
    ]
    assert max(running) == 1  # one part of 10 in processing at a time, never two
    assert any(snap.waiting_parts for snap in seen)  # the others waited for room
    assert fleet_server.emulator.stats.batches_created == 3


def _other_connections(pg_url: str) -> int:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_job_refused_while_set_up_closes_the_store_it_opened(
    pg_url: str, fleet_server: EmulatorServer, requests_file: Path
) -> None:
    async with AsyncClient(api_key=KEY, base_url=fleet_server.base_url) as client:
        with pytest.raises(ValueError, match="a job in a shared store takes a name") as no_name:
            AsyncJob.from_file(client, requests_file, store=pg_url)
        with pytest.raises(ValueError, match="reads its requests from a file") as in_memory:
            AsyncJob(client, [{"custom_id": "a", "params": {}}], store=pg_url, name="j")
        # The failed jobs are still reachable from the tracebacks: nothing was left to the
        # garbage collector.
        assert no_name.traceback and in_memory.traceback
        assert _other_connections(pg_url) == 0
