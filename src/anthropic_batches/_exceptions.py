"""The errors this package raises.

```text
BatchesError                      root of every error raised here
├── APIError                      something went wrong talking to the API
│   ├── APIStatusError            the API answered with an error status (any status not below)
│   │   ├── BadRequestError                 400
│   │   │   └── OrganizationOnHoldError         400 organization_on_hold
│   │   ├── AuthenticationError             401
│   │   ├── PaymentRequiredError            402
│   │   │   └── LinkedOrganizationSpendLimitReachedError
│   │   ├── PermissionDeniedError           403
│   │   ├── NotFoundError                   404
│   │   ├── RequestTimeoutError             408
│   │   ├── ConflictError                   409
│   │   ├── PreconditionFailedError         412
│   │   ├── ContentTooLargeError            413 (also named RequestTooLargeError)
│   │   │   └── RequestBodyTooLargeAfterDecodingError
│   │   ├── UnprocessableEntityError        422
│   │   ├── RateLimitError                  429
│   │   │   ├── RampLimitExceededError          wait for retry-after, go on
│   │   │   ├── EnforcedSpendLimitReachedError  stop
│   │   │   └── ContractSpendLimitReachedError  stop
│   │   ├── RequestHeaderFieldsTooLargeError 431
│   │   ├── ClientClosedRequestError        499
│   │   └── InternalServerError             5xx
│   │       ├── HTTPNotImplementedError         501
│   │       ├── ServiceUnavailableError         503
│   │       ├── GatewayTimeoutError             504
│   │       └── OverloadedError                 529
│   ├── APIResponseValidationError  an answer that does not fit the models
│   └── APIConnectionError        no answer: connection failed or dropped
│       └── APITimeoutError       no answer in time
├── BatchValidationError          (also ValueError) a create refused before sending
├── ResultsDecodeError            a results line that is not valid JSON or not a result
└── WaitTimeoutError              (also TimeoutError) wait() ran out of time
```

The names, the class picked for a status and `error.details.error_code`, and the attribute names
(`status_code`, `request_id`, `type`, `error_code`, `message`, `body`, `response`) are the ones
users of the official SDK know (https://github.com/anthropics/anthropic-sdk-python#handling-errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ._api_errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchesError,
    ClientClosedRequestError,
    ConflictError,
    ContentTooLargeError,
    ContractSpendLimitReachedError,
    EnforcedSpendLimitReachedError,
    GatewayTimeoutError,
    HTTPNotImplementedError,
    InternalServerError,
    LinkedOrganizationSpendLimitReachedError,
    NotFoundError,
    OrganizationOnHoldError,
    OverloadedError,
    PaymentRequiredError,
    PermissionDeniedError,
    PreconditionFailedError,
    RampLimitExceededError,
    RateLimitError,
    RequestBodyTooLargeAfterDecodingError,
    RequestHeaderFieldsTooLargeError,
    RequestTimeoutError,
    RequestTooLargeError,
    ServiceUnavailableError,
    UnprocessableEntityError,
)

if TYPE_CHECKING:
    from ._models import MessageBatch

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchValidationError",
    "BatchesError",
    "ClientClosedRequestError",
    "ConflictError",
    "ContentTooLargeError",
    "ContractSpendLimitReachedError",
    "EnforcedSpendLimitReachedError",
    "GatewayTimeoutError",
    "HTTPNotImplementedError",
    "InternalServerError",
    "LinkedOrganizationSpendLimitReachedError",
    "NotFoundError",
    "OrganizationOnHoldError",
    "OverloadedError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "Problem",
    "ProblemCode",
    "RampLimitExceededError",
    "RateLimitError",
    "RequestBodyTooLargeAfterDecodingError",
    "RequestHeaderFieldsTooLargeError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "ResultsDecodeError",
    "ServiceUnavailableError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
]


ProblemCode = Literal[
    "not_iterable",
    "not_a_request",
    "missing_field",
    "unknown_field",
    "invalid_custom_id",
    "duplicate_custom_id",
    "invalid_params",
    "missing_param",
    "invalid_param",
    "version_rule",
    "sdk_only_key",
    "stream",
    "not_json",
    "request_too_large",
    "no_requests",
    "too_many_requests",
    "body_too_large",
]
"""What kind of problem a `Problem` is: a caller decides by it, never by the message's words."""


@dataclass(frozen=True)
class Problem:
    """One reason a request was refused before sending.

    Attributes:
        index: Position of the request in the iterable given to `create` (0-based), or
            `None` for a problem of the batch as a whole.
        custom_id: The request's `custom_id`, when it has a readable one.
        field: Where in the request the problem is, e.g. `"params.temperature"`.
        message: What is wrong.
        code: What kind of problem it is (see `ProblemCode`).
    """

    index: int | None
    custom_id: str | None
    field: str | None
    message: str
    code: ProblemCode = "invalid_params"

    def __str__(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"requests[{self.index}]")
        if self.custom_id is not None:
            where.append(f"custom_id={self.custom_id!r}")
        if self.field:
            where.append(self.field)
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class BatchValidationError(BatchesError, ValueError):
    """A create (or job) was refused before anything was sent.

    Attributes:
        problems: Every problem found, one per offending request and field.
    """

    #: How many problems the message spells out; all of them stay in `problems`.
    SHOWN = 20

    problems: list[Problem]

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            list_problems(self.problems, "in the batch requests; nothing was sent", self.SHOWN)
        )


class ResultsDecodeError(BatchesError):
    """A results line that is not valid JSON or not a result.

    Attributes:
        line_number: The 1-based line number in the results file.
        line: The offending line (cut to 200 characters).
        reason: Why it could not be read.
    """

    line_number: int
    line: str
    reason: str

    def __init__(self, line_number: int, line: bytes | str, reason: str) -> None:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        self.line_number = line_number
        self.line = text[:200]
        self.reason = reason
        super().__init__(f"results line {line_number}: {reason}")


class WaitTimeoutError(BatchesError, TimeoutError):
    """`wait()` ran out of time before the batch ended.

    Attributes:
        batch: The last state seen of the batch, when one was seen.
        timeout: The timeout that passed, in seconds.
    """

    batch: MessageBatch | None
    timeout: float

    def __init__(self, timeout: float, batch: MessageBatch | None = None) -> None:
        self.timeout = timeout
        self.batch = batch
        what = f"batch {batch.id} ({batch.processing_status})" if batch else "the batch"
        super().__init__(f"{what} did not end within {timeout:g} s")


def list_problems(problems: Sequence[object], where: str, shown: int) -> str:
    """A message counting `problems` and spelling out the first `shown` of them."""
    lines = [str(p) for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"... and {len(problems) - shown} more")
    n = len(problems)
    return f"{n} problem{'s' if n != 1 else ''} {where}:\n  " + "\n  ".join(lines)
