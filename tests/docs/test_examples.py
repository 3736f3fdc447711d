"""Every file in `examples/` runs against the emulator and prints what a reader expects.

The docs include these files verbatim (pymdownx.snippets), so what the docs show is what
runs here. `fastapi_app.py` has its own tests (test_fastapi_app.py).
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from docs.support import DOCS, EXAMPLES, ROOT

from anthropic_batches.emulator import EmulatorServer

#: What each example must print (fragments, in order).
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "created msgbatch_",
        ": in_progress",
        "ended: 3 succeeded, 0 errored",
        "capital-",
        "deleted msgbatch_",
    ],
    "quickstart_sync.py": ["created msgbatch_", "ended: 3 succeeded", "capital-", "deleted "],
    "join_results.py": ["3 results for 3 requests", "A-100: ", "B-200: ", "C-300: "],
    "wait_progress.py": ["in_progress: 5 processing", "ended: 0 processing", "done: 5 of 5"],
    "large_job.py": [
        "3 parts",
        "3/3 parts ended, 2500/2500 requests counted",
        "results: {'succeeded': 2500}",
        "tokens: ",
        "estimated cost: $",
    ],
    "errors.py": [
        "nothing was sent, 3 problems:",
        "requests[0] custom_id:",
        "requests[2] custom_id: duplicate",
        "requests[3] params.temperature:",
        "404 not_found_error (request-id req_",
        "NotFoundError: 404 not_found_error",
    ],
}
#: Examples with tests of their own, rather than a run here.
TESTED_ELSEWHERE = {"fastapi_app.py", "test_with_emulator.py"}


def in_order(text: str, fragments: list[str]) -> None:
    at = 0
    for fragment in fragments:
        found = text.find(fragment, at)
        assert found >= 0, f"{fragment!r} not printed (after position {at}) in:\n{text}"
        at = found + len(fragment)


def test_every_example_is_run_and_shown_in_the_docs() -> None:
    files = {p.name for p in EXAMPLES.glob("*.py")}
    assert files == set(EXPECTED) | TESTED_ELSEWHERE
    pages = "\n".join(p.read_text() for p in DOCS.rglob("*.md"))
    for name in files:
        assert f'--8<-- "examples/{name}"' in pages, f"examples/{name} is in no docs page"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(
    name: str, api_env: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    in_order(capsys.readouterr().out, EXPECTED[name])


def test_large_job_resumes_without_submitting_again(
    api_env: EmulatorServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(EXAMPLES / "large_job.py")
    runpy.run_path(path, run_name="__main__")
    created = api_env.emulator.stats.batches_created
    downloads = api_env.emulator.stats.results_downloads
    files = sorted((tmp_path / "results").iterdir())
    assert [f.name for f in files] == ["part-0.jsonl", "part-1.jsonl", "part-2.jsonl"]
    ids = [json.loads(line)["custom_id"] for f in files for line in f.read_text().splitlines()]
    assert sorted(ids) == [f"review-{i:05d}" for i in range(2500)]
    capsys.readouterr()

    runpy.run_path(path, run_name="__main__")  # the same job again: everything is done
    assert "3 parts (resumed)" in capsys.readouterr().out
    assert api_env.emulator.stats.batches_created == created
    assert api_env.emulator.stats.results_downloads == downloads
    assert sorted((tmp_path / "results").iterdir()) == files


def test_the_testing_example_passes_under_pytest(tmp_path: Path) -> None:
    # Run as a user would: pytest with the plugin from the installed package.
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"),
            *("--rootdir", str(ROOT), str(EXAMPLES / "test_with_emulator.py")),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
