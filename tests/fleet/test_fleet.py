"""Several worker processes on one job (the emulator, PostgreSQL and an output folder):
one is killed mid-job and the others finish it; a late worker finishes what is left.
Nothing is created twice and every result is in the output once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fleet_helpers import S3, output_ids
from helpers import KEY

from anthropic_batches._stores import JobSummary, PostgresStore
from anthropic_batches.emulator import EmulatorServer

#: Short leases, so a killed worker's parts are taken over within a test's seconds.
LEASE_TTL = 1.5
PARTS = 8
REQUESTS = 24


def _worker(
    server: EmulatorServer,
    requests: str | Path,
    out: str | Path,
    store: str,
    job: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-c",
        "from anthropic_batches.cli import main; main()",
        "--api-key",
        KEY,
        "--base-url",
        server.base_url,
        "run",
        str(requests),
        "-o",
        str(out),
        "--store",
        store,
        "--job",
        job,
        "--max-requests",
        str(REQUESTS // PARTS),
        "--poll-interval",
        "0.1",
        "--lease-ttl",
        str(LEASE_TTL),
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _wait_for(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _finished(process: subprocess.Popen[bytes]) -> str:
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    return err.decode()


def _kill_one_of_three(
    server: EmulatorServer,
    requests: str,
    out: str,
    pg_url: str,
    workers: list[subprocess.Popen[bytes]],
    env: dict[str, str] | None = None,
) -> tuple[JobSummary, dict[int, tuple[str | None, int, int, str | None]]]:
    """Three workers on job `fleet`; one holding a created part is killed; the two others
    finish. What the store says of the job and its parts then."""
    with PostgresStore(pg_url) as store:
        workers += [_worker(server, requests, out, pg_url, "fleet", env) for _ in range(3)]

        def victim() -> int | None:
            """A worker holding a part whose batch was created and is not downloaded."""
            state = store.load("fleet")
            if state is None:
                return None
            leases = store.leases("fleet")
            for part in state.parts:
                owner = leases[part.index][0]
                if part.batch_id is not None and not part.downloaded and owner is not None:
                    return int(owner.split(":")[1])
            return None

        _wait_for(lambda: victim() is not None)
        killed = victim()
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        survivors = [w for w in workers if w.pid != killed]
        assert len(survivors) == 2
        for process in survivors:
            _finished(process)
        [summary] = store.jobs()
        return summary, store.leases("fleet")


def test_three_workers_one_killed_finish_the_job_once(
    pg_url: str,
    fleet_server: EmulatorServer,
    requests_file: Path,
    tmp_path: Path,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    out = tmp_path / "out"
    summary, leases = _kill_one_of_three(
        fleet_server, str(requests_file), str(out), pg_url, workers
    )
    assert sorted(output_ids(out)) == [f"r{i:03d}" for i in range(REQUESTS)]
    assert fleet_server.emulator.stats.batches_created == PARTS  # none created twice
    assert summary.downloaded == PARTS and summary.takeovers > 0
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["usage"]["counts"]["succeeded"] == REQUESTS
    assert all(by is not None for _, _, _, by in leases.values())  # each part: one worker


def test_three_workers_on_s3_one_killed(
    pg_url: str,
    fleet_server: EmulatorServer,
    requests_file: Path,
    s3: S3,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    fs, bucket = s3.fs, s3.bucket
    fs.put_file(str(requests_file), f"{bucket}/in/requests.jsonl")
    requests, out = f"s3://{bucket}/in/requests.jsonl", f"s3://{bucket}/out"
    summary, _ = _kill_one_of_three(fleet_server, requests, out, pg_url, workers, s3.env)
    fs.invalidate_cache()
    names = sorted(fs.ls(f"{bucket}/out", detail=False))
    parts = [n for n in names if n.rsplit("/", 1)[1].startswith("part-")]
    assert len(parts) == PARTS and f"{bucket}/out/_manifest.json" in names
    ids = [json.loads(line)["custom_id"] for p in parts for line in fs.cat_file(p).splitlines()]
    assert sorted(ids) == [f"r{i:03d}" for i in range(REQUESTS)]
    assert fleet_server.emulator.stats.batches_created == PARTS
    assert summary.downloaded == PARTS and summary.takeovers > 0


def test_a_late_worker_finishes_what_is_left(
    pg_url: str,
    fleet_server: EmulatorServer,
    requests_file: Path,
    tmp_path: Path,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    out = tmp_path / "out"
    with PostgresStore(pg_url) as store:
        workers.append(_worker(fleet_server, requests_file, out, pg_url, "late"))

        def done() -> int:
            state = store.load("late")
            return 0 if state is None else sum(p.downloaded for p in state.parts)

        _wait_for(lambda: done() >= PARTS // 2)
        workers[0].kill()
        workers[0].wait()
        left = PARTS - done()
        assert left > 0
        late = _worker(fleet_server, requests_file, out, pg_url, "late")
        workers.append(late)
        err = _finished(late)
        assert "every part is in" in err
        [summary] = store.jobs()
    assert summary.downloaded == PARTS
    assert sorted(set(output_ids(out))) == [f"r{i:03d}" for i in range(REQUESTS)]
    assert len(output_ids(out)) == REQUESTS
    assert fleet_server.emulator.stats.batches_created == PARTS
