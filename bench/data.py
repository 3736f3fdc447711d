"""Deterministic test data: results files and create payloads.

The same seed gives the same bytes on every machine, so every client reads the same file and
every run of the suite measures the same work. Files are cached under `bench/data/`.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

__all__ = ["DATA_DIR", "SEED", "create_requests", "expected_summary", "results_file"]

SEED = 20261021
DATA_DIR = Path(__file__).resolve().parent / "data"
#: Bump when the generator changes, so cached files are made again.
_FORMAT = 3

_WORDS = [
    "the",
    "batch",
    "result",
    "model",
    "token",
    "stream",
    "request",
    "answer",
    "assistant",
    "message",
    "line",
    "value",
    "a",
    "of",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "data",
    "file",
    "memory",
    "python",
    "async",
    "loop",
    "server",
    "client",
    "to",
    "and",
    "is",
    "in",
    "it",
    "that",
    "for",
    "with",
    "as",
    "on",
    "be",
    "at",
    "by",
    "this",
    "from",
    "or",
    "an",
    "are",
    "not",
    "have",
    "was",
    "which",
    "42",
    "3.14",
    "1e9",
    "{braces}",
    "[brackets]",
    "<tags>",
    "&",
    "(parens)",
    "`code`,",
    "done.",
    "Yes:",
    "here;",
    "-",
]
#: Escapes and non-ASCII text, drawn for about one word in forty, as in real answers.
_RARE = [
    "résumé",
    "naïve",
    "café",
    "déjà-vu",
    "über",
    "straße",
    "東京",
    "数据",
    "🙂",
    "🚀",
    '"quoted"',
    "back\\slash",
    "tab\there",
    "new\n\nparagraph",
]
_MODELS = ("claude-opus-5", "claude-sonnet-5", "claude-haiku-4-5")
_STOPS = ("end_turn", "end_turn", "end_turn", "max_tokens", "stop_sequence")
_ERRORS = (
    ("invalid_request_error", "max_tokens: must be at least 1"),
    ("overloaded_error", "Overloaded"),
    ("api_error", "Internal server error"),
)


def _text(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    words = rng.choices(_WORDS, k=target // 4 + 1)
    for i in range(0, len(words), 40):
        words[i] = rng.choice(_RARE)
    return " ".join(words)[:target]


def _id(rng: random.Random, prefix: str) -> str:
    return prefix + "01" + rng.randbytes(12).hex()


def _result_line(rng: random.Random, index: int) -> dict[str, Any]:
    custom_id = f"req-{index:07d}"
    draw = rng.random()
    if draw < 0.96:
        content: list[dict[str, Any]] = [{"type": "text", "text": _text(rng, 200, 4000)}]
        stop = rng.choice(_STOPS)
        if rng.random() < 0.1:
            content.append(
                {
                    "type": "tool_use",
                    "id": _id(rng, "toolu_"),
                    "name": "get_weather",
                    "input": {"city": rng.choice(("Paris", "Tokyo", "Lima")), "days": 3},
                }
            )
            stop = "tool_use"
        usage: dict[str, Any] = {
            "input_tokens": rng.randint(10, 4000),
            "output_tokens": rng.randint(50, 1200),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": rng.choice((0, 0, 1024)),
            "service_tier": "batch",
        }
        result: dict[str, Any] = {
            "type": "succeeded",
            "message": {
                "id": _id(rng, "msg_"),
                "type": "message",
                "role": "assistant",
                "model": rng.choice(_MODELS),
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            },
        }
    elif draw < 0.98:
        kind, message = rng.choice(_ERRORS)
        result = {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {"type": kind, "message": message},
                "request_id": _id(rng, "req_"),
            },
        }
    elif draw < 0.99:
        result = {"type": "expired"}
    else:
        result = {"type": "canceled"}
    return {"custom_id": custom_id, "result": result}


def results_file(count: int, *, seed: int = SEED, directory: Path = DATA_DIR) -> Path:
    """The path of a results `.jsonl` file of `count` results, made if not cached."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"results-{count}-{seed}-v{_FORMAT}.jsonl"
    if path.exists():
        return path
    rng = random.Random(f"results:{seed}")
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        lines: list[bytes] = []
        for index in range(count):
            line = _result_line(rng, index)
            lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
            if len(lines) >= 1000:
                out.write(b"\n".join(lines) + b"\n")
                lines.clear()
        if lines:
            out.write(b"\n".join(lines) + b"\n")
    tmp.replace(path)
    return path


def expected_summary(path: Path) -> dict[str, Any]:
    """What every client must report for a results file: counts by type, output tokens."""
    counts: dict[str, int] = {}
    tokens = 0
    with path.open("rb") as f:
        for raw in f:
            line = json.loads(raw)
            kind = line["result"]["type"]
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "succeeded":
                tokens += line["result"]["message"]["usage"]["output_tokens"]
    return {"counts": dict(sorted(counts.items())), "output_tokens": tokens}


def create_requests(count: int, *, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` create requests as plain dicts, the form most users hold them in.

    Prompts are 100 to 1,500 characters, with a system prompt on some, so 100,000 requests
    make a body of about 100 MB (under the API's 256 MB).
    """
    rng = random.Random(f"create:{seed}")
    requests = []
    for index in range(count):
        params: dict[str, Any] = {
            "model": rng.choice(_MODELS),
            "max_tokens": rng.choice((256, 1024, 4096)),
            "messages": [{"role": "user", "content": _text(rng, 100, 1500)}],
        }
        if rng.random() < 0.3:
            params["system"] = _text(rng, 50, 300)
        if rng.random() < 0.2:
            params["metadata"] = {"user_id": f"user-{rng.randint(1, 999)}"}
        requests.append({"custom_id": f"req-{index:07d}", "params": params})
    return requests


def digest(path: Path) -> str:
    """A short sha256 of a file, to show in reports which bytes were read."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]
