"""Reading a requests `.jsonl` file: one API request object per line.

With `_part_files`, where the core reads files (with blocking reads: local ones, or any URL
fsspec knows, streamed in one pass through `_urls`); the checks of each line are I/O-free
(`check_line`). Lines are read lazily, one at a time. Each is checked
once, by the checker `create` uses (valid JSON, an object with `custom_id` and `params`, a
well-formed `custom_id` unique in the file, `params` acceptable under the API version), and
encoded once; every problem is collected with its file, line number and reason. The problems
are raised together once the file has been read, so a user fixes a file in one go, and nothing
is ever submitted from a file that has a bad line. A job made from the reader takes the lines
as checked and encoded here, without checking them again.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ._encoding import encode_json, encoding_problem
from ._exceptions import BatchesError, Problem, list_problems
from ._facts import DEFAULT_API_VERSION, MAX_BATCH_BYTES
from ._lines import LineDecoder, parse_line
from ._split import CheckedRequest
from ._urls import StorageError, local_path, open_input, reason
from ._validation import Checked, RequestChecker, python_version, request_size_problem

__all__ = [
    "FileProblem",
    "RequestsFile",
    "RequestsFileError",
    "check_line",
    "read_requests",
]


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


def _describe(problem: Problem, first: int | None) -> str:
    """A problem found by the checker, worded for a line of a file."""
    code, name, cid = problem.code, problem.field, problem.custom_id
    if code == "missing_field":
        return f"missing field {name!r}"
    if code == "invalid_custom_id":
        return f"custom_id {cid!r} {problem.message}"
    if code == "duplicate_custom_id":
        return f"duplicate custom_id {cid!r} (first used on line {first})"
    if code == "unknown_field":
        return f"unknown field {name!r}; a request has only custom_id and params"
    if code in (
        "invalid_params",
        "missing_param",
        "invalid_param",
        "version_rule",
        "not_json",
        "sdk_only_key",
        "stream",
    ):
        return f"{name}: {problem.message}"
    return problem.message


#: What a file with NUL bytes gets, once, instead of a "not UTF-8 text" line per line.
BINARY = (
    "not a text file (it holds NUL bytes: binary data, or text in UTF-16); "
    "a requests file is UTF-8 JSON Lines"
)


def _binary(f: BinaryIO) -> bool:
    """Whether the file's first 8 KiB hold a NUL byte, the sign of a binary file that grep
    and git use; the file is rewound."""
    head = f.read(8192)
    f.seek(0)
    return b"\x00" in head


def check_line(
    number: int,
    line: bytes,
    checker: RequestChecker,
    max_bytes: int,
    decoder: LineDecoder | None = None,
) -> tuple[Checked | None, bytes | None, list[str]]:
    """Check one line of a requests file (I/O-free).

    Args:
        number: The line's 1-based number (a duplicate names the line of the first use).
        line: The line, without its line end.
        checker: The checker of the whole file, which remembers the `custom_id`s seen.
        max_bytes: The largest batch body; a request that alone is larger is a problem.
        decoder: The file's JSON decoder (one per file, reused line after line).

    Returns:
        What the checker found (`None` when the line is not a JSON object), the request's
        encoded bytes (when it has no problem), and the reasons it cannot be sent.
    """
    decoder = decoder or LineDecoder()
    data, reason = parse_line(line, decoder)
    if data is None:
        return None, None, [reason or "not a request"]
    checked = checker.check(number, data)
    reasons = [_describe(p, checked.first) for p in checked.problems]
    if reasons or checked.request is None:
        return checked, None, reasons
    try:
        encoded = encode_json(checked.request, plain=not decoder.floats)
    except (TypeError, ValueError):
        found = encoding_problem(number, checked.request)
        return checked, None, [_describe(found, None)] if found else ["cannot be sent as JSON"]
    too_large = request_size_problem(number, checked.custom_id, len(encoded), max_bytes)
    if too_large is not None:
        return checked, None, [too_large.message]
    return checked, encoded, []


class RequestsFile(Iterator[dict[str, Any]]):
    """A requests file being read, one request dict at a time; see `read_requests`.

    Iterate it for the requests as dicts; a job made from it takes them as already checked
    and encoded (`checked()`), without checking them again. It can be read once.
    """

    def __init__(
        self,
        path: str,
        api_version: str,
        max_bytes: int,
        on_lines: Callable[[int], object] | None = None,
        *,
        spell_version: Callable[[str], str] = python_version,
    ) -> None:
        self.path = path
        self.api_version = api_version
        self.spell_version = spell_version
        self.max_bytes = max_bytes
        self.on_lines = on_lines
        self._lines: Iterator[tuple[dict[str, Any], CheckedRequest]] | None = None
        self._jobs_only = False

    def __repr__(self) -> str:
        return f"<RequestsFile {self.path!r}>"

    def __next__(self) -> dict[str, Any]:
        if self._lines is None:
            self._lines = self._read()
        request, _ = next(self._lines)
        return request

    def checked(self) -> Iterator[CheckedRequest]:
        """The requests, checked and encoded, in file order.

        Raises:
            RequestsFileError: Once the file is read through, if it had bad lines.
        """
        if self._lines is None:
            self._jobs_only = True
            self._lines = self._read()
        return (item for _, item in self._lines)

    def _read(self) -> Iterator[tuple[dict[str, Any], CheckedRequest]]:
        name = self.path
        problems: list[FileProblem] = []
        checker = RequestChecker(self.api_version, spell_version=self.spell_version)
        decoder = LineDecoder()
        f = _open(name)
        position = offset = 0
        on_lines, every = self.on_lines, _REPORT_EVERY
        number = 0
        try:
            if _binary(f):
                problem = FileProblem(name, None, BINARY)
                raise RequestsFileError(name, [problem])
            for number, raw in enumerate(f, start=1):
                start, offset = offset, offset + len(raw)
                if on_lines is not None and number % every == 0:
                    on_lines(number)
                line = raw.rstrip(b"\r\n")
                if not line or line.isspace():
                    continue
                checked, encoded, reasons = check_line(
                    number, line, checker, self.max_bytes, decoder
                )
                if reasons:
                    problems.extend(FileProblem(name, number, r) for r in reasons)
                    continue
                if checked is None or encoded is None or (problems and self._jobs_only):
                    # A job made from a file with a bad line is refused whole: keep checking,
                    # but build none of it.
                    continue
                assert checked.custom_id is not None and isinstance(checked.request, dict)
                # A line written compactly is its request's bytes: sent again as it is.
                verbatim = (
                    len(raw) == len(encoded) + 1 and raw[-1] == 10 and raw.startswith(encoded)
                )
                item = CheckedRequest(
                    position, checked.custom_id, encoded, number, start, offset, verbatim
                )
                yield checked.request, item
                position += 1
        except (RequestsFileError, GeneratorExit):
            raise
        except Exception as exc:
            if local_path(name) is not None:
                raise
            # A read of a URL that failed midway (a dropped connection, an expired token).
            raise _unreadable(name, exc) from None
        finally:
            f.close()
        if on_lines is not None:
            on_lines(number)
        if checker.count == 0 and not problems:
            problems.append(FileProblem(name, None, "no requests: the file is empty"))
        if problems:
            raise RequestsFileError(name, problems)


def _unreadable(name: str, exc: BaseException) -> RequestsFileError:
    return RequestsFileError(name, [FileProblem(name, None, f"cannot read: {reason(exc)}")])


#: How much of a URL is read at a time: lines are split from a buffer this size.
_URL_BUFFER = 1 << 20


def _open(name: str) -> BinaryIO:
    """The requests file opened for reading: a local path (or `file://` URL), or any URL
    fsspec knows, streamed through a buffer.

    Raises:
        RequestsFileError: It cannot be opened (one line saying why and what to do).
    """
    path = local_path(name)
    if path is None:
        try:
            return io.BufferedReader(open_input(name), _URL_BUFFER)  # type: ignore[type-var]
        except StorageError as exc:
            raise _unreadable(name, exc) from None
    try:
        return open(path, "rb")
    except OSError as exc:
        why = exc.strerror or str(exc)
        problem = FileProblem(name, None, f"cannot read: {why}")
        raise RequestsFileError(name, [problem]) from None


def read_requests(
    path: str | os.PathLike[str],
    *,
    api_version: str = DEFAULT_API_VERSION,
    max_bytes: int = MAX_BATCH_BYTES,
    on_lines: Callable[[int], object] | None = None,
) -> RequestsFile:
    """Read a requests file lazily, one request dict per non-blank line.

    The good requests are handed out as they are read; if any line had a problem,
    `RequestsFileError` is raised at the end listing all of them. Give the reader straight
    to `split_requests` or to a job, which consume it whole before sending anything (and take
    its requests as checked here, without checking them again).

    Args:
        path: The `.jsonl` file: one `{"custom_id": ..., "params": {...}}` object per line;
            blank lines are skipped, CRLF line ends are fine. A URL (`s3://bucket/key`,
            `gs://...`, `file://...`) is read through fsspec (the `objects` extra, `s3` for
            `s3://`), with the credentials its package finds in the environment; each part
            is later read back with one ranged read of its bytes.
        api_version: The API version whose rules `params` are checked by.
        max_bytes: The largest batch body; a single request bigger than that is a problem.
        on_lines: Called with the number of lines read so far, every 100,000 lines and once
            the file is read through (progress for large files).

    Raises:
        RequestsFileError: The file cannot be read, or has bad lines (file, line, reason).
    """
    return RequestsFile(os.fspath(path), api_version, max_bytes, on_lines)


#: How often `on_lines` is called, in lines.
_REPORT_EVERY = 100_000
