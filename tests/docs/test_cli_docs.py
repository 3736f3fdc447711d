"""The command lines shown in the docs name commands and options that exist."""

from __future__ import annotations

import shlex

import pytest
from docs.support import DOCS, ROOT
from docs.test_doc_blocks import blocks_of

from anthropic_batches.cli import main

PAGES = [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


def documented_commands() -> list[tuple[str, list[str]]]:
    """Each documented `anthropic-batches COMMAND ...` line: the command and its options."""
    found = []
    for page in PAGES:
        for block in blocks_of(page):
            if block.language not in ("bash", "sh", "console"):
                continue
            for line in block.code.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0].rpartition("/")[2] == "anthropic-batches":
                    args = words[1:]
                    command = next(a for a in args if not a.startswith("-"))
                    found.append((command, [a.split("=")[0] for a in args if a[:2] == "--"]))
    return found


def help_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code in (0, None)
    return capsys.readouterr().out


def test_documented_commands_and_options_exist(capsys: pytest.CaptureFixture[str]) -> None:
    commands = documented_commands()
    assert {c for c, _ in commands} >= {"run", "demo", "submit", "results", "emulator"}
    global_help = help_of([], capsys)
    for command, options in commands:
        text = help_of([command], capsys) + global_help
        for option in options:
            assert option in text, f"anthropic-batches {command} has no {option}"
