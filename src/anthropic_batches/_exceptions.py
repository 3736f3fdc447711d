"""The errors this package raises.

```text
BatchesError                      root of every error raised here
├── APIError                      something went wrong talking to the API
│   ├── APIStatusError            the API answered with a 4xx or 5xx
│   │   ├── BadRequestError           400 (and other unlisted 4xx)
│   │   ├── AuthenticationError       401
│   │   ├── PermissionDeniedError     403
│   │   ├── NotFoundError             404
│   │   ├── ConflictError             409
│   │   ├── RequestTooLargeError      413
│   │   ├── RateLimitError            429
│   │   ├── InternalServerError       other 5xx
│   │   └── OverloadedError           529
│   └── APIConnectionError        no answer: connection failed or dropped
│       └── APITimeoutError       no answer in time
├── BatchValidationError          (also ValueError) a create refused before sending
├── ResultsDecodeError            a results line that is not valid JSON or not a result
└── WaitTimeoutError              (also TimeoutError) wait() ran out of time
```

The attribute names (`status_code`, `request_id`, `type`, `message`, `body`, `response`) are the
ones users of the official SDK know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import httpx

    from ._models import MessageBatch

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchValidationError",
    "BatchesError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "Problem",
    "ProblemCode",
    "RateLimitError",
    "RequestTooLargeError",
    "ResultsDecodeError",
    "WaitTimeoutError",
]


class BatchesError(Exception):
    """The root of every error this package raises."""


class APIError(BatchesError):
    """An error from talking to the API.

    Attributes:
        message: A readable description of what went wrong.
        request: The request that failed, when there was one.
    """

    message: str
    request: httpx.Request | None

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIStatusError(APIError):
    """The API answered with an error status.

    Attributes:
        status_code: The HTTP status code.
        request_id: The `request-id` header of the answer, if any.
        type: The error type from the body (`error.type`), e.g. `"not_found_error"`.
        body: The decoded JSON body, or the text when the body is not JSON.
        response: The `httpx.Response` (its body already read).
    """

    status_code: int
    request_id: str | None
    type: str | None
    body: object
    response: httpx.Response

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: object,
        type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.type = type
        self.request_id = request_id

    def __str__(self) -> str:
        rid = f" (request-id: {self.request_id})" if self.request_id else ""
        return f"{self.status_code} {self.type or 'error'}: {self.message}{rid}"


class BadRequestError(APIStatusError):
    """400: the request was malformed or invalid (`invalid_request_error`)."""


class AuthenticationError(APIStatusError):
    """401: the key or token is missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such batch (for this key), or its results are not available yet."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the batch's state."""


class RequestTooLargeError(APIStatusError):
    """413: the request body is over the size limit."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """A 5xx answer other than 529."""


class OverloadedError(APIStatusError):
    """529: the API is overloaded."""


class APIConnectionError(APIError):
    """No answer came: the connection failed or dropped. Chained from the httpx error."""

    def __init__(
        self, message: str = "Connection error.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """No answer came in time."""

    def __init__(self, *, request: httpx.Request | None = None) -> None:
        super().__init__("Request timed out.", request=request)


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


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    429: RateLimitError,
    529: OverloadedError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The error class for an HTTP status (https://docs.anthropic.com/en/api/errors)."""
    cls = STATUS_ERRORS.get(status_code)
    if cls is not None:
        return cls
    if status_code >= 500:
        return InternalServerError
    if 400 <= status_code < 500:
        return BadRequestError
    return APIStatusError
