"""Jobs at flat memory: peak RSS and wall time of whole jobs through the emulator on loopback.

    python -m bench.jobs_memory                          200,000 and 2,000,000 requests
    python -m bench.jobs_memory --sizes 300 --max-requests 100 --out DIR   (the smoke run)

For each size it writes a requests file of generated requests of about 400 bytes each
(compact JSON, cached in `bench/data/`), starts the emulator (`anthropic-batches emulator`)
in its own process, and measures, each in a fresh process:

- `run`: `anthropic-batches run FILE -o OUT --state STATE`, its peak RSS (`wait4`'s
  `ru_maxrss` of that process alone, not the emulator's) and wall time;
- `generator`: an `AsyncJob` driven from Python with a generator as input (spooled beside its
  state file), waited for, every result written to a file: peak RSS and wall time;
- `plan`: the client's own work before the first create, as `run` does it: the streaming pass
  over the file (read, check, encode, split) and reading the first part's body back; seconds
  per 100,000 requests, of wall time and of CPU time (on a shared machine the wall time also
  counts the other processes' turns on the cores).

Every run is checked: the output holds one result per request. The figures go to
`OUT/jobs.json` and a markdown table to `OUT/jobs.md`; with `--docs`, the section is written
to `bench/jobs.md`, which the docs page (`docs/benchmarks.md`) includes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
#: The command as a user runs it (the console script of the environment).
CLI = str(Path(sys.executable).parent / "anthropic-batches")
WORDS = [
    *("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"),
    *("juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"),
    *("sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"),
]


def request(index: int) -> dict[str, Any]:
    """The request of a position: about 400 bytes once encoded, the same every time."""
    words = [WORDS[(index * 7 + k * 3) % len(WORDS)] for k in range(40)]
    text = f"Item {index}: summarize " + " ".join(words)
    return {
        "custom_id": f"req-{index:09d}",
        "params": {
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": text}],
        },
    }


def requests(count: int) -> Iterator[dict[str, Any]]:
    """The requests of a job of `count`, generated one at a time."""
    return (request(i) for i in range(count))


def requests_file(count: int, directory: Path = DATA_DIR) -> Path:
    """The requests file of `count` requests, written compactly (made once, then cached)."""
    path = directory / f"job-requests-{count}.jsonl"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for item in requests(count):
            f.write(json.dumps(item, separators=(",", ":")) + "\n")
    os.replace(tmp, path)
    return path


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["ANTHROPIC_API_KEY"] = "bench-key"
    env["ANTHROPIC_BASE_URL"] = url
    return env


def _measured(args: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run a process to its end: its wall time, peak RSS (MB) and standard output."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.PIPE)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"timed out after {timeout:.0f} s: {args}")
            time.sleep(0.05)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.returncode != 0:
            raise RuntimeError(f"{args} exited with {process.returncode}: {stderr[-2000:]}")
        out.seek(0)
        text = out.read().decode()
    return {"wall_seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "stdout": text}


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


class Emulator:
    """`anthropic-batches emulator` in its own process, on a free loopback port."""

    def __init__(self, max_requests: int) -> None:
        args = [
            CLI,
            "emulator",
            "--port",
            "0",
            "--process-seconds",
            "0.5",
            "--max-requests",
            str(max_requests),
        ]
        env = _env("")
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.process.kill()
            raise RuntimeError("the emulator did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def measure(count: int, work: Path, max_requests: int, timeout: float) -> dict[str, Any]:
    """Every figure for one size."""
    source = requests_file(count)
    py = sys.executable
    found: dict[str, Any] = {"requests": count, "file_mb": source.stat().st_size / 1e6}
    emulator = Emulator(max_requests)
    try:
        env = _env(emulator.url)
        output, state = work / f"run-{count}.jsonl", work / f"run-{count}.state.json"
        args = [CLI, "--quiet", "run", str(source), "-o", str(output)]
        args += ["--state", str(state), "--poll-interval", "0.2"]
        args += ["--max-requests", str(max_requests)]
        found["run"] = _measured(args, env, timeout)
        found["run"].pop("stdout")
        if _count_lines(output) != count:
            raise RuntimeError(f"run wrote {_count_lines(output)} results, not {count}")
        output.unlink()
        gen_out = work / f"generator-{count}.jsonl"
        args = [py, "-m", "bench.jobs_memory", "--child", "generator", str(count), str(gen_out)]
        args += ["--max-requests", str(max_requests)]
        found["generator"] = _measured(args, env, timeout)
        found["generator"].pop("stdout")
        if _count_lines(gen_out) != count:
            raise RuntimeError(f"the generator job wrote {_count_lines(gen_out)} results")
        gen_out.unlink()
        args = [py, "-m", "bench.jobs_memory", "--child", "plan", str(count), str(source)]
        args += ["--max-requests", str(max_requests)]
        found["plan"] = measure_plan(count, source, max_requests, env, timeout)
    finally:
        emulator.close()
    return found


def measure_plan(
    count: int, source: Path, max_requests: int, env: dict[str, str], timeout: float
) -> dict[str, Any]:
    """The client's work before the first create, in a fresh process."""
    args = [sys.executable, "-m", "bench.jobs_memory", "--child", "plan", str(count)]
    args += [str(source), "--max-requests", str(max_requests)]
    plan = _measured(args, env, timeout)
    wall, cpu = (float(x) for x in plan.pop("stdout").split())
    per = 100_000 / count
    return {"seconds": wall, "per_100k": wall * per, "cpu_per_100k": cpu * per, **plan}


