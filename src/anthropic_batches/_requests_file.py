"""Reading a requests `.jsonl` file: one API request object per line (I/O-free but for the file).

Lines are read lazily, one at a time. Each is checked as `create` would check it (valid JSON,
an object with `custom_id` and `params`, a well-formed `custom_id` unique in the file, `params`
acceptable under the API version), and every problem is collected with its file, line number
and reason. The problems are raised together once the file has been read, so a user fixes a
file in one go, and nothing is ever submitted from a file that has a bad line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._exceptions import BatchesError, Problem, list_problems
from ._shared import DEFAULT_API_VERSION
from ._validation import MAX_BATCH_BYTES, custom_id_problem, serialize_request

__all__ = ["FileProblem", "RequestsFileError", "read_requests"]


@dataclass(frozen=True)
class FileProblem:
    """One problem in a requests file.

    Attributes:
        path: The file.
        line: The 1-based line number, or `None` for the file as a whole.
        message: What is wrong.
    """

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class RequestsFileError(BatchesError, ValueError):
    """A requests file that cannot be submitted; nothing was sent.

    Attributes:
        path: The file.
        problems: Every problem found, in line order.
    """

    #: How many problems the message spells out; all stay in `problems`.
    SHOWN = 20

    def __init__(self, path: str, problems: list[FileProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(
            list_problems(self.problems, f"in {path}; nothing was submitted", self.SHOWN)
        )


def _describe(problem: Problem) -> str:
    name = problem.field
    if problem.message == "Field required" and name in ("custom_id", "params"):
        return f"missing field {name!r}"
    if name == "custom_id":
        return f"custom_id {problem.custom_id!r} {problem.message}"
    if name is None:
        return problem.message
    if problem.message.startswith("unknown field"):
        return f"unknown field {name!r}; a request has only custom_id and params"
    return f"{name}: {problem.message}" if name == "params" else problem.message


def read_requests(
    path: str | os.PathLike[str],
    *,
    api_version: str = DEFAULT_API_VERSION,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[dict[str, Any]]:
    """Read a requests file lazily, one request dict per non-blank line.

    The good requests are yielded as they are read; if any line had a problem,
    `RequestsFileError` is raised at the end listing all of them. Give the iterator straight
    to `split_requests` or to a job, which consume it whole before sending anything.

    Args:
        path: The `.jsonl` file: one `{"custom_id": ..., "params": {...}}` object per line;
            blank lines are skipped, CRLF line ends are fine.
        api_version: The API version whose rules `params` are checked by.
        max_bytes: The largest batch body; a single request bigger than that is a problem.

    Raises:
        RequestsFileError: The file cannot be read, or has bad lines (file, line, reason).
    """
    name = os.fspath(path)
    problems: list[FileProblem] = []
    seen: dict[str, int] = {}
    count = 0
    try:
        f = open(name, "rb")  # noqa: SIM115 - closed in the finally below, across yields
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RequestsFileError(name, [FileProblem(name, None, f"cannot read: {reason}")]) from None
    try:
        for number, raw in enumerate(f, start=1):
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            count += 1
            request, reasons = _check_line(line, api_version, max_bytes)
            cid = request.get("custom_id") if request is not None else None
            if isinstance(cid, str) and custom_id_problem(cid) is None:
                first = seen.setdefault(cid, number)
                if first != number:
                    reasons.append(f"duplicate custom_id {cid!r} (first used on line {first})")
            problems.extend(FileProblem(name, number, r) for r in reasons)
            if request is not None and not reasons:
                yield request
    finally:
        f.close()
    if count == 0:
        problems.append(FileProblem(name, None, "no requests: the file is empty"))
    if problems:
        raise RequestsFileError(name, problems)


def _check_line(
    line: bytes, api_version: str, max_bytes: int
) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [f"not UTF-8 text (byte {exc.start + 1})"]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"invalid JSON: {exc.msg} (column {exc.colno})"]
    except RecursionError:
        return None, ["invalid JSON: nested too deeply"]
    except ValueError:  # a number too long to convert (sys.get_int_max_str_digits)
        return None, ["invalid JSON: a number has too many digits"]
    if not isinstance(data, dict):
        names: dict[type, str] = {list: "a list", str: "a string", type(None): "null"}
        kind = names.get(type(data), type(data).__name__)
        return None, [f"expected a JSON object with custom_id and params, found {kind}"]
    _, encoded, found = serialize_request(0, data, api_version)
    reasons = [_describe(p) for p in found]
    if encoded is not None and len(encoded) + 15 > max_bytes:
        reasons.append(
            f"the request is {len(encoded):,} bytes; a batch holds at most {max_bytes:,}"
        )
    return data, reasons
