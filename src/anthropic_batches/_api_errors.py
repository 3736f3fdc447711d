"""The errors of talking to the API, and the class each error answer maps to (see the tree
in `_exceptions`, which re-exports all of them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._facts import (
    CONTRACT_SPEND_LIMIT_REACHED,
    ENFORCED_SPEND_LIMIT_REACHED,
    LINKED_ORGANIZATION_SPEND_LIMIT_REACHED,
    ORGANIZATION_ON_HOLD,
    RAMP_LIMIT_EXCEEDED,
    REQUEST_BODY_TOO_LARGE_AFTER_DECODING,
    WORKSPACE_HEADER,
)

if TYPE_CHECKING:
    import httpx


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


class APIResponseValidationError(APIError):
    """A successful answer whose body does not fit the models (not JSON, or fields missing).

    Attributes:
        response: The `httpx.Response`.
        status_code: Its HTTP status code.
        body: The decoded JSON body, or the text when the body is not JSON.
    """

    response: httpx.Response
    status_code: int
    body: object

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body


class APIStatusError(APIError):
    """The API answered with an error status.

    Attributes:
        status_code: The HTTP status code.
        request_id: The `request-id` header of the answer (or `request_id` of the body).
        type: The error type from the body (`error.type`), e.g. `"not_found_error"`.
        error_code: The stable code naming the cause (`error.details.error_code`), e.g.
            `"ramp_limit_exceeded"`, or `None`. Branch on it, never on the message.
        details: The body's `error.details` object, or `None`.
        workspace_id: The `anthropic-workspace-id` header of the answer, if any.
        body: The decoded JSON body, or the text when the body is not JSON.
        response: The `httpx.Response` (its body already read).
    """

    status_code: int
    request_id: str | None
    type: str | None
    error_code: str | None
    details: dict[str, Any] | None
    workspace_id: str | None
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
        error_code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.type = type
        self.request_id = request_id
        self.error_code = error_code
        self.details = details
        self.workspace_id = response.headers.get(WORKSPACE_HEADER)

    def __str__(self) -> str:
        code = f" [{self.error_code}]" if self.error_code else ""
        rid = f" (request-id: {self.request_id})" if self.request_id else ""
        return f"{self.status_code} {self.type or 'error'}{code}: {self.message}{rid}"


class BadRequestError(APIStatusError):
    """400: the request was malformed or invalid (`invalid_request_error`)."""


class OrganizationOnHoldError(BadRequestError):
    """400 `organization_on_hold`: the organisation is on hold; trying again cannot help."""


class AuthenticationError(APIStatusError):
    """401: the key or token is missing or invalid."""


class PaymentRequiredError(APIStatusError):
    """402: a billing problem (`billing_error`)."""


class LinkedOrganizationSpendLimitReachedError(PaymentRequiredError):
    """402 `linked_organization_spend_limit_reached`: stop until the limit is raised."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such batch (for this key), or its results are not available yet."""


class RequestTimeoutError(APIStatusError):
    """408: the server gave up waiting for the request."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the batch's state."""


class PreconditionFailedError(APIStatusError):
    """412: a precondition of the request failed."""


class ContentTooLargeError(APIStatusError):
    """413: the request body is over the size limit (`request_too_large`)."""


RequestTooLargeError = ContentTooLargeError
"""The earlier name of `ContentTooLargeError`, kept so existing code runs."""


class RequestBodyTooLargeAfterDecodingError(ContentTooLargeError):
    """413 `request_body_too_large_after_decoding`: split the batch smaller."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests; wait for `retry-after` and go on."""


class RampLimitExceededError(RateLimitError):
    """429 `ramp_limit_exceeded`: usage grew faster than allowed; wait for `retry-after`."""


class EnforcedSpendLimitReachedError(RateLimitError):
    """429 `enforced_spend_limit_reached`: the tier's monthly threshold is crossed; stop."""


class ContractSpendLimitReachedError(RateLimitError):
    """429 `contract_spend_limit_reached`: the contract's spend limit is reached; stop."""


class RequestHeaderFieldsTooLargeError(APIStatusError):
    """431: the request's headers are too large."""


class ClientClosedRequestError(APIStatusError):
    """499: the request was closed before the answer."""


class InternalServerError(APIStatusError):
    """A 5xx answer (the subclasses below name some)."""


class HTTPNotImplementedError(InternalServerError):
    """501: not implemented."""


class ServiceUnavailableError(InternalServerError):
    """503: the service is unavailable for now."""


class GatewayTimeoutError(InternalServerError):
    """504: a gateway timed out (`timeout_error`)."""


class OverloadedError(InternalServerError):
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


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: ContentTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    431: RequestHeaderFieldsTooLargeError,
    499: ClientClosedRequestError,
    501: HTTPNotImplementedError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
    529: OverloadedError,
}
#: The classes picked by status and `error.details.error_code` before the status alone.
CODE_ERRORS: dict[tuple[int, str], type[APIStatusError]] = {
    (400, ORGANIZATION_ON_HOLD): OrganizationOnHoldError,
    (402, LINKED_ORGANIZATION_SPEND_LIMIT_REACHED): LinkedOrganizationSpendLimitReachedError,
    (413, REQUEST_BODY_TOO_LARGE_AFTER_DECODING): RequestBodyTooLargeAfterDecodingError,
    (429, RAMP_LIMIT_EXCEEDED): RampLimitExceededError,
    (429, ENFORCED_SPEND_LIMIT_REACHED): EnforcedSpendLimitReachedError,
    (429, CONTRACT_SPEND_LIMIT_REACHED): ContractSpendLimitReachedError,
}


def status_error_class(status_code: int, error_code: str | None = None) -> type[APIStatusError]:
    """The error class for an HTTP status and error code, as the official SDK picks it: by
    (status, code), then by status, then any other 5xx is `InternalServerError` and any
    other status `APIStatusError` (https://docs.anthropic.com/en/api/errors)."""
    if error_code is not None:
        cls = CODE_ERRORS.get((status_code, error_code))
        if cls is not None:
            return cls
    cls = STATUS_ERRORS.get(status_code)
    if cls is not None:
        return cls
    return InternalServerError if status_code >= 500 else APIStatusError