# -- the child processes ----------------------------------------------------------------------


async def _generator_job(count: int, output: Path, max_requests: int) -> None:
    from anthropic_batches import AsyncClient, AsyncJob

    state = output.with_name(output.name + ".state.json")
    async with AsyncClient() as client:
        job = AsyncJob(
            client,
            requests(count),
            state_path=state,
            max_requests=max_requests,
            poll_interval=0.2,
        )
        with open(output, "wb") as f:  # noqa: ASYNC230 - a plain sink, as a user would write
            async for result in job.results():
                f.write(result.json_line() + b"\n")


def _plan(count: int, source: Path, max_requests: int) -> tuple[float, float]:
    from anthropic_batches import Client, Job

    started, cpu = time.perf_counter(), time.process_time()
    with Client() as client:
        job = Job.from_file(client, source, max_requests=max_requests)
        job.parts[0].body()
    return time.perf_counter() - started, time.process_time() - cpu


def _table(found: list[dict[str, Any]]) -> str:
    rows = [
        "| requests | file | `run` peak RSS | `run` wall | generator job peak RSS | "
        "generator job wall | client work before the first create, per 100,000: wall (CPU) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in found:
        rows.append(
            f"| {f['requests']:,} | {f['file_mb']:,.0f} MB | {f['run']['peak_rss_mb']:,.0f} MB "
            f"| {f['run']['wall_seconds']:,.1f} s | {f['generator']['peak_rss_mb']:,.0f} MB "
            f"| {f['generator']['wall_seconds']:,.1f} s "
            f"| {f['plan']['per_100k']:.2f} s ({f['plan'].get('cpu_per_100k', 0):.2f} s) |"
        )
    return "\n".join(rows) + "\n"


#: The section of the docs page, kept from the last `--docs` run (`report.page` includes it).
SECTION = ROOT / "bench" / "jobs.md"
DOCS_PAGE = ROOT / "docs" / "benchmarks.md"
HEADING = "## Jobs at flat memory"


def _targets(found: list[dict[str, Any]]) -> str:
    small, large = found[0], found[-1]
    rows = ["| target | wanted | achieved | met |", "|---|---|---:|---|"]
    for name, what in (("run", "`run`"), ("generator", "generator job")):
        growth = large[name]["peak_rss_mb"] - small[name]["peak_rss_mb"]
        peak = large[name]["peak_rss_mb"]
        rows.append(
            f"| {what}: peak RSS at {large['requests']:,} minus at {small['requests']:,} "
            f"| <= 64 MB | {growth:+,.0f} MB | {'yes' if growth <= 64 else 'no'} |"
        )
        rows.append(
            f"| {what}: peak RSS at {large['requests']:,} | < 400 MB | {peak:,.0f} MB "
            f"| {'yes' if peak < 400 else 'no'} |"
        )
    for f in found:
        wall, cpu = f["plan"]["per_100k"], f["plan"].get("cpu_per_100k", 0.0)
        rows.append(
            f"| client work before the first create, at {f['requests']:,}: CPU (wall) "
            f"| < 1.2 s per 100,000 | {cpu:.2f} s ({wall:.2f} s) | {'yes' if cpu < 1.2 else 'no'} |"
        )
    for name, what in (("run", "`run`"), ("generator", "generator job")):
        ratio = large[name]["wall_seconds"] / small[name]["wall_seconds"]
        times = large["requests"] / small["requests"]
        rows.append(
            f"| {what}: wall time at {large['requests']:,} over {small['requests']:,} "
            f"| (shown) | {ratio:.1f}x for {times:.0f}x the requests | - |"
        )
    return "\n".join(rows) + "\n"


def section(found: list[dict[str, Any]], command: str) -> str:
    """The docs page's section on jobs."""
    load = os.getloadavg()
    text = (
        f"{HEADING}\n\n"
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{command}`: "
        f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} cores; "
        f"load average after: {load[0]:.1f}. Generated requests of about 400 bytes each, "
        "written compactly; the emulator on loopback in its own process "
        "(`--process-seconds 0.5`), 100,000 requests per batch. Peak RSS is that of the "
        "client's process alone (`wait4`), not the emulator's. The generator job spools its "
        "requests beside its state file; `run` reads its requests file back.\n\n"
        f"{_table(found)}\n"
    )
    if len(found) >= 2:
        text += _targets(found) + "\n"
    return text


def write_docs(text: str) -> None:
    """Keep the section for the page, and put it in the page now (before the notes)."""
    SECTION.write_text(text)
    page = DOCS_PAGE.read_text()
    if HEADING in page:
        start = page.index(HEADING)
        end = page.find("\n## ", start + len(HEADING))
        page = page[:start] + text + (page[end + 1 :] if end != -1 else "")
    else:
        notes = page.find("\n## Where a target is missed")
        at = notes + 1 if notes != -1 else len(page)
        page = page[:at] + text + "\n" + page[at:]
    DOCS_PAGE.write_text(page)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.jobs_memory", description=__doc__)
    parser.add_argument("--sizes", default="200000,2000000", help="job sizes, comma separated")
    parser.add_argument("--max-requests", type=int, default=100_000, help="requests per part")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per process")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--docs", action="store_true", help="write the docs page's section")
    parser.add_argument(
        "--plan-only", action="store_true", help="measure the plan again, into OUT/jobs.json"
    )
    parser.add_argument("--child", nargs=3, metavar=("TASK", "COUNT", "PATH"), help="internal")
    options = parser.parse_args(argv)
    if options.child:
        task, count, path = options.child
        if task == "generator":
            asyncio.run(_generator_job(int(count), Path(path), options.max_requests))
        else:
            wall, cpu = _plan(int(count), Path(path), options.max_requests)
            print(f"{wall:.4f} {cpu:.4f}")
        return
    if options.plan_only:  # measure the client's work again, keep the other figures
        found = json.loads((options.out / "jobs.json").read_text())
        for figures in found:
            source = requests_file(figures["requests"])
            figures["plan"] = measure_plan(
                figures["requests"], source, options.max_requests, _env(""), options.timeout
            )
        _finish(found, options, argv)
        return
    options.out.mkdir(parents=True, exist_ok=True)
    found = []
    with tempfile.TemporaryDirectory(dir=options.out) as work:
        for size in (int(s) for s in options.sizes.split(",")):
            print(f"jobs of {size:,} requests ...", file=sys.stderr, flush=True)
            found.append(measure(size, Path(work), options.max_requests, options.timeout))
            print(json.dumps(found[-1]), file=sys.stderr, flush=True)
    _finish(found, options, argv)


def _finish(
    found: list[dict[str, Any]], options: argparse.Namespace, argv: list[str] | None
) -> None:
    if len(found) >= 2:
        small, large = found[0], found[-1]
        for name in ("run", "generator"):
            growth = large[name]["peak_rss_mb"] - small[name]["peak_rss_mb"]
            wall = large[name]["wall_seconds"] / small[name]["wall_seconds"]
            large[name]["rss_growth_mb"], large[name]["wall_ratio"] = growth, wall
    (options.out / "jobs.json").write_text(json.dumps(found, indent=1) + "\n")
    command = "python -m bench.jobs_memory " + " ".join(argv if argv is not None else sys.argv[1:])
    if options.plan_only:
        sizes = ",".join(str(f["requests"]) for f in found)
        again = "then the client's work measured again with"
        command = f"python -m bench.jobs_memory --sizes {sizes}`, {again} `{command.strip()}"
    text = section(found, command.strip())
    (options.out / "jobs.md").write_text(text)
    if options.docs:
        write_docs(text)
    print(text)


if __name__ == "__main__":
    main()
