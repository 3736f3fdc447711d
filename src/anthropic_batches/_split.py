"""Splitting a job's requests into as few batches as the limits allow.

A batch holds at most 100,000 requests and 256 MB of request body (`_facts`); a job of any
size is cut into parts that each fit, by count and by encoded size, keeping the input order.
Every request is checked once, by the checker `create` uses, with `custom_id` unique across
the whole job (results are matched to inputs by it alone), and encoded once to size it. A
job with any bad request is refused whole, with one `BatchValidationError` listing every
problem.

A part holds no request: it is a byte range of a file (the requests file itself, or a spool
file the requests of any other iterable were written to as they were checked), with its
counts, first and last `custom_id` and a digest. Its create body is read back from that range
when it is submitted, and refused if the bytes no longer match the digest. So a job's memory
does not grow with its size: one part at a time is ever read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ._encoding import encode_json, encoding_problem
from ._exceptions import BatchValidationError, Problem
from ._facts import BODY_FRAME_BYTES, DEFAULT_API_VERSION, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from ._models import BatchRequest
from ._validation import (
    RequestChecker,
    no_requests_problem,
    not_iterable_problem,
    request_size_problem,
)

if TYPE_CHECKING:
    from ._encoding import EncodedRequests

__all__ = [
    "CheckedSource",
    "JobPart",
    "PartSource",
    "RequestLike",
    "job_digest",
    "split_requests",
]

RequestLike = BatchRequest | Mapping[str, Any]
"""A request as `create` takes it: a `BatchRequest` or a dict with `custom_id` and `params`."""


class PartSource:
    """The file a job's parts are byte ranges of.

    Args:
        path: The file.
        temporary: Remove the file once no part refers to it any more.
    """

    def __init__(self, path: str, *, temporary: bool = False) -> None:
        self.path = path
        self.temporary = temporary
        if temporary:
            weakref.finalize(self, _remove, path)

    def __repr__(self) -> str:
        return f"<PartSource {self.path!r}>"


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@dataclass(frozen=True)
class JobPart:
    """One batch's worth of a job's requests: a byte range of a file, checked and sized.

    Attributes:
        index: The part's position in the job (0-based).
        start: The input position of the part's first request (0-based).
        count: How many requests it holds.
        size: The size in bytes of the part's create body.
        digest: A SHA-256 of the part's encoded requests: the same inputs give the same digest.
        first_custom_id: The `custom_id` of its first request.
        last_custom_id: The `custom_id` of its last request.
        source: The file the part is read from.
        offset: Where its first line starts in that file (bytes).
        end: Where its last line ends (bytes, line end included).
        first_line: The 1-based number of its first line in the file.
        last_line: The number of its last line.
        verbatim: Whether its lines are exactly the encoded requests, one per line (a spool
            file, or a requests file written compactly): its body needs no encoding again.
    """

    index: int
    start: int
    count: int
    size: int
    digest: str
    first_custom_id: str
    last_custom_id: str
    source: PartSource = field(repr=False, compare=False)
    offset: int
    end: int
    first_line: int
    last_line: int
    verbatim: bool = field(repr=False)

    @property
    def stop(self) -> int:
        """The input position just after the part's last request."""
        return self.start + self.count

    def __len__(self) -> int:
        return self.count

    def body(self) -> EncodedRequests:
        """The part's create body, read back from its byte range (blocking reads).

        Raises:
            RequestsFileError: The file changed since the job was split (its lines no longer
                match the part's digest), or cannot be read. Nothing of the part was sent.
        """
        from ._part_files import part_body

        return part_body(self)

    def read_encoded(self) -> list[bytes]:
        """The part's requests as the compact JSON they are sent as, in input order."""
        from ._part_files import part_encoded

        return part_encoded(self)

    def read_requests(self) -> list[dict[str, Any]]:
        """The part's requests, read back from its byte range (dicts, in input order)."""
        from ._part_files import part_requests

        return part_requests(self)

    def read_custom_ids(self) -> list[str]:
        """The `custom_id`s of the part's requests, in input order (the requests themselves
        are not decoded)."""
        from ._part_files import part_custom_ids

        return part_custom_ids(self)

    def read_matching(self, custom_ids: Collection[str]) -> Iterator[dict[str, Any]]:
        """The part's requests whose `custom_id` is one of `custom_ids`, in input order
        (only those are decoded)."""
        from ._part_files import part_matching

        return part_matching(self, custom_ids)


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """A request that passed the checks: its position, `custom_id`, encoded bytes, and where
    its line is in its file (for a request read from one)."""

    position: int
    custom_id: str
    encoded: bytes
    line: int = 0
    offset: int = 0
    end: int = 0
    verbatim: bool = False


