"""The results download: JSONL streamed one stored chunk at a time.

The emulator does not honour `Range`: every download is a full 200 answer (the SDK handles
servers that do and servers that do not). With `drop_results_after`, the first download of a
batch stops after that many lines without finishing the body, so the server closes the
connection mid-body and the client sees a dropped connection, as with a real network failure.
"""

from __future__ import annotations

import zlib

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["ResultsResponse"]

MEDIA_TYPE = "application/x-jsonl"


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
