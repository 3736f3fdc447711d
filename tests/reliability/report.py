"""Write docs/reliability.md from a reliability run: the figures the tests recorded
(`RELIABILITY_FIGURES`, one JSON object per line) and pytest's JUnit XML (each test's outcome
and time). Run by `scripts/reliability`; the prose lives here, the numbers come from the run.

Usage: python tests/reliability/report.py --figures F --junit J --seconds S --output MD
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Area:
    title: str
    module: str
    figures: tuple[str, ...]  # the `record()` names whose figures belong here
    what: str


AREAS = [
    Area(
        "Results line decoder",
        "test_jsonl_properties",
        ("jsonl_decoder",),
        "Property tests: valid and invalid results streams (blank lines, CRLF, truncated and "
        "non-UTF-8 lines) cut into arbitrary chunks. The decoder hands out exactly the "
        "non-blank lines, in order, with their line numbers; a bad line raises "
        "`ResultsDecodeError` with its own number; nothing else escapes.",
    ),
    Area(
        "Models",
        "test_models_properties",
        ("models",),
        "Property tests: result lines and batches round-trip; unknown content block types and "
        "extra fields are kept; arbitrary JSON gives a validation error and nothing else.",
    ),
    Area(
        "Requests-file reader",
        "test_requests_file_properties",
        ("requests_file",),
        "Property tests of the command line's `.jsonl` reader: generated files with good and "
        "bad lines; good lines come out exactly, every bad line is reported with its number, "
        "and nothing but `RequestsFileError` escapes.",
    ),
    Area(
        "Emulator fuzzing",
        "test_emulator_fuzz",
        ("emulator_fuzz",),
        "Fuzzed methods, paths, ids, query parameters, headers and bodies sent to the "
        "emulator's ASGI app: never a 5xx, never an exception out of the app, the documented "
        "error shape on every error, still serving and keys still apart afterwards.",
    ),
    Area(
        "Security",
        "test_security",
        ("other_origins", "key_not_in_texts", "keys_apart", "body_limit"),
        "The key never goes to another origin (a `results_url` elsewhere, redirects to "
        "another host or port) and never shows in reprs, error messages, debug logs, the "
        "command line's output or its state file; one key never sees another's batches; a "
        "1 GB body is refused at the limit without being buffered.",
    ),
    Area(
        "Faults",
        "test_faults",
        ("faults",),
        "A job through the SDK against the emulator answering 20% of all requests with "
        "429/500/529 and cutting each batch's first results download midway. Every "
        "`custom_id` is counted: each result arrives exactly once; no batch is created "
        "twice; every HTTP attempt is accounted to the SDK call that made it, no call makes "
        "more than `max_retries` retries, and every retry follows a retryable answer.",
    ),
    Area(
        "Crash and resume",
        "test_crash_resume",
        ("crash_resume",),
        "`anthropic-batches run` killed with SIGKILL while submitting, just after the API "
        "created a batch (before the answer reached the command), while waiting and while "
        "downloading, then run again with the same state file; when a job finishes, the next "
        "starts. After each kill: the state file is readable, the output file is absent or "
        "complete, and the partial file holds, up to the size the state recorded, exactly the "
        "parts marked downloaded. At the end: the emulator's create calls equal the batches "
        "the jobs needed, and each output holds every result once.",
    ),
    Area(
        "Load",
        "test_load",
        ("load",),
        "Many batches in flight at once (all `in_progress` together), waited concurrently by "
        "one client on one event loop against the emulator in its own process. All end; the "
        "client's connections to the emulator (sampled every 10 ms from `/proc`) stay within "
        "httpx's pool limit; its memory growth is bounded; a second process with another key "
        "keeps listing and creating batches meanwhile, and its latency is measured.",
    ),
]

DEFECTS = [
    (
        "A requests file with a number past Python's integer digit limit raised `ValueError` "
        "instead of a reported line.",
        "`test_requests_file_properties.py::test_huge_integer_is_a_reported_line`",
    ),
    (
        "The resume hint printed after Ctrl-C repeated the command line with `--api-key KEY`.",
        "`test_security.py::test_key_never_in_the_resume_hint`",
    ),
    (
        "The emulator read the whole of a body over the limit before answering 413; it now "
        "closes the connection after the answer.",
        "`test_security.py::test_body_over_the_limit_refused_without_buffering`",
    ),
    (
        "A run killed after the API created a batch but before the state file recorded it "
        "created that part's batch a second time on resume. A resumed job now takes the "
        "batch that create made: the single unknown batch of the part's size created since "
        "the create started (with two or more it cannot tell, and warns).",
        "`tests/_async/test_jobs.py::test_a_batch_made_by_a_create_cut_off_before_its_answer"
        "_is_used_on_resume`",
    ),
    (
        "With that, the first long run still created 6 batches twice in 44 planned kills: jobs ran "
        "one after another under one key, and an earlier job's batches of the same size made the "
        "cut-off create's batch impossible to tell. Before each create the state now records "
        "the newest batch the key can see, and the batch is looked for only among those "
        "listed after it; a batch whose results name other requests is refused.",
        "`tests/_async/test_jobs.py::test_a_cut_off_create_is_found_after_the_batch_listed"
        "_newest_before_it`",
    ),
    (
        "A run killed while downloading left the output file half-written (some results, a "
        "torn last line). Results now go to `OUTPUT.partial`, renamed to `OUTPUT` once "
        "complete. Writing to `/dev/null` failed on `fsync`.",
        "`tests/cli/test_run.py::test_the_output_appears_only_once_every_result_is_in_it`",
    ),
]


def read_figures(path: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                found[data.pop("test")].append(data)
    return found


@dataclass(frozen=True)
class Case:
    name: str
    outcome: str
    seconds: float


def read_junit(path: Path) -> dict[str, list[Case]]:
    cases: dict[str, list[Case]] = defaultdict(list)
    if not path.exists():
        return cases
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").rpartition(".")[2]
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        cases[module].append(Case(case.get("name", ""), outcome, float(case.get("time", 0))))
    return cases


def cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {cell(v)}" for k, v in value.items()) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys and k != "long"]
    lines = [
        "| " + " | ".join(k.replace("_", " ") for k in keys) + " |",
        "|" + "---|" * len(keys),
    ]
    lines += ["| " + " | ".join(cell(row.get(k, "")) for k in keys) + " |" for row in rows]
    return lines


def render(
    figures: dict[str, list[dict[str, Any]]], cases: dict[str, list[Case]], seconds: float
) -> str:
    everything = [c for area in AREAS for c in cases.get(area.module, [])]
    counts = {o: sum(c.outcome == o for c in everything) for o in ("passed", "failed", "skipped")}
    long = any(row.get("long") for rows in figures.values() for row in rows)
    out = [
        "# Reliability",
        "",
        "The reliability suite (`tests/reliability/`) checks what users rely on when things go "
        "wrong: hostile and malformed input, injected faults, crashes, load, and the API key's "
        "safety. Each part has a fast version, run by `scripts/test` and in CI, and a long one "
        "(marked `slow`), run by `scripts/reliability`, which also writes this page from the "
        "figures the tests record.",
        "",
        "## The latest run",
        "",
        f"- When: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; "
        f"{'long run (`RELIABILITY_LONG=1`)' if long else 'fast run'}, "
        f"{seconds / 60:.1f} minutes in all.",
        f"- Machine: {os.cpu_count()} CPU cores, Linux {platform.release().split('-')[0]}, "
        f"Python {platform.python_version()}; the emulator on 127.0.0.1 only.",
        f"- Tests: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped.",
        "",
        "Reproduce it all, fast and long versions, and write this page again:",
        "",
        "```bash",
        "scripts/reliability",
        "```",
        "",
        "| area | tests | passed | failed | skipped | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for area in AREAS:
        mine = cases.get(area.module, [])
        tally = [sum(c.outcome == o for c in mine) for o in ("passed", "failed", "skipped")]
        total = sum(c.seconds for c in mine)
        out.append(
            f"| [{area.title}](#{slug(area.title)}) | {len(mine)} | "
            + " | ".join(map(str, tally))
            + f" | {total:.1f} |"
        )
    out += ["", "## Defects found and fixed", ""]
    out += ["| defect | regression test |", "|---|---|"]
    out += [f"| {what} | {test} |" for what, test in DEFECTS]
    for area in AREAS:
        path = f"tests/reliability/{area.module}.py"
        out += ["", f"## {area.title}", "", area.what, ""]
        out += ["```bash", f".venv/bin/pytest {path}                     # fast"]
        out += [f"RELIABILITY_LONG=1 .venv/bin/pytest {path}  # long", "```", ""]
        for name in area.figures:
            rows = figures.get(name)
            if rows:
                out += [f"Figures (`{name}`):", "", *table(rows), ""]
        mine = cases.get(area.module, [])
        if mine:
            out += ["| test | result | seconds |", "|---|---|---|"]
            out += [f"| `{c.name}` | {c.outcome} | {c.seconds:.1f} |" for c in mine]
    return "\n".join(out) + "\n"


def slug(title: str) -> str:
    return "-".join(title.lower().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--figures", type=Path, required=True)
    parser.add_argument("--junit", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    text = render(read_figures(args.figures), read_junit(args.junit), args.seconds)
    args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
