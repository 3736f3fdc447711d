"""Decoding one line of a requests file: UTF-8 text holding one JSON object.

Shared by the reader of a whole file (`_requests_file`) and the reader of one part's byte
range (`_part_files`), so both word a bad line the same way.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["LineDecoder", "parse_line"]


class LineDecoder(json.JSONDecoder):
    """`json`'s decoder, noting whether the text held a float or a constant (`NaN`, ...):
    data without them is plain JSON data, which needs no walk before it is encoded."""

    def __init__(self) -> None:
        self.floats = False
        super().__init__(parse_float=self._float, parse_constant=self._constant)

    def _float(self, text: str) -> float:
        self.floats = True
        return float(text)

    def _constant(self, name: str) -> float:
        self.floats = True
        return float(name)


def parse_line(line: bytes, decoder: LineDecoder) -> tuple[dict[str, Any] | None, str | None]:
    """The line's JSON object, or `None` and why it is not one (in a few words)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start + 1})"
    decoder.floats = False
    try:
        data = decoder.decode(text)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError:  # a number too long to convert (sys.get_int_max_str_digits)
        return None, "invalid JSON: a number has too many digits"
    if not isinstance(data, dict):
        names: dict[type, str] = {list: "a list", str: "a string", type(None): "null"}
        kind = names.get(type(data), type(data).__name__)
        return None, f"expected a JSON object with custom_id and params, found {kind}"
    return data, None
