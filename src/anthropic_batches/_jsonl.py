"""An I/O-free, incremental decoder of the results `.jsonl` stream.

Feed it bytes as they arrive; it hands back complete, non-blank lines with their 1-based line
numbers. It splits on `\\n` only and strips one `\\r` before it, so a CRLF split across two
chunks is read right, raw U+2028 inside a JSON string is left alone, and a multi-byte UTF-8
character split across chunks is never decoded half-way (lines stay bytes until parsed).
`offset` counts the bytes of the complete lines handed out, which is where a resumed download
(`Range: bytes=offset-`) picks up.
"""

from __future__ import annotations

from pydantic import ValidationError

from ._exceptions import ResultsDecodeError
from ._models import BatchResult

__all__ = ["LineDecoder", "parse_result"]


class LineDecoder:
    """Splits a byte stream into lines, keeping line numbers and the byte offset.

    Args:
        line_number: The number of lines already consumed before the first byte fed.
        offset: The number of bytes already consumed before the first byte fed.
    """

    __slots__ = ("_buffer", "line_number", "offset")

    def __init__(self, *, line_number: int = 0, offset: int = 0) -> None:
        self._buffer = b""
        self.line_number = line_number
        self.offset = offset

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Take the next chunk; return the complete non-blank lines it finishes."""
        if not data:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            self._buffer += data
            return []
        block = self._buffer + data[: end + 1] if self._buffer else data[: end + 1]
        self._buffer = data[end + 1 :]
        self.offset += len(block)
        return self._split(block[:-1].split(b"\n"))

    def flush(self) -> list[tuple[int, bytes]]:
        """The stream has ended: return the last line if it had no newline."""
        rest, self._buffer = self._buffer, b""
        if not rest:
            return []
        self.offset += len(rest)
        return self._split([rest])

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the end of their line."""
        return len(self._buffer)

    def _split(self, raw_lines: list[bytes]) -> list[tuple[int, bytes]]:
        start = self.line_number + 1
        self.line_number += len(raw_lines)
        if any(line.endswith(b"\r") for line in raw_lines):
            raw_lines = [line[:-1] if line.endswith(b"\r") else line for line in raw_lines]
        # One comprehension, not a loop of appends: this runs for every line of every download.
        return [
            (number, line)
            for number, line in enumerate(raw_lines, start)
            if line and not line.isspace()
        ]


_validate_json = BatchResult.model_validate_json
# `_raw` is a plain slot; setting it directly skips pydantic's `__setattr__` dispatch.
_set_raw = object.__setattr__


def parse_result(line_number: int, line: bytes) -> BatchResult:
    """Validate one results line into a `BatchResult`.

    Raises:
        ResultsDecodeError: The line is not valid JSON, or not a result; it carries the line
            number.
    """
    try:
        result = _validate_json(line)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"].startswith("json_"):
            reason = f"not valid JSON ({first['msg']})"
        else:
            # Leave out the union branch labels pydantic puts in the path
            # ("tagged-union[...]", "function-after[...]"): they name no field.
            where = ".".join(str(p) for p in first["loc"] if "[" not in str(p)) or "line"
            reason = f"not a batch result: {where}: {first['msg']}"
        raise ResultsDecodeError(line_number, line, reason) from None
    _set_raw(result, "_raw", line)
    return result
