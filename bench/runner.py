"""The benchmark runner: starts the servers, runs every client in its own process, checks
that their outputs agree, and writes the figures (JSON, a markdown report and a chart).

Every run of every client is a fresh process. Within one run the clients go one after the
other, in an order that rotates from run to run; ratios are taken run by run (the paired
figures) and their median reported, so that noise on the machine hits both sides of a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import data, report

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS_CLIENTS = (
    "ours-async",
    "ours-sync",
    "official-async",
    "official-sync",
    "httpx-bytes",
    "httpx-bytes-sync",
    "httpx-json",
)
OURS_AND_OFFICIAL = ("ours-async", "ours-sync", "official-async", "official-sync")
TASKS = ("results", "create", "list", "wait", "import")


class BenchError(Exception):
    """A client failed, timed out, or disagreed with the others."""


def _python() -> str:
    return sys.executable


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)
    return env


@contextmanager
def _process(args: Sequence[str], what: str) -> Iterator[str]:
    """Start a server process and yield the base URL it prints on its first line."""
    proc = subprocess.Popen(
        [_python(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http://"):
            raise BenchError(f"{what} did not start (printed {line!r})")
        yield line.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_child(task: str, client: str, url: str, arg: str, timeout: float) -> dict[str, Any]:
    """Run one client in a fresh process; return its figures plus the wall time."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [_python(), "-m", "bench.child", task, client, url, arg],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=_env(),
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{task} {client} {arg}: no answer within {timeout} s") from None
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"{task} {client} {arg} failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def _rotate(items: Sequence[str], by: int) -> list[str]:
    by %= len(items)
    return [*items[by:], *items[:by]]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _series(
    task: str,
    clients: Sequence[str],
    url: str,
    arg: str,
    runs: int,
    timeout: float,
    check: Any,
) -> dict[str, list[dict[str, Any]]]:
    """Run every client `runs` times, rotating the order; check each output."""
    figures: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
    for run in range(runs):
        for client in _rotate(clients, run):
            out = run_child(task, client, url, arg, timeout)
            check(client, out["summary"])
            figures[client].append(out)
            _log(
                f"  {task} {arg} run {run + 1}/{runs} {client}: {out['seconds']:.3f} s, "
                f"RSS {out['maxrss_kb'] / 1024:.0f} MB"
            )
    return figures


