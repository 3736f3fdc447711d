"""Helpers of the fleet tests: a requests file, and what an output folder holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["S3", "output_ids", "write_requests"]


def write_requests(path: Path, count: int) -> Path:
    """A requests file of `count` small requests, `r000`, `r001`, ..."""
    with path.open("w") as f:
        for i in range(count):
            params = {
                "model": "claude-sonnet-4-5",
                "max_tokens": 16,
                "messages": [{"role": "user", "content": f"say {i}"}],
            }
            f.write(json.dumps({"custom_id": f"r{i:03d}", "params": params}) + "\n")
    return path


def output_ids(folder: Path) -> list[str]:
    """Every `custom_id` in the output's part objects (duplicates kept)."""
    ids = []
    for part in sorted(folder.glob("part-*.jsonl")):
        ids += [json.loads(line)["custom_id"] for line in part.read_text().splitlines()]
    return ids


@dataclass(frozen=True)
class S3:
    """moto's S3 on loopback: a filesystem on it for the test, a fresh bucket, and the
    environment that points a worker process at it (the test process's is left alone)."""

    fs: Any
    bucket: str
    env: dict[str, str]