class CheckedSource(Protocol):
    """Requests already checked and encoded by their reader (e.g. a requests file), which the
    splitter takes without checking them again. The reader raises, once read through, if any
    request had a problem."""

    path: str

    def checked(self) -> Iterator[CheckedRequest]:
        """The requests, checked and encoded, in input order, with their lines' places."""
        ...


def check_and_encode(
    requests: Iterable[object], api_version: str, max_bytes: int
) -> Iterator[CheckedRequest]:
    """Check and encode every request once; raise every problem together at the end.

    Raises:
        BatchValidationError: Some requests are not acceptable (or there are none).
    """
    problem = not_iterable_problem(requests)
    if problem is not None:
        raise BatchValidationError([problem])
    checker = RequestChecker(api_version)
    problems: list[Problem] = []
    for index, request in enumerate(requests):
        checked = checker.check(index, request)
        problems.extend(checked.problems)
        if checked.problems or checked.request is None or checked.custom_id is None:
            continue
        try:
            encoded = encode_json(checked.request)
        except (TypeError, ValueError):
            found = encoding_problem(index, checked.request)
            assert found is not None
            problems.append(found)
            continue
        too_large = request_size_problem(index, checked.custom_id, len(encoded), max_bytes)
        if too_large is not None:
            problems.append(too_large)
        elif not problems:  # keep checking, but stop yielding: the job will be refused
            yield CheckedRequest(index, checked.custom_id, encoded)
    if checker.count == 0:
        problems.append(no_requests_problem("job"))
    if problems:
        raise BatchValidationError(problems)


def _spooled(items: Iterator[CheckedRequest], spool: Any) -> Iterator[CheckedRequest]:
    """Write each request's encoded bytes to the spool, one per line, noting where."""
    offset = 0
    for number, item in enumerate(items, start=1):
        spool.write(item.encoded + b"\n")
        end = offset + len(item.encoded) + 1
        yield CheckedRequest(item.position, item.custom_id, item.encoded, number, offset, end, True)
        offset = end


class _PartBuilder:
    __slots__ = (
        "count",
        "end",
        "first",
        "first_line",
        "hash",
        "last",
        "last_line",
        "offset",
        "size",
        "start",
        "verbatim",
    )

    def __init__(self, start: int, item: CheckedRequest) -> None:
        self.start = start
        self.count = 0
        self.size = BODY_FRAME_BYTES - 1
        self.hash = hashlib.sha256()
        self.first = item.custom_id
        self.offset, self.end = item.offset, item.offset
        self.first_line = item.line
        self.verbatim = True

    def fits(self, encoded: bytes, max_requests: int, max_bytes: int) -> bool:
        return self.count < max_requests and self.size + 1 + len(encoded) <= max_bytes

    def add(self, item: CheckedRequest) -> None:
        encoded = item.encoded
        self.size += len(encoded) + 1  # a comma before every request but the first
        self.count += 1
        self.hash.update(encoded)
        self.hash.update(b"\n")
        # Verbatim: every line is its request's bytes, and no blank line comes between.
        self.verbatim = self.verbatim and item.verbatim and item.offset == self.end
        self.last, self.end, self.last_line = item.custom_id, item.end, item.line

    def build(self, index: int, source: PartSource) -> JobPart:
        return JobPart(
            index=index,
            start=self.start,
            count=self.count,
            size=self.size,
            digest=self.hash.hexdigest(),
            first_custom_id=self.first,
            last_custom_id=self.last,
            source=source,
            offset=self.offset,
            end=self.end,
            first_line=self.first_line,
            last_line=self.last_line,
            verbatim=self.verbatim,
        )


