"""Shared constants and helpers of the emulator's tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

KEY = "key-a"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2026-10-21"}
BASE = "http://emulator.test"
BATCHES = "/v1/messages/batches"

Body = Callable[..., dict[str, Any]]


def make_body(n: int = 2, prefix: str = "req", **params: Any) -> dict[str, Any]:
    """A create body of `n` requests `prefix-0`, `prefix-1`, ... sharing the same params."""
    base: dict[str, Any] = {
        "model": "claude-opus-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hello, world"}],
    }
    base.update(params)
    return {"requests": [{"custom_id": f"{prefix}-{i}", "params": base} for i in range(n)]}


def results_of_text(text: str) -> dict[str, Any]:
    """The results of a JSONL body, by custom_id."""
    out = {}
    for line in text.splitlines():
        data = json.loads(line)
        out[data["custom_id"]] = data["result"]
    return out


def results_of(response: httpx.Response) -> dict[str, Any]:
    """The results of a complete results answer, by custom_id."""
    assert response.status_code == 200, response.text
    assert response.text.endswith("\n")
    return results_of_text(response.text)
