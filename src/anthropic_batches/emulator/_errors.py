"""Error answers: `Refusal`, raised anywhere while a request is handled, and the error body.

Every error answer has the documented shape, `{"type": "error", "error": {"type": ...,
"message": ...}, "request_id": ...}`, with the `error.type` the API uses for its HTTP status
(https://docs.anthropic.com/en/api/errors).
"""

from __future__ import annotations

import json

from .._facts import error_type_for_status

__all__ = ["FAULT_MESSAGES", "Refusal", "bad_request", "error_payload", "not_found"]

#: The statuses of injected faults (`Emulator.fault_rate`), each with its message.
FAULT_MESSAGES = {
    429: "Number of requests has exceeded your rate limit (injected fault).",
    500: "Internal server error (injected fault).",
    529: "Overloaded (injected fault).",
}


class Refusal(Exception):
    """An error answer: the HTTP status, a message, and headers to send with it.

    The `error.type` is the one the API uses for the status; an `error_code` goes in
    `error.details.error_code`.
    """

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.status = status
        self.type = error_type_for_status(status)
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> Refusal:
    """A 400 answer: the request is malformed or not allowed."""
    return Refusal(400, message)


def not_found(message: str) -> Refusal:
    """A 404 answer."""
    return Refusal(404, message)


def error_payload(
    status: int, message: str, request_id: str, error_code: str | None = None
) -> bytes:
    """The documented error body for an HTTP status (with `details.error_code` when given)."""
    error: dict[str, object] = {"type": error_type_for_status(status), "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    return json.dumps({"type": "error", "error": error, "request_id": request_id}).encode()