def _plan(
    items: Iterator[CheckedRequest], source: PartSource, max_requests: int, max_bytes: int
) -> list[JobPart]:
    parts: list[JobPart] = []
    builder: _PartBuilder | None = None
    for index, item in enumerate(items):
        if builder is None:
            builder = _PartBuilder(index, item)
        elif (
            builder.count >= max_requests or builder.size + 1 + len(item.encoded) > max_bytes
        ):  # `_PartBuilder.fits`, written out: this runs once per request
            parts.append(builder.build(len(parts), source))
            builder = _PartBuilder(index, item)
        builder.add(item)
    if builder is None:  # a checked source with no request (its reader says so first)
        raise BatchValidationError([no_requests_problem("job")])
    parts.append(builder.build(len(parts), source))
    return parts


def split_requests(
    requests: Iterable[RequestLike] | CheckedSource,
    *,
    api_version: str = DEFAULT_API_VERSION,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
    spool: str | os.PathLike[str] | None = None,
) -> list[JobPart]:
    """Check a job's requests and cut them into parts that each fit in one batch.

    Parts are filled in input order, each up to `max_requests` requests and `max_bytes` of
    create body, so the job needs as few batches as the limits allow. The requests are read
    once and never held: each part is a byte range of a file (see `JobPart`).

    Args:
        requests: `BatchRequest` models or dicts `{"custom_id": ..., "params": {...}}`; any
            iterable, read once, and written as it is checked to the `spool` file. A requests
            file from `read_requests` was checked as it was read, is not checked again, and
            is itself the file the parts are ranges of.
        api_version: The API version whose rules the requests are checked by (the client's).
        max_requests: The most requests one batch may hold (the API's limit: 100,000).
        max_bytes: The largest create body of one batch (the API's limit: 256 MB).
        spool: Where an iterable's requests are written (replaced once all are checked);
            `None` writes them to a temporary file, removed once the parts are gone.

    Returns:
        The parts, in input order; together they hold every request once.

    Raises:
        BatchValidationError: Some requests are not acceptable (or there are none); it lists
            every offending request and why. Nothing was sent.
        RequestsFileError: The requests file has bad lines. Nothing was sent.
        OSError: The spool file cannot be written.
        ValueError: `max_requests` or `max_bytes` is not positive.
    """
    if max_requests < 1 or max_bytes < 1:
        raise ValueError("max_requests and max_bytes must be positive")
    checked_source = getattr(requests, "checked", None)
    if callable(checked_source):
        source = PartSource(str(getattr(requests, "path")))  # noqa: B009 - a CheckedSource
        return _plan(checked_source(), source, max_requests, max_bytes)
    items = check_and_encode(requests, api_version, max_bytes)  # type: ignore[arg-type]
    if spool is None:
        fd, path = tempfile.mkstemp(prefix="anthropic-batches-", suffix=".jsonl")
        os.close(fd)
        source, final = PartSource(path, temporary=True), None
    else:
        final = os.fspath(spool)
        directory, name = os.path.split(os.path.abspath(final))
        fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
        os.close(fd)
        source = PartSource(path, temporary=True)  # until it is complete
    with open(path, "wb") as f:  # a failure leaves the temporary file to the finalizer
        parts = _plan(_spooled(items, f), source, max_requests, max_bytes)
    if final is None:
        return parts
    os.replace(path, final)
    placed = PartSource(final)
    return [_moved(part, placed) for part in parts]


def _moved(part: JobPart, source: PartSource) -> JobPart:
    return JobPart(**{**part.__dict__, "source": source})


def job_digest(parts: Iterable[JobPart]) -> str:
    """A SHA-256 over a job's parts: equal for the same requests split the same way."""
    h = hashlib.sha256()
    for part in parts:
        h.update(f"{part.start}:{len(part)}:{part.digest}\n".encode())
    return h.hexdigest()
