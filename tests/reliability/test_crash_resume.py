"""Crash and resume: `anthropic-batches run` killed with SIGKILL at random points (while
submitting, at the worst moment of a create, while waiting, while downloading), then run again
with the same state file until it finishes. No batch may be created twice, no result lost or
written twice, and the output file never left half-written."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from reliability.support import child_env, record, stop

from anthropic_batches._state import JobState
from anthropic_batches.cli._run import recorded_output_bytes
from anthropic_batches.emulator import Emulator, EmulatorServer, EmulatorStats
from anthropic_batches.emulator._batch import Batch

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

KEY = "sk-ant-crash-resume"
PHASES = ("submit", "create", "wait", "download")


class HookedEmulator(Emulator):
    """An emulator that can call a hook just after it created a batch, before it answers."""

    after_create: Callable[[], None] | None = None

    def create(
        self, owner: str, api_version: str, requests: list[tuple[str, bytes]], now: float
    ) -> Batch:
        batch = super().create(owner, api_version, requests, now)
        hook, self.after_create = self.after_create, None
        if hook is not None:
            hook()
        return batch


@dataclass
class Tally:
    runs: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    finished: int = 0
    half_written: int = 0


def write_requests(path: Path, n: int) -> list[str]:
    ids = [f"job-{i:06d}" for i in range(n)]
    with path.open("w", encoding="utf-8") as f:
        for cid in ids:
            params = {
                "model": "claude-haiku-4-5",
                "max_tokens": 16,
                "messages": [{"role": "user", "content": f"say {cid}"}],
            }
            f.write(json.dumps({"custom_id": cid, "params": params}) + "\n")
    return ids


def whole_lines(data: bytes) -> list[str]:
    """The custom_ids of a results file's lines; fails on a torn or broken line."""
    assert data == b"" or data.endswith(b"\n"), "the output ends in a torn line"
    return [json.loads(line)["custom_id"] for line in data.splitlines()]


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[Any], timeout: float) -> bool:
    """Whether `condition` came true while `proc` ran (False once it exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    raise AssertionError("the run neither reached the kill point nor ended")


def check_after_kill(
    src: Path,
    out: Path,
    state_path: Path,
    emulator: Emulator,
    wanted: list[str],
    key: str,
    tally: Tally,
) -> None:
    """What a user finds after a crash: a readable state, an output complete or absent, and
    in the partial file, up to the size the state recorded, exactly the downloaded parts."""
    state = JobState.load(state_path)  # never torn: it is replaced atomically
    if out.exists():
        if sorted(whole_lines(out.read_bytes())) != wanted:
            tally.half_written += 1
        assert state is not None and all(p.downloaded for p in state.parts)
    if state is None:
        return
    partial = out.with_name(out.name + ".partial")
    recorded = recorded_output_bytes(out, state)
    if partial.exists() and recorded:
        kept = partial.read_bytes()[:recorded]
        downloaded = [cid for p in state.parts if p.downloaded for cid in wanted[p.start : p.stop]]
        assert sorted(whole_lines(kept)) == sorted(downloaded)
    known = {p.batch_id for p in state.parts if p.batch_id}
    assert known <= set(emulator.batch_ids(key))
    # Each part is a byte range of the requests file, recorded in the state.
    data = src.read_bytes()
    for p in state.parts:
        assert p.offset is not None and p.end is not None
        assert whole_lines(data[p.offset : p.end]) == wanted[p.start : p.stop]


def parts_to_download(state_path: Path, parts: int) -> int:
    state = JobState.load(state_path)
    return parts if state is None else max(sum(not p.downloaded for p in state.parts), 1)


def phase_now(stats: EmulatorStats, parts: int, downloads: int) -> str:
    """Where a run is, from what the emulator has been asked."""
    if stats.results_downloads > downloads:
        return "download"
    return "submit" if stats.batches_created < parts else "wait"


def check_output(out: Path, wanted: list[str]) -> Counter[str]:
    got = Counter(whole_lines(out.read_bytes()))
    assert sorted(got) == wanted  # each result once: none lost, none written twice
    return got


class Runs:
    """Starts `run` and kills it at a chosen point, read from the emulator's counters."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        log: Path,
        emulator: HookedEmulator,
        rng: random.Random,
    ) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.emulator, self.rng = emulator, rng

    def killed(self, planned: str, goal: int, left: int, process_seconds: float) -> tuple[str, int]:
        """Run once, killed at the `planned` point (`none`: not killed); return where the kill
        landed and the exit code."""
        stats, rng = self.emulator.stats, self.rng
        creates, downloads = stats.create_calls, stats.results_downloads
        with self.log.open("wb") as err:
            proc = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.DEVNULL, stderr=err)
        phase = planned
        try:
            if planned == "none":
                proc.wait(300)
            elif planned == "create" and stats.batches_created < goal:
                # just after the API created a batch, before the answer leaves
                self.emulator.after_create = lambda: proc.send_signal(signal.SIGKILL)
                proc.wait(120)
            else:
                if planned == "submit" and stats.batches_created < goal:
                    # while one of the creates before the last is being sent
                    first = creates + rng.randrange(max(goal - stats.batches_created - 1, 1))
                    if wait_for(lambda: stats.create_calls > first, proc, 60):
                        time.sleep(rng.uniform(0, 0.005))
                elif planned == "download":
                    first = downloads + rng.randrange(left)
                    if wait_for(lambda: stats.results_downloads > first, proc, 60):
                        time.sleep(rng.uniform(0, 0.02))
                elif wait_for(lambda: stats.batches_created >= goal, proc, 60):
                    time.sleep(rng.uniform(0, process_seconds))
                phase = phase_now(stats, goal, downloads)
                proc.send_signal(signal.SIGKILL)
                proc.wait(60)
        finally:
            self.emulator.after_create = None
            stop(proc)
        return phase, proc.returncode


