"""Splitting a job's requests into as few batches as the limits allow (I/O-free).

A batch holds at most 100,000 requests and 256 MB of request body (API-FACTS: "Limits"); a
job of any size is cut into parts that each fit, by count and by serialized size, keeping the
input order. Every request is checked up front with the rules `create` uses, and `custom_id`
must be unique across the whole job (results are matched to inputs by it alone), so a job is
refused whole, in milliseconds, with one `BatchValidationError` listing every problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._exceptions import BatchValidationError, Problem
from ._models import BatchRequest
from ._shared import DEFAULT_API_VERSION
from ._validation import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS, custom_id_problem, serialize_request

__all__ = ["JobPart", "RequestLike", "job_digest", "split_requests"]

RequestLike = BatchRequest | Mapping[str, Any]
"""A request as `create` takes it: a `BatchRequest` or a dict with `custom_id` and `params`."""

#: `{"requests":[` and `]}`: the frame of a create body around the comma-joined requests.
_FRAME_BYTES = len(b'{"requests":[') + len(b"]}")


@dataclass(frozen=True)
class JobPart:
    """One batch's worth of a job's requests.

    Attributes:
        index: The part's position in the job (0-based).
        start: The input position of the part's first request (0-based).
        requests: The part's requests, in input order, as they were given.
        custom_ids: Their `custom_id`s, in the same order.
        size: The size in bytes of the part's create body.
        digest: A SHA-256 of the part's serialized requests: the same inputs give the same digest.
    """

    index: int
    start: int
    requests: tuple[RequestLike, ...] = field(repr=False)
    custom_ids: tuple[str, ...] = field(repr=False)
    size: int
    digest: str

    @property
    def stop(self) -> int:
        """The input position just after the part's last request."""
        return self.start + len(self.requests)

    def __len__(self) -> int:
        return len(self.requests)


class _PartBuilder:
    def __init__(self) -> None:
        self.requests: list[RequestLike] = []
        self.custom_ids: list[str] = []
        self.size = _FRAME_BYTES
        self.hash = hashlib.sha256()

    def fits(self, encoded: bytes, max_requests: int, max_bytes: int) -> bool:
        if not self.requests:
            return True
        comma = 1
        return len(self.requests) < max_requests and self.size + comma + len(encoded) <= max_bytes

    def add(self, request: RequestLike, custom_id: str, encoded: bytes) -> None:
        self.size += len(encoded) + (1 if self.requests else 0)
        self.requests.append(request)
        self.custom_ids.append(custom_id)
        self.hash.update(encoded)
        self.hash.update(b"\n")

    def build(self, index: int, start: int) -> JobPart:
        return JobPart(
            index=index,
            start=start,
            requests=tuple(self.requests),
            custom_ids=tuple(self.custom_ids),
            size=self.size,
            digest=self.hash.hexdigest(),
        )


def split_requests(
    requests: Iterable[RequestLike],
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
            iterable, read once.
        api_version: The API version whose rules the requests are checked by (the client's).
        max_requests: The most requests one batch may hold (the API's limit: 100,000).
        max_bytes: The largest create body of one batch (the API's limit: 256 MB).

    Returns:
        The parts, in input order; together they hold every request once.

    Raises:
        BatchValidationError: Some requests are not acceptable (or there are none); it lists
            every offending request and why. Nothing was sent.
        ValueError: `max_requests` or `max_bytes` is not positive.
    """
    if max_requests < 1 or max_bytes < 1:
        raise ValueError("max_requests and max_bytes must be positive")
    if isinstance(requests, (str, bytes, Mapping)):
        kind = type(requests).__name__
        problem = Problem(None, None, None, f"requests must be an iterable of requests, not {kind}")
        raise BatchValidationError([problem])
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    parts: list[JobPart] = []
    builder = _PartBuilder()
    start = count = 0
    for index, request in enumerate(requests):
        count += 1
        cid, encoded, found = serialize_request(index, request, api_version)
        problems.extend(found)
        if cid is not None and custom_id_problem(cid) is None:
            first = seen.setdefault(cid, index)
            if first != index:
                message = f"duplicate: already used by requests[{first}]"
                problems.append(Problem(index, cid, "custom_id", message))
        if encoded is None or cid is None:
            continue
        if _FRAME_BYTES + len(encoded) > max_bytes:
            message = (
                f"this request alone is {len(encoded):,} bytes; a batch body holds at most "
                f"{max_bytes:,}"
            )
            problems.append(Problem(index, cid, None, message))
            continue
        if problems:
            continue  # keep checking, but stop building: the job will be refused
        if not builder.fits(encoded, max_requests, max_bytes):
            parts.append(builder.build(len(parts), start))
            start = index
            builder = _PartBuilder()
        builder.add(request, cid, encoded)
    if count == 0:
        problems.append(Problem(None, None, None, "a job needs at least 1 request"))
    if problems:
        raise BatchValidationError(problems)
    parts.append(builder.build(len(parts), start))
    return parts


def job_digest(parts: Iterable[JobPart]) -> str:
    """A SHA-256 over a job's parts: equal for the same requests split the same way."""
    h = hashlib.sha256()
    for part in parts:
        h.update(f"{part.start}:{len(part)}:{part.digest}\n".encode())
    return h.hexdigest()
