"""Helpers for the command-line tests: running the command in-process, writing a requests file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from anthropic_batches.cli import main

KEY = "sk-ant-cli-test"


@dataclass
class Ran:
    """What a command did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


def run_main(argv: list[str], capture: pytest.CaptureFixture[bytes]) -> Ran:
    """Run the command in-process with `argv`; its exit code and what it printed."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capture.readouterr()
    code = info.value.code
    return Ran(code if isinstance(code, int) else 1, captured.out.decode(), captured.err.decode())


def request(cid: str, text: str = "hello", **params: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
    }
    p.update(params)
    return {"custom_id": cid, "params": p}


def write_requests(path: Path, requests: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    return path
