"""`run --store ... --job ...` and `jobs --store ...` in this process: what a user sees,
and the problems told in one line before anything is created."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_helpers import Ran, run_main
from fleet_helpers import output_ids, write_requests
from helpers import KEY

from anthropic_batches import Client, read_parquet_results
from anthropic_batches._stores import PostgresStore
from anthropic_batches.cli import main
from anthropic_batches.cli._common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_USAGE
from anthropic_batches.emulator import Emulator, EmulatorServer, ManualClock

Cli = Callable[..., Ran]


@pytest.fixture
def cli(
    fleet_server: EmulatorServer,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Ran:
        argv = ["--api-key", KEY, "--base-url", fleet_server.base_url, *args]
        return run_main(argv, capsysbinary)

    return run


def _run(cli: Cli, requests: Path, out: Path, *extra: str) -> Ran:
    result = cli("run", str(requests), "-o", str(out), "--poll-interval", "0.05", *extra)
    return result


def test_a_worker_runs_the_job_and_jobs_lists_it(
    cli: Cli, pg_url: str, requests_file: Path, tmp_path: Path, fleet_server: EmulatorServer
) -> None:
    out = tmp_path / "out"
    ran = _run(
        cli,
        requests_file,
        out,
        "--store",
        pg_url,
        "--job",
        "nightly",
        "--max-requests",
        "10",
        "--combine",
    )
    assert ran.code == 0, ran.err
    assert "every part is in" in ran.err
    assert sorted(output_ids(out)) == [f"r{i:03d}" for i in range(24)]
    assert len((out / "combined.jsonl").read_text().splitlines()) == 24
    listed = cli("jobs", "--store", pg_url)
    assert listed.code == 0
    header, row = listed.out.splitlines()
    assert header.split()[:2] == ["JOB", "PARTS"]
    assert row.split()[:6] == ["nightly", "3/3", "0", "0", "0", "24"]
    again = _run(cli, requests_file, out, "--store", pg_url, "--job", "nightly")
    assert again.code == 0 and fleet_server.emulator.stats.batches_created == 3


def test_the_same_name_with_other_input_is_refused_before_any_create(
    cli: Cli, pg_url: str, requests_file: Path, tmp_path: Path, fleet_server: EmulatorServer
) -> None:
    assert _run(cli, requests_file, tmp_path / "a", "--store", pg_url, "--job", "j").code == 0
    created = fleet_server.emulator.stats.batches_created
    other = write_requests(tmp_path / "other.jsonl", 5)
    ran = _run(cli, other, tmp_path / "b", "--store", pg_url, "--job", "j")
    assert ran.code == EXIT_BAD_INPUT
    [line] = [x for x in ran.err.splitlines() if x.strip()]
    assert "exists with different input" in line and "other.jsonl" in line
    assert fleet_server.emulator.stats.batches_created == created


def test_a_bad_store_is_one_line_and_nothing_is_created(
    cli: Cli, requests_file: Path, tmp_path: Path, fleet_server: EmulatorServer
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for store in (f"postgresql://u:pw@127.0.0.1:{port}/db", "redis://127.0.0.1/0"):
        ran = _run(cli, requests_file, tmp_path / "out", "--store", store, "--job", "j")
        assert ran.code == EXIT_USAGE, ran.err
        [line] = [x for x in ran.err.splitlines() if x.strip()]
        assert store.split("@")[-1] in line and "pw" not in line
    ran = cli("run", str(requests_file), "-o", str(tmp_path / "out"), "--job", "j")
    assert ran.code == EXIT_USAGE and "--store URL and --job NAME go together" in ran.err
    assert fleet_server.emulator.stats.batches_created == 0


def test_parquet_parts_hold_the_same_results(
    cli: Cli, pg_url: str, requests_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    ran = _run(
        cli,
        requests_file,
        out,
        "--store",
        pg_url,
        "--job",
        "pq",
        "--format",
        "parquet",
        "--max-requests",
        "10",
    )
    assert ran.code == 0, ran.err
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 3
    ids = [r.custom_id for p in parts for r in read_parquet_results(str(p))]
    assert sorted(ids) == [f"r{i:03d}" for i in range(24)]


def test_jobs_lists_nothing_in_an_empty_store_and_json_after_a_run(
    cli: Cli, pg_url: str, requests_file: Path, tmp_path: Path
) -> None:
    empty = cli("jobs", "--store", pg_url)
    assert (empty.code, empty.out) == (0, "")
    assert empty.err.strip() == f"no jobs in {pg_url}"
    assert cli("jobs", "--store", pg_url, "--json").out == ""
    assert _run(cli, requests_file, tmp_path / "out", "--store", pg_url, "--job", "j").code == 0
    [line] = cli("jobs", "--store", pg_url, "--json").out.splitlines()
    listed = json.loads(line)
    assert {k: listed[k] for k in ("name", "parts", "downloaded", "running", "requests")} == {
        "name": "j",
        "parts": 1,
        "downloaded": 1,
        "running": 0,
        "requests": 24,
    }


def test_jobs_of_a_bad_store_is_one_line(cli: Cli, tmp_path: Path) -> None:
    unknown = cli("jobs", "--store", "redis://127.0.0.1/0")
    assert unknown.code == EXIT_USAGE and "not a job store URL" in unknown.err
    broken = tmp_path / "broken.state.json"
    broken.write_text("[1, 2]")
    ran = cli("jobs", "--store", str(broken))
    assert ran.code == EXIT_USAGE and ran.out == ""
    [line] = [x for x in ran.err.splitlines() if x.strip()]
    assert str(broken) in line


def test_a_worker_of_max_leases_one_has_one_batch_processing_at_a_time(
    cli: Cli, pg_url: str, requests_file: Path, tmp_path: Path, fleet_server: EmulatorServer
) -> None:
    store = ("--store", pg_url, "--job", "one-at-a-time", "--max-requests", "8")
    ran = _run(cli, requests_file, tmp_path / "out", *store, "--max-leases", "1")
    assert ran.code == 0, ran.err
    with Client(api_key=KEY, base_url=fleet_server.base_url) as client:
        batches = sorted(client.messages.batches.iter(), key=lambda b: b.created_at)
    assert len(batches) == 3
    for before, after in itertools.pairwise(batches):
        assert before.ended_at is not None and after.created_at >= before.ended_at


def test_bad_worker_options_and_outputs_are_refused_before_any_create(
    cli: Cli, pg_url: str, requests_file: Path, tmp_path: Path, fleet_server: EmulatorServer
) -> None:
    store = ("--store", pg_url, "--job", "j")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for extra, told in (
        (("--format", "csv"), "--format csv: give jsonl or parquet"),
        (("--lease-ttl", "0"), "--lease-ttl 0.0: give a number of seconds above 0"),
        (("--max-leases", "0"), "must be 1 or more, not 0"),
    ):
        ran = _run(cli, requests_file, tmp_path / "out", *store, *extra)
        assert ran.code == EXIT_USAGE and told in ran.err, ran.err
    ran = _run(cli, requests_file, blocker / "out", *store)
    assert ran.code == EXIT_USAGE
    [line] = [x for x in ran.err.splitlines() if x.strip()]
    assert line.startswith(f"error: output {blocker / 'out'}: ")
    assert fleet_server.emulator.stats.batches_created == 0
    assert cli("jobs", "--store", pg_url).out == ""


def test_ctrl_c_of_a_worker_leaves_the_job_in_the_store_to_resume(
    pg_url: str, requests_file: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    clock = ManualClock(datetime.now(UTC), tick=0)
    emulator = Emulator(clock=clock, api_keys=[KEY], process_seconds=3600)
    out = tmp_path / "out"
    args = ["run", str(requests_file), "-o", str(out), "--max-requests", "10"]
    args += ["--poll-interval", "0.05", "--store", pg_url, "--job", "j"]
    with EmulatorServer(emulator) as server:
        argv = [*args, "--api-key", KEY, "--base-url", server.base_url]
        code = "from anthropic_batches.cli import main; main()"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
        worker = subprocess.Popen(
            [sys.executable, "-c", code, *argv], stderr=subprocess.PIPE, text=True, env=env
        )
        ids: list[str | None] = []
        deadline = time.monotonic() + 30
        with PostgresStore(pg_url) as store:
            while time.monotonic() < deadline and worker.poll() is None:
                state = store.load("j")
                ids = [p.batch_id for p in state.parts] if state else []
                if ids and all(ids):
                    break
                time.sleep(0.05)
        worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=30)
        assert worker.returncode == EXIT_INTERRUPTED, err
        assert len(ids) == 3 and all(ids)
        assert f"3 batch(es) keep running and are billed: {', '.join(map(str, ids))}" in err
        assert f"the state is saved in {pg_url} (job j); resume with:" in err
        assert f"--store {pg_url} --job j" in err and KEY not in err
        assert "Traceback" not in err
        with PostgresStore(pg_url) as store:  # released: no need to wait for expiry
            assert [owner for owner, *_ in store.leases("j").values()] == [None] * 3
        clock.advance(7200)
        with pytest.raises(SystemExit) as again:
            main(argv)
        assert again.value.code == 0, capsysbinary.readouterr().err
        assert emulator.stats.batches_created == 3
    assert sorted(output_ids(out)) == [f"r{i:03d}" for i in range(24)]
