"""`run --store ... --job ...` and `jobs --store ...` in this process: what a user sees,
and the problems told in one line before anything is created."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import Ran
from fleet_helpers import output_ids, write_requests
from helpers import KEY

from anthropic_batches import read_parquet_results
from anthropic_batches.cli import main
from anthropic_batches.cli._common import EXIT_BAD_INPUT, EXIT_USAGE
from anthropic_batches.emulator import EmulatorServer

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
        with pytest.raises(SystemExit) as info:
            main(argv)
        captured = capsysbinary.readouterr()
        code = info.value.code
        return Ran(
            code if isinstance(code, int) else 1, captured.out.decode(), captured.err.decode()
        )

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
