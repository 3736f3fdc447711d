"""The generated sync twins are up to date, and the generator's rules behave."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "unasync.py"


def load() -> object:
    spec = importlib.util.spec_from_file_location("unasync_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_passes_on_the_tree() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "up to date" in out.stdout


def test_rules_rewrite_one_line_for_one_line() -> None:
    unasync = load()
    source = (
        "import asyncio\n"
        "from ._async.client import AsyncClient\n"
        "async def f(x: AsyncIterator[int]) -> None:\n"
        "    async with x as y:\n"
        "        async for z in y.aiter_bytes():\n"
        "            await asyncio.sleep(0)\n"
        "    await x.aclose()\n"
    )
    used: set[int] = set()
    out = unasync.convert(source, used)  # type: ignore[attr-defined]
    assert out.splitlines()[1:] == [
        "import time",
        "from ._sync.client import Client",
        "def f(x: Iterator[int]) -> None:",
        "    with x as y:",
        "        for z in y.iter_bytes():",
        "            time.sleep(0)",
        "    x.close()",
    ]
    assert used


def test_check_reports_drift_and_orphans(tmp_path: Path) -> None:
    unasync = load()
    src, dst = tmp_path / "_async", tmp_path / "_sync"
    src.mkdir()
    dst.mkdir()
    (src / "a.py").write_text("async def f() -> None:\n    await g()\n")
    (dst / "a.py").write_text("stale\n")
    (dst / "orphan.py").write_text("x = 1\n")
    unasync.PAIRS = [(src, dst)]  # type: ignore[attr-defined]
    unasync.ROOT = tmp_path  # type: ignore[attr-defined]
    assert unasync.main(["--check"]) == 1  # type: ignore[attr-defined]
    assert unasync.main([]) == 1  # type: ignore[attr-defined]  # unused rules are reported
    assert not (dst / "orphan.py").exists()
    assert (dst / "a.py").read_text().endswith("def f() -> None:\n    g()\n")