@pytest.mark.parametrize(
    ("n", "per_batch", "kills"),
    [
        pytest.param(2_000, 500, 4, id="4-kills-fast"),
        pytest.param(40_000, 8_000, 40, id="40-kills", marks=pytest.mark.slow),
    ],
)
def test_run_killed_at_random_points_resumes_exactly_once(
    tmp_path: Path, n: int, per_batch: int, kills: int
) -> None:
    rng = random.Random(f"crash:{n}:{kills}")
    src, out, state_path = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "job.state"
    wanted = write_requests(src, n)
    per_job = -(-n // per_batch)
    parts = 0  # batches the finished jobs needed
    process_seconds = 1.5
    emulator = HookedEmulator(process_seconds=process_seconds, seed=7)
    tally = Tally()
    # Jobs one after another, each killed a few times in phase order and then run to the end;
    # the first job is killed once in each phase.
    cycles = [list(PHASES)]
    while sum(map(len, cycles)) < kills:
        cycles.append(sorted(rng.choices(PHASES, k=8), key=PHASES.index))
    plan = [phase for cycle in cycles for phase in [*cycle, "none"]]
    started = time.monotonic()
    checked = 0
    with EmulatorServer(emulator) as server:
        argv = [sys.executable, "-c", "from anthropic_batches.cli import main; main()", "run"]
        argv += [str(src), "-o", str(out), "--state", str(state_path), "-q"]
        argv += ["--max-requests", str(per_batch), "--poll-interval", "0.05"]
        run = Runs(
            argv,
            child_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.base_url),
            tmp_path / "stderr.txt",
            emulator,
            rng,
        )
        for planned in plan:
            # Every job under the same key: an earlier job's batches of the same size must not
            # be taken for the batch of a cut-off create.
            key = KEY
            goal = parts + per_job  # the batches once this job has all of its own
            left = parts_to_download(state_path, per_job)
            phase, code = run.killed(planned, goal, left, process_seconds)
            tally.runs += 1
            if code == -signal.SIGKILL:
                tally.kills[phase] += 1
                check_after_kill(src, out, state_path, emulator, wanted, key, tally)
            else:  # it finished (the last run of a job, or before its kill point): check it
                assert code == 0, run.log.read_text()
                tally.finished += 1
                checked += sum(check_output(out, wanted).values())
                out.unlink()
                state_path.unlink()
                parts += per_job
    elapsed = time.monotonic() - started

    stats = emulator.stats
    assert stats.batches_created == parts  # no batch created twice
    # a create cut off while its body was being sent reached the emulator but made nothing
    assert stats.create_calls >= stats.batches_created
    assert tally.half_written == 0
    assert sum(tally.kills.values()) >= kills // 2
    record(
        "crash_resume",
        requests=n,
        batches_per_job=per_job,
        runs=tally.runs,
        kills=sum(tally.kills.values()),
        kills_by_phase=dict(sorted(tally.kills.items())),
        jobs_completed=tally.finished,
        create_calls=stats.create_calls,
        creates_cut_off_while_sending=stats.create_calls - stats.batches_created,
        batches_created=stats.batches_created,
        batches_needed=parts,
        results_checked=checked,
        duplicates=0,
        missing=0,
        half_written_outputs=tally.half_written,
        seconds=round(elapsed, 1),
    )
