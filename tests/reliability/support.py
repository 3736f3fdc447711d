"""Shared pieces of the reliability suite: the long/fast switch, figures, process helpers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

#: Long runs: `RELIABILITY_LONG=1` (what `scripts/reliability` sets).
LONG = os.environ.get("RELIABILITY_LONG", "") not in ("", "0")
#: Where figures go, one JSON object per line (set by `scripts/reliability`).
FIGURES_PATH = os.environ.get("RELIABILITY_FIGURES")

SRC = Path(__file__).resolve().parents[2] / "src"


def examples(fast: int, long: int) -> settings:
    """Hypothesis settings: `fast` examples in the normal run, `long` in a long run."""
    return settings(
        max_examples=long if LONG else fast,
        deadline=None,
        database=None,
        derandomize=not LONG,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def record(test: str, **figures: Any) -> None:
    """Keep a test's figures: appended to `RELIABILITY_FIGURES`, when set."""
    if FIGURES_PATH:
        line = {"test": test, "long": LONG, **figures}
        with open(FIGURES_PATH, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, sort_keys=False) + "\n")


def counts_recorded_at_end(test: str, counts: dict[str, int]) -> Any:
    """A module fixture (autouse) that records a module's running `counts` after its tests.

    The counts are kept once the module's last test is done, whatever order the tests ran in
    and however many of them ran; nothing is kept when none of them counted anything.
    """

    @pytest.fixture(scope="module", autouse=True)
    def _record_counts() -> Iterator[None]:
        yield
        if any(counts.values()):
            record(test, **counts)
        counts.update(dict.fromkeys(counts, 0))

    return _record_counts


def peak_rss_kib(pid: int | str = "self") -> int:
    """The peak resident memory (VmHWM) of a process, in KiB."""
    return _status_kib(pid, "VmHWM")


def rss_kib(pid: int | str = "self") -> int:
    """The resident memory (VmRSS) of a process, in KiB."""
    return _status_kib(pid, "VmRSS")


def _status_kib(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: this checkout's sources first, no stray key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.pop("COVERAGE_PROCESS_START", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def served_emulator(
    *args: str, timeout: float = 20.0
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m anthropic_batches.emulator ARGS` on a free loopback port; always killed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "anthropic_batches.emulator", "--host", "127.0.0.1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        url = ""
        while not url and time.monotonic() < deadline and proc.poll() is None:
            url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"emulator did not start: {url!r}"
        yield url, proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """End a child: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def tcp_connections(port: int, pid: int | str = "self") -> int:
    """How many established TCP connections a process holds to `port` (Linux /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/net/{table}") as f:
            next(f)  # the header
            for line in f:
                fields = line.split()
                established = fields[3] == "01"
                if established and int(fields[2].rsplit(":", 1)[1], 16) == port:
                    count += fields[9] in inodes
    return count
