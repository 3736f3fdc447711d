"""The report writer behind docs/reliability.md: every figure the suite records has a place in
it, and a run's figures and failures show."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reliability.report import AREAS, read_figures, read_junit, render

HERE = Path(__file__).parent


def test_every_recorded_figure_and_module_has_an_area() -> None:
    recorded = set()
    for module in HERE.glob("test_*.py"):
        recorded |= set(re.findall(r'record\(\s*"(\w+)"', module.read_text()))
    placed = {name for area in AREAS for name in area.figures}
    assert recorded and recorded <= placed
    modules = {p.stem for p in HERE.glob("test_*.py")} - {"test_report"}
    assert modules == {area.module for area in AREAS}


def test_a_run_shows_its_figures_and_failures(tmp_path: Path) -> None:
    figures = tmp_path / "figures.jsonl"
    rows = [
        {"test": "faults", "long": True, "requests": 100000, "duplicates": 0},
        {"test": "faults", "long": True, "requests": 3000, "by_status": {"429": 7}},
    ]
    figures.write_text("".join(json.dumps(r) + "\n" for r in rows))
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.reliability.test_faults" name="test_a[100k]" time="61.5">'
        '<failure message="boom"/></testcase>'
        '<testcase classname="tests.reliability.test_faults" name="test_a[3k]" time="2.0"/>'
        "</testsuite></testsuites>"
    )
    text = render(read_figures(figures), read_junit(junit), 600)
    assert "long run (`RELIABILITY_LONG=1`), 10.0 minutes" in text
    assert "| requests | duplicates | by status |" in text
    assert "| 100,000 | 0 |  |" in text
    assert "| 3,000 |  | 429: 7 |" in text
    assert "| `test_a[100k]` | failed | 61.5 |" in text
    assert "Tests: 1 passed, 1 failed, 0 skipped." in text
    assert "| [Faults](#faults) | 2 | 1 | 1 | 0 | 63.5 |" in text
