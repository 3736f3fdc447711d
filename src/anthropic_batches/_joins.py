"""Joining results to inputs by `custom_id` (I/O-free).

Results come back in no particular order, and `custom_id` is the only way to match them to
their requests (https://docs.anthropic.com/en/docs/build-with-claude/batch-processing).
These helpers never match by position. A failed request is kept as a `FailedRequest`
record, for resubmitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._facts import error_type_for_status
from ._models import BatchRequest, BatchResult, ErroredResult, ExpiredResult

__all__ = [
    "RETRYABLE_ERROR_TYPES",
    "FailedRequest",
    "Missing",
    "failed_requests",
    "failure_record",
    "is_failed",
    "results_by_custom_id",
    "results_in_input_order",
]

#: Error types worth trying again: the request itself was fine, the service was not (too
#: many requests, an internal error, a timeout, overloaded).
RETRYABLE_ERROR_TYPES = frozenset(error_type_for_status(s) for s in (429, 500, 504, 529))


@dataclass(frozen=True)
class Missing:
    """Stands in for the result of an input that has no result (yet).

    It is falsy, so `if result:` skips it.

    Attributes:
        custom_id: The `custom_id` of the input with no result.
    """

    custom_id: str

    def __bool__(self) -> bool:
        return False


def _custom_id(request: BatchRequest | Mapping[str, Any]) -> str:
    if isinstance(request, BatchRequest):
        return request.custom_id
    return str(request["custom_id"])


def results_by_custom_id(results: Iterable[BatchResult]) -> dict[str, BatchResult]:
    """A mapping from `custom_id` to result.

    When a `custom_id` comes more than once (results of a resubmitted request after the
    original's), the later result wins.
    """
    return {result.custom_id: result for result in results}


def results_in_input_order(
    requests: Iterable[BatchRequest | Mapping[str, Any]],
    results: Iterable[BatchResult] | Mapping[str, BatchResult],
) -> list[BatchResult | Missing]:
    """The results lined up with the requests: one entry per request, in input order.

    Args:
        requests: The job's inputs.
        results: The results (any order), or a mapping from `custom_id` to result.

    Returns:
        For each request, its result, or a `Missing` marker when it has none.
    """
    found = results if isinstance(results, Mapping) else results_by_custom_id(results)
    out: list[BatchResult | Missing] = []
    for request in requests:
        cid = _custom_id(request)
        out.append(found.get(cid) or Missing(cid))
    return out


def is_failed(result: BatchResult, *, retryable_only: bool = False) -> bool:
    """Whether a result is one to resubmit: `errored` (only retryable types if asked) or
    `expired`."""
    outcome = result.result
    if isinstance(outcome, ExpiredResult):
        return True
    if isinstance(outcome, ErroredResult):
        return not retryable_only or outcome.error.error.type in RETRYABLE_ERROR_TYPES
    return False


def failed_requests(
    requests: Iterable[BatchRequest | Mapping[str, Any]],
    results: Iterable[BatchResult],
    *,
    retryable_only: bool = False,
) -> list[BatchRequest | Mapping[str, Any]]:
    """The requests whose results were `errored` or `expired`, in input order.

    Args:
        requests: The job's inputs.
        results: Their results.
        retryable_only: Keep only errors worth trying again (`RETRYABLE_ERROR_TYPES`) and
            expired results; drop errors in the request itself.
    """
    latest = results_by_custom_id(results)
    failed = {cid for cid, r in latest.items() if is_failed(r, retryable_only=retryable_only)}
    return [request for request in requests if _custom_id(request) in failed]


@dataclass(frozen=True)
class FailedRequest:
    """A request whose result was `errored` or `expired`, kept for resubmitting.

    In the state file it is written as `[custom_id, result_type, error_type]`.

    Attributes:
        custom_id: The request's `custom_id`.
        result_type: Its result's type (`errored` or `expired`).
        error_type: The error's type for an errored result, `None` for an expired one.
    """

    custom_id: str
    result_type: str
    error_type: str | None = None

    @property
    def retryable(self) -> bool:
        """Whether trying again may succeed: an expired request (it has no error), or an
        error of the service rather than of the request (`RETRYABLE_ERROR_TYPES`)."""
        return self.error_type is None or self.error_type in RETRYABLE_ERROR_TYPES

    @classmethod
    def from_saved(cls, item: Sequence[str | None] | dict[str, Any]) -> FailedRequest:
        """Read an entry of a state file: a list (as written) or a mapping of the fields."""
        if isinstance(item, dict):
            return cls(**item)
        custom_id, result_type, error_type = item
        return cls(str(custom_id), str(result_type), error_type)


def failure_record(result: BatchResult) -> FailedRequest | None:
    """The record a failed (`errored` or `expired`) result leaves in the state, else `None`."""
    if not is_failed(result):
        return None
    outcome = result.result
    kind = outcome.error.error.type if isinstance(outcome, ErroredResult) else None
    return FailedRequest(result.custom_id, outcome.type, kind)
