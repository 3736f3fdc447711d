"""A batch's results: packed into compressed chunks when it ends, streamed when downloaded.

Result lines are kept zlib-compressed in chunks of `LINES_PER_CHUNK` lines, so a
100,000-request batch costs a few megabytes, and a download decompresses one chunk at a time.

The emulator does not honour `Range`: every download is a full 200 answer (the SDK handles
servers that do and servers that do not). With `drop_results_after`, the first download of a
batch stops after that many lines without finishing the body, so the server closes the
connection mid-body and the client sees a dropped connection, as with a real network failure.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .._facts import RESULT_TYPES

__all__ = ["LINES_PER_CHUNK", "ResultsResponse", "pack_results"]

MEDIA_TYPE = "application/x-jsonl"
LINES_PER_CHUNK = 100

_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_SAFE_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def _encode_line(line: dict[str, Any]) -> bytes:
    try:
        return _LINE_ENCODER.encode(line).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the request: keep it escaped
        return _SAFE_ENCODER.encode(line).encode("ascii")


def pack_results(
    results: Iterable[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, int], list[bytes]]:
    """The count of each result type, and the result lines in compressed chunks.

    Args:
        results: `(custom_id, result object)` pairs, in the order they are to be downloaded.
    """
    counts: Counter[str] = Counter()
    chunks: list[bytes] = []
    lines: list[bytes] = []
    for custom_id, result in results:
        counts[result["type"]] += 1
        lines.append(_encode_line({"custom_id": custom_id, "result": result}))
        if len(lines) == LINES_PER_CHUNK:
            chunks.append(zlib.compress(b"\n".join(lines) + b"\n", 6))
            lines.clear()
    if lines:
        chunks.append(zlib.compress(b"\n".join(lines) + b"\n", 6))
    return {kind: counts[kind] for kind in RESULT_TYPES}, chunks


class ResultsResponse(Response):
    """A streamed JSONL answer built from zlib-compressed chunks of lines."""

    def __init__(self, chunks: list[bytes], *, drop_after: int | None = None) -> None:
        super().__init__(status_code=200, media_type=MEDIA_TYPE)
        self.chunks = chunks
        self.drop_after = drop_after
        # No content-length: the body is streamed (chunked transfer encoding).
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        left = self.drop_after
        for chunk in self.chunks:
            body = zlib.decompress(chunk)
            if left is not None:
                lines = body.splitlines(keepends=True)
                if len(lines) >= left:
                    partial = b"".join(lines[:left])
                    if partial:
                        await send(
                            {"type": "http.response.body", "body": partial, "more_body": True}
                        )
                    return  # body left unfinished on purpose: the connection is cut here
                left -= len(lines)
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
