"""The generated sync twins are up to date, and the generator's rules and checks behave."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "unasync.py"


def load() -> ModuleType:
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
        "from ._async.client import AsyncClient\n"
        "async def f(x: AsyncIterator[int], async_client: AsyncClient) -> None:\n"
        "    async with x as y:\n"
        "        async for z in y.aiter_bytes():\n"
        "            await sleep(0)\n"
        "    await x.aclose()\n"
    )
    out = unasync.convert(source, set())
    assert out.splitlines() == [
        "from ._sync.client import Client",
        "def f(x: Iterator[int], client: Client) -> None:",
        "    with x as y:",
        "        for z in y.iter_bytes():",
        "            sleep(0)",
        "    x.close()",
    ]


def test_generated_files_keep_the_line_numbers_of_their_source() -> None:
    unasync = load()
    for src_dir, dst_dir in unasync.PAIRS:
        for dst in dst_dir.rglob("*.py"):
            src = src_dir / dst.relative_to(dst_dir)
            if dst.name in unasync.hand_written(src_dir):
                continue
            lines = len(dst.read_text().splitlines())
            assert lines == len(src.read_text().splitlines()), dst


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Path, Path]:
    """The generator pointed at a small tree: a source, its twin, and a hand-written pair."""
    unasync = load()
    src, dst = tmp_path / "_async", tmp_path / "_sync"
    src.mkdir()
    dst.mkdir()
    (src / "a.py").write_text("async def f() -> None:\n    await g()\n")
    (src / "_backend.py").write_text('__all__ = ["sleep"]\n')
    (dst / "_backend.py").write_text('__all__ = ["sleep"]\n')
    monkeypatch.setattr(unasync, "PAIRS", [(src, dst)])
    monkeypatch.setattr(unasync, "ROOT", tmp_path)
    monkeypatch.setattr(unasync, "HAND_WRITTEN", {src: ("_backend.py",)})
    # Only the rules this tree uses, so that an unused one is not what fails.
    rules = [(r"\basync def\b", "def"), (r"\bawait ", "")]
    monkeypatch.setattr(unasync, "RULES", rules)
    monkeypatch.setattr(unasync, "COMPILED", [(re.compile(p), r) for p, r in rules])
    return unasync, src, dst


def check(unasync: ModuleType, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = unasync.main(["--check"])
    return code, capsys.readouterr().err


def test_check_reports_drift_and_orphans_and_writing_fixes_them(
    tree: tuple[ModuleType, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    unasync, _, dst = tree
    (dst / "orphan.py").write_text("x = 1\n")
    code, err = check(unasync, capsys)
    assert code == 1
    assert "missing generated file: _sync/a.py" in err
    assert "orphan generated file (no async source): _sync/orphan.py" in err
    assert unasync.main([]) == 0
    assert not (dst / "orphan.py").exists()
    assert (dst / "a.py").read_text() == "def f() -> None:\n    g()\n"
    assert (dst / "_backend.py").exists()  # hand-written: neither generated nor an orphan
    (dst / "a.py").write_text("def f() -> None:\n    h()\n")
    code, err = check(unasync, capsys)
    assert code == 1 and "out of date: _sync/a.py" in err and "+    g()" in err
    unasync.main([])
    assert check(unasync, capsys) == (0, "")


def test_check_fails_on_an_unused_rule(
    tree: tuple[ModuleType, Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unasync, _, _ = tree
    unasync.main([])
    rules = [*unasync.RULES, (r"\baclose\b", "close")]
    monkeypatch.setattr(unasync, "RULES", rules)
    monkeypatch.setattr(unasync, "COMPILED", [(re.compile(p), r) for p, r in rules])
    code, err = check(unasync, capsys)
    assert code == 1 and "unused rule: '\\\\baclose\\\\b'" in err


@pytest.mark.parametrize(
    "words", ["on one event loop", "polled concurrently", "an asyncio task", "a coroutine"]
)
def test_check_fails_when_the_sync_twin_speaks_of_an_event_loop(
    tree: tuple[ModuleType, Path, Path], capsys: pytest.CaptureFixture[str], words: str
) -> None:
    unasync, src, _ = tree
    (src / "a.py").write_text(f'async def f() -> None:\n    """Runs {words}."""\n    await g()\n')
    unasync.main([])  # written, and still wrong
    code, err = check(unasync, capsys)
    assert code == 1
    assert "_sync/a.py:2: the sync twin speaks of" in err


def test_check_fails_on_a_missing_or_mismatched_hand_written_pair(
    tree: tuple[ModuleType, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    unasync, src, dst = tree
    unasync.main([])
    (dst / "_backend.py").write_text('__all__ = ["sleep", "gather"]\n')
    code, err = check(unasync, capsys)
    assert code == 1 and "hand-written pair exports different names" in err
    (dst / "_backend.py").unlink()
    code, err = check(unasync, capsys)
    assert code == 1 and "missing hand-written file: _sync/_backend.py" in err
    (src / "_backend.py").unlink()
    code, err = check(unasync, capsys)
    assert code == 1 and "missing hand-written file: _async/_backend.py" in err
