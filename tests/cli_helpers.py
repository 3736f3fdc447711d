"""Helpers for the command-line tests (no I/O here but writing a requests file)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY = "sk-ant-cli-test"


@dataclass
class Ran:
    """What a command did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


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
