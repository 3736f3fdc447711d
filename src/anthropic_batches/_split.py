"""Splitting a job's requests into as few batches as the limits allow (I/O-free).

A batch holds at most 100,000 requests and 256 MB of request body (`_facts`); a job of any
size is cut into parts that each fit, by count and by encoded size, keeping the input order.
Every request is checked once, by the checker `create` uses, with `custom_id` unique across
the whole job (results are matched to inputs by it alone), and encoded once: a part keeps its
requests' bytes, and its batch is created from them without checking or encoding again. A job
with any bad request is refused whole, with one `BatchValidationError` listing every problem.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._encoding import EncodedRequests, body_from_encoded, encode_json, encoding_problem
from ._exceptions import BatchValidationError, Problem
from ._facts import BODY_FRAME_BYTES, DEFAULT_API_VERSION, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from ._models import BatchRequest
from ._validation import (
    RequestChecker,
    no_requests_problem,
    not_iterable_problem,
    request_size_problem,
)

__all__ = ["CheckedSource", "JobPart", "RequestLike", "job_digest", "split_requests"]

RequestLike = BatchRequest | Mapping[str, Any]
"""A request as `create` takes it: a `BatchRequest` or a dict with `custom_id` and `params`."""


@dataclass(frozen=True)
class JobPart:
    """One batch's worth of a job's requests, checked and encoded.

    Attributes:
        index: The part's position in the job (0-based).
        start: The input position of the part's first request (0-based).
        encoded: Each request as the compact JSON it is sent as, in input order.
        custom_ids: Their `custom_id`s, in the same order.
        size: The size in bytes of the part's create body.
        digest: A SHA-256 of the part's encoded requests: the same inputs give the same digest.
    """

    index: int
    start: int
    encoded: tuple[bytes, ...] = field(repr=False)
    custom_ids: tuple[str, ...] = field(repr=False)
    size: int
    digest: str

    @property
    def stop(self) -> int:
        """The input position just after the part's last request."""
        return self.start + len(self.encoded)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The part's requests, decoded from what is sent (dicts, in input order)."""
        return [json.loads(item) for item in self.encoded]

    def body(self) -> EncodedRequests:
        """The part's create body, from the bytes already checked and encoded."""
        return body_from_encoded(self.encoded)

    def __len__(self) -> int:
        return len(self.encoded)


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """A request that passed the checks: its position, `custom_id` and encoded bytes."""

    position: int
    custom_id: str
    encoded: bytes


class CheckedSource(Protocol):
    """Requests already checked and encoded by their reader (e.g. a requests file), which the
    splitter takes without checking them again. The reader raises, once read through, if any
    request had a problem."""

    def checked(self) -> Iterator[CheckedRequest]:
        """The requests, checked and encoded, in input order."""
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


class _PartBuilder:
    def __init__(self, start: int) -> None:
        self.start = start
        self.encoded: list[bytes] = []
        self.custom_ids: list[str] = []
        self.size = BODY_FRAME_BYTES
        self.hash = hashlib.sha256()

    def fits(self, encoded: bytes, max_requests: int, max_bytes: int) -> bool:
        if not self.encoded:
            return True
        comma = 1
        return len(self.encoded) < max_requests and self.size + comma + len(encoded) <= max_bytes

    def add(self, custom_id: str, encoded: bytes) -> None:
        self.size += len(encoded) + (1 if self.encoded else 0)
        self.encoded.append(encoded)
        self.custom_ids.append(custom_id)
        self.hash.update(encoded)
        self.hash.update(b"\n")

    def build(self, index: int) -> JobPart:
        return JobPart(
            index=index,
            start=self.start,
            encoded=tuple(self.encoded),
            custom_ids=tuple(self.custom_ids),
            size=self.size,
            digest=self.hash.hexdigest(),
        )


def split_requests(
    requests: Iterable[RequestLike] | CheckedSource,
    *,
    api_version: str = DEFAULT_API_VERSION,
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[JobPart]:
    """Check a job's requests and cut them into parts that each fit in one batch.

    Parts are filled in input order, each up to `max_requests` requests and `max_bytes` of
    create body, so the job needs as few batches as the limits allow.

    Args:
        requests: `BatchRequest` models or dicts `{"custom_id": ..., "params": {...}}`; any
            iterable, read once. A requests file from `read_requests` was checked as it was
            read, and is not checked again.
        api_version: The API version whose rules the requests are checked by (the client's).
        max_requests: The most requests one batch may hold (the API's limit: 100,000).
        max_bytes: The largest create body of one batch (the API's limit: 256 MB).

    Returns:
        The parts, in input order; together they hold every request once.

    Raises:
        BatchValidationError: Some requests are not acceptable (or there are none); it lists
            every offending request and why. Nothing was sent.
        RequestsFileError: The requests file has bad lines. Nothing was sent.
        ValueError: `max_requests` or `max_bytes` is not positive.
    """
    if max_requests < 1 or max_bytes < 1:
        raise ValueError("max_requests and max_bytes must be positive")
    checked_source = getattr(requests, "checked", None)
    items: Iterable[CheckedRequest] = (
        checked_source()
        if callable(checked_source)
        else check_and_encode(requests, api_version, max_bytes)  # type: ignore[arg-type]
    )
    parts: list[JobPart] = []
    builder: _PartBuilder | None = None
    for index, item in enumerate(items):
        if builder is None:
            builder = _PartBuilder(index)
        elif not builder.fits(item.encoded, max_requests, max_bytes):
            parts.append(builder.build(len(parts)))
            builder = _PartBuilder(index)
        builder.add(item.custom_id, item.encoded)
    if builder is None:  # a checked source with no request (its reader says so first)
        raise BatchValidationError([no_requests_problem("job")])
    parts.append(builder.build(len(parts)))
    return parts


def job_digest(parts: Iterable[JobPart]) -> str:
    """A SHA-256 over a job's parts: equal for the same requests split the same way."""
    h = hashlib.sha256()
    for part in parts:
        h.update(f"{part.start}:{len(part)}:{part.digest}\n".encode())
    return h.hexdigest()