def _summarize(
    figures: dict[str, list[dict[str, Any]]],
    *,
    count: int,
    size_bytes: int | None = None,
    pairs: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Medians per client, and ratios paired run by run."""
    out: dict[str, Any] = {}
    for client, runs in figures.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        row: dict[str, Any] = {
            "runs": len(runs),
            "seconds": seconds,
            "wall": statistics.median(r["wall"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "maxrss_mb": max(r["maxrss_kb"] for r in runs) / 1024,
            "per_second": count / seconds,
        }
        if size_bytes is not None:
            row["mb_per_second"] = size_bytes / 1e6 / seconds
        if "rss_before_kb" in runs[0]:
            row["rss_before_mb"] = statistics.median(r["rss_before_kb"] for r in runs) / 1024
        for name, other in (pairs or {}).items():
            if other in figures and other != client:
                ratios = [
                    b["seconds"] / a["seconds"] for a, b in zip(runs, figures[other], strict=False)
                ]
                row[name] = statistics.median(ratios)
        out[client] = row
    return out


def bench_results(url: str, sizes: Sequence[int], runs: int, timeout: float) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for size in sizes:
        path = data.results_file(size)
        expected = data.expected_summary(path)
        file_bytes = path.stat().st_size

        def check(
            client: str,
            summary: dict[str, Any],
            expected: Any = expected,
            transport: Any = {"bytes": file_bytes, "lines": size},  # noqa: B006
            size: int = size,
        ) -> None:
            want = transport if client.startswith("httpx-bytes") else expected
            if summary != want:
                raise BenchError(f"results {size} {client}: read {summary}, expected {want}")

        _log(f"results, {size:,} lines, {file_bytes / 1e6:.1f} MB")
        figures = _series("results", RESULTS_CLIENTS, url, str(size), runs, timeout, check)
        rows = _summarize(
            figures,
            count=size,
            size_bytes=file_bytes,
            pairs={
                # > 1: faster than the official SDK (its time over ours).
                "speedup_vs_official_async": "official-async",
                "speedup_vs_official_sync": "official-sync",
            },
        )
        for client, row in rows.items():
            # > 1: slower than the transport limit (our time over its time, run by run); the
            # limit of a sync client is httpx's sync client, of an async one its async client.
            limit = figures["httpx-bytes-sync" if client.endswith("-sync") else "httpx-bytes"]
            row["x_transport"] = statistics.median(
                a["seconds"] / b["seconds"] for a, b in zip(figures[client], limit, strict=True)
            )
        found[str(size)] = {
            "bytes": file_bytes,
            "expected": expected,
            "sha256": data.digest(path),
            "clients": rows,
        }
    return found


def bench_create(url: str, sizes: Sequence[int], runs: int, timeout: float) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for size in sizes:

        def check(client: str, summary: dict[str, Any], size: int = size) -> None:
            if summary != {"requests": size}:
                raise BenchError(f"create {size} {client}: the server saw {summary}")

        _log(f"create, {size:,} requests")
        figures = _series("create", OURS_AND_OFFICIAL, url, str(size), runs, timeout, check)
        found[str(size)] = _summarize(
            figures,
            count=size,
            pairs={
                "speedup_vs_official_async": "official-async",
                "speedup_vs_official_sync": "official-sync",
            },
        )
    return found


def bench_list(url: str, runs: int, timeout: float) -> dict[str, Any]:
    from bench.server import LIST_SIZE

    want: dict[str, Any] = {}

    def check(client: str, summary: dict[str, Any]) -> None:
        if summary["batches"] != LIST_SIZE:
            raise BenchError(f"list {client}: {summary['batches']} batches, not {LIST_SIZE}")
        want.setdefault("ids", summary["ids_sha256"])
        if summary["ids_sha256"] != want["ids"]:
            raise BenchError(f"list {client}: the ids differ from the other clients'")

    _log(f"list, {LIST_SIZE:,} batches, limit=100")
    figures = _series("list", OURS_AND_OFFICIAL, url, "100", runs, timeout, check)
    return {
        "batches": LIST_SIZE,
        "limit": 100,
        "clients": _summarize(
            figures,
            count=LIST_SIZE,
            pairs={
                "speedup_vs_official_async": "official-async",
                "speedup_vs_official_sync": "official-sync",
            },
        ),
    }


def bench_wait(count: int, runs: int, timeout: float, process_seconds: float) -> dict[str, Any]:
    _log(f"wait, {count:,} concurrent waits against the emulator")
    rows = []
    args = ["-m", "anthropic_batches.emulator", "--process-seconds", str(process_seconds)]
    for run in range(runs):
        # A fresh emulator each run, so every run waits on the same number of batches.
        with _process(args, "the emulator") as url:
            out = run_child("wait", "ours-async", url, str(count), timeout)
        summary = out["summary"]
        if summary["ended"] != count:
            raise BenchError(f"wait: {summary['ended']} of {count} batches ended")
        rows.append(out)
        _log(
            f"  wait run {run + 1}/{runs}: {summary['wait_seconds']:.2f} s, "
            f"{summary['polls']} polls, {summary['max_sockets']} sockets at most, "
            f"{summary['max_threads']} thread(s), RSS {out['maxrss_kb'] / 1024:.0f} MB"
        )
    return {
        "waits": count,
        "process_seconds": process_seconds,
        "runs": runs,
        "seconds": statistics.median(r["summary"]["wait_seconds"] for r in rows),
        "polls": statistics.median(r["summary"]["polls"] for r in rows),
        "max_sockets": max(r["summary"]["max_sockets"] for r in rows),
        "max_threads": max(r["summary"]["max_threads"] for r in rows),
        "pool_limit": rows[0]["summary"]["pool_limit"],
        "maxrss_mb": max(r["maxrss_kb"] for r in rows) / 1024,
    }


def bench_import(runs: int, timeout: float) -> dict[str, Any]:
    _log(f"import time, {runs} fresh processes each")
    code = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"
    times: dict[str, list[float]] = {"anthropic_batches": [], "anthropic": []}
    for run in range(runs):
        for module in _rotate(list(times), run):
            done = subprocess.run(
                [_python(), "-c", code.format(module)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=ROOT,
                env=_env(),
                check=True,
            )
            times[module].append(float(done.stdout.strip()))
    medians = {m: statistics.median(t) for m, t in times.items()}
    ratios = [a / b for a, b in zip(times["anthropic_batches"], times["anthropic"], strict=True)]
    return {
        "runs": runs,
        "seconds": medians,
        "ratio": statistics.median(ratios),
    }


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    def version(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "versions": {
            name: version(name)
            for name in (
                "anthropic-batches",
                "anthropic",
                "httpx",
                "httpx2",
                "pydantic",
                "pydantic-core",
            )
        },
    }


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark anthropic-batches against the official SDK."
    )
    parser.add_argument("--sizes", default="10000,100000", help="results file sizes")
    parser.add_argument("--create-sizes", default="10000,100000", help="create sizes")
    parser.add_argument("--runs", type=int, default=5, help="runs of each client (median)")
    parser.add_argument("--import-runs", type=int, default=15, help="fresh imports of each")
    parser.add_argument("--waits", type=int, default=1000, help="concurrent wait() calls")
    parser.add_argument("--wait-runs", type=int, default=3)
    parser.add_argument("--process-seconds", type=float, default=3.0, help="emulator setting")
    parser.add_argument("--tasks", default=",".join(TASKS), help="which of " + ",".join(TASKS))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per client run")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out", help="where results.json goes"
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="write docs/benchmarks.md and the chart in docs/img/ (needs matplotlib)",
    )
    parser.add_argument("--command", default="scripts/bench", help="the command, for the report")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise SystemExit(f"unknown task(s): {', '.join(sorted(unknown))}")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    create_sizes = [int(s) for s in args.create_sizes.split(",") if s]
    found: dict[str, Any] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command,
        "machine": machine(),
        "load_before": _load(),
        "runs": args.runs,
    }
    if "results" in tasks:
        for size in sizes:
            data.results_file(size)  # made before any timing
    with _process(["-m", "bench.server", str(data.DATA_DIR)], "the bench server") as url:
        if "results" in tasks:
            found["results"] = bench_results(url, sizes, args.runs, args.timeout)
        if "create" in tasks:
            found["create"] = bench_create(url, create_sizes, args.runs, args.timeout)
        if "list" in tasks:
            found["list"] = bench_list(url, args.runs, args.timeout)
    if "wait" in tasks:
        found["wait"] = bench_wait(args.waits, args.wait_runs, args.timeout, args.process_seconds)
    if "import" in tasks:
        found["import"] = bench_import(args.import_runs, args.timeout)
    found["load_after"] = _load()
    found["targets"] = report.targets(found)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(found, indent=2) + "\n")
    markdown = report.markdown(found)
    (args.out / "report.md").write_text(markdown)
    print(markdown)
    if args.docs:
        chart = report.chart(found, ROOT / "docs" / "img")
        (ROOT / "docs" / "benchmarks.md").write_text(report.page(found, markdown, chart))
        _log(f"wrote docs/benchmarks.md and {chart}")
    return 0
