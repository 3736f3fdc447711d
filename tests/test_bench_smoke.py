"""The benchmark suite at a tiny size, so that it keeps working between real runs.

The figures of a run this small mean nothing; what is checked is that every client reads the
same results as computed from the file (the runner fails otherwise), that each task reports
its figures, and that the report judges every target. The real run is `scripts/bench`.

About half a minute: marked `bench`, so the default run leaves it out; CI runs it on its own
(`pytest -m bench`, in `.ci/run`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.bench


def test_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "300",
            "--create-sizes",
            "200",
            "--runs",
            "1",
            "--import-runs",
            "1",
            "--waits",
            "20",
            "--wait-runs",
            "1",
            "--process-seconds",
            "0.3",
            "--timeout",
            "120",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads((tmp_path / "results.json").read_text())

    results = found["results"]["300"]
    assert set(results["clients"]) == {
        "ours-async",
        "ours-sync",
        "official-async",
        "official-sync",
        "httpx-bytes",
        "httpx-bytes-sync",
        "httpx-json",
    }
    # Every result is read: the expected summary counts all 300 lines by type.
    assert sum(results["expected"]["counts"].values()) == 300
    for row in results["clients"].values():
        assert row["runs"] == 1
        assert row["seconds"] > 0
        assert row["maxrss_mb"] > 0

    assert set(found["create"]["200"]) == {
        "ours-async",
        "ours-sync",
        "official-async",
        "official-sync",
    }
    assert found["list"]["batches"] == 10_000
    assert found["wait"]["waits"] == 20
    assert found["wait"]["max_sockets"] <= found["wait"]["pool_limit"]
    assert found["wait"]["max_threads"] == 1
    assert set(found["import"]["seconds"]) == {"anthropic_batches", "anthropic"}

    # Every target the report knows is judged, one row each.
    names = [t["target"] for t in found["targets"]]
    assert len(names) == len(set(names)) >= 8
    assert all(isinstance(t["holds"], bool) for t in found["targets"])
    report = (tmp_path / "report.md").read_text()
    for name in names:
        assert name in report


def test_jobs_memory_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    args = ["--sizes", "300,600", "--max-requests", "100", "--timeout", "120"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.jobs_memory", *args, "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads((tmp_path / "jobs.json").read_text())
    assert [f["requests"] for f in found] == [300, 600]
    for figures in found:
        for name in ("run", "generator"):
            assert figures[name]["peak_rss_mb"] > 0
            assert figures[name]["wall_seconds"] > 0
        assert figures["plan"]["per_100k"] > 0
    assert "rss_growth_mb" in found[-1]["run"]
    assert "| 600 |" in (tmp_path / "jobs.md").read_text()
