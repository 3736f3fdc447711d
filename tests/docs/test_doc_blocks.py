"""Every Python code block of the docs and the README runs, against the emulator.

A block is either a snippet include of a file under `examples/` (run by test_examples.py),
or code that is extracted and run here. The blocks of one page run in order in one
namespace, so a page can build on its earlier blocks; top-level `await` is allowed, as in
the asyncio REPL, and those blocks share one event loop per page.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from docs.support import DOCS, EXAMPLES, ROOT

from anthropic_batches.emulator import EmulatorServer

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)$")
INCLUDE = re.compile(r'^--8<--\s+"(?P<path>[^"]+)"$')


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str

    @property
    def includes(self) -> list[str]:
        """The snippet paths, when the block is only snippet includes."""
        lines = [line.strip() for line in self.code.splitlines() if line.strip()]
        found = [INCLUDE.match(line) for line in lines]
        if lines and all(found):
            return [m.group("path") for m in found if m]
        return []


def blocks_of(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, dedented (blocks inside tabs are indented)."""
    blocks: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        language = opening.group("info").strip().split(" ")[0].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        assert j < len(lines), f"{page}:{i + 1}: code block never closed"
        blocks.append(Block(page, i + 1, language, textwrap.dedent("\n".join(body))))
        i = j + 1
    return blocks


PAGES = [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]
PYTHON = {page: [b for b in blocks_of(page) if b.language in ("python", "py")] for page in PAGES}
RUNNABLE = {page: [b for b in found if not b.includes] for page, found in PYTHON.items()}


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_block_reader_sees_every_python_block() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        fences = len(re.findall(r"^[ \t]*```(?:python|py)\b", text, flags=re.MULTILINE))
        assert len(PYTHON[page]) == fences, page_id(page)
    assert sum(len(found) for found in RUNNABLE.values()) >= 20


def test_includes_are_example_files() -> None:
    for page, found in PYTHON.items():
        for block in found:
            for path in block.includes:
                assert (ROOT / path).is_file(), f"{page_id(page)}:{block.line}: no {path}"
                assert (ROOT / path).parent == EXAMPLES, f"{path} is not under examples/"


def run_page(blocks: list[Block]) -> None:
    namespace: dict[str, object] = {"__name__": "__main__"}
    loop = asyncio.new_event_loop()
    try:
        for block in blocks:
            where = f"{page_id(block.page)}:{block.line}"
            code = compile(block.code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            try:
                outcome = eval(code, namespace)
                if asyncio.iscoroutine(outcome):
                    loop.run_until_complete(outcome)
            except Exception as exc:
                raise AssertionError(f"the code block at {where} failed: {exc!r}") from exc
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


@pytest.fixture
def quiet_logging() -> object:
    """Undo what a block does to logging (the errors guide turns on INFO logs)."""
    root = logging.getLogger()
    sdk = logging.getLogger("anthropic_batches")
    handlers, level = list(root.handlers), sdk.level
    yield
    root.handlers[:] = handlers
    sdk.setLevel(level)


@pytest.mark.usefixtures("quiet_logging")
@pytest.mark.parametrize(
    "page", [p for p in PAGES if RUNNABLE[p]], ids=lambda p: page_id(p).replace("/", ".")
)
def test_page_code_runs(
    page: Path, api_env: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run_page(RUNNABLE[page])
    printed = capsys.readouterr().out.splitlines()
    # `print(...)  # text` in a block says what it prints: a whole line, or its start when the
    # text ends with "...".
    for block in RUNNABLE[page]:
        for expected in re.findall(r"print\(.*\)  # (.+)$", block.code, flags=re.MULTILINE):
            if expected.endswith("..."):
                ok = any(line.startswith(expected[:-3]) for line in printed)
            else:
                ok = expected in printed
            assert ok, f"{page_id(page)}:{block.line}: {expected!r} not printed in {printed}"
