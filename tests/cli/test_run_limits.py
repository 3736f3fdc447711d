"""`anthropic-batches run` within the API's limits: a spend-limit stop, --max-queued and
--max-rpm, against the emulator over loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import KEY, Ran, request, write_requests

from anthropic_batches._split import JobPart
from anthropic_batches.cli._common import EXIT_STOPPED
from anthropic_batches.cli._run import OutputWriter
from anthropic_batches.emulator import Emulator


def test_a_spend_limit_stops_with_one_line_and_its_exit_code_then_resumes(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    emulator.limits.spend_limit_requests = 4
    reqs = [request(f"r{i}") for i in range(8)]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    out = tmp_path / "out.jsonl"
    args = ("run", str(src), "-o", str(out), "--max-requests", "2", "--poll-interval", "0.01")
    ran = cli(*args)
    assert ran.code == EXIT_STOPPED == 6
    stopped = [line for line in ran.err.splitlines() if line.startswith("stopped:")]
    assert len(stopped) == 1
    assert "enforced_spend_limit_reached" in stopped[0]
    assert "raise it in the Console" in stopped[0]
    assert "run the same command again" in stopped[0]
    assert "Traceback" not in ran.err
    assert len(emulator.batch_ids(KEY)) == 2
    emulator.limits.lift_spend_limit()
    again = cli(*args)
    assert again.code == 0, again.err
    got = [json.loads(line)["custom_id"] for line in out.read_text().splitlines()]
    assert sorted(got) == sorted(r["custom_id"] for r in reqs)
    assert emulator.stats.batches_created == 4  # no part created twice


def test_max_queued_and_max_rpm(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.limits.max_queued_requests = 4
    created_when_written: list[int] = []  # batches created when each part was written
    part_done = OutputWriter.part_done

    def watched(writer: OutputWriter, part: JobPart) -> None:
        created_when_written.append(emulator.stats.batches_created)
        part_done(writer, part)

    monkeypatch.setattr(OutputWriter, "part_done", watched)
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(9)])
    out = tmp_path / "out.jsonl"
    ran = cli(
        "run",
        str(src),
        "-o",
        str(out),
        "--max-requests",
        "3",
        "--max-queued",
        "3",
        "--max-rpm",
        "1000",
        "--poll-interval",
        "0.01",
    )
    assert ran.code == 0, ran.err
    written = [json.loads(line)["custom_id"] for line in out.read_text().splitlines()]
    # Part after part, in order, the first written before the last was created.
    assert [sorted(written[i : i + 3]) for i in (0, 3, 6)] == [
        [f"r{i}" for i in range(j, j + 3)] for j in (0, 3, 6)
    ]
    assert created_when_written[0] < 3
    # Two parts at once would pass the emulator's cap of 4 and be refused: the run kept
    # under it by itself.
    assert emulator.stats.refused.total() == 0
    assert emulator.stats.batches_created == 3


def test_the_flags_are_checked(cli: Callable[..., Ran], tmp_path: Path) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    for flag in ("--max-queued", "--max-rpm"):
        ran = cli("run", str(src), "-o", str(tmp_path / "o.jsonl"), flag, "0")
        assert ran.code == 2
        assert flag in ran.err
