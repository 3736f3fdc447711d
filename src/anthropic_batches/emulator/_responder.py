"""What the emulator answers for each request of a batch.

A responder is a plain callable: it gets a `ResponderRequest` (the request's `custom_id`, its
`params`, the batch id and API version) and returns what the model "said". The emulator checks
`params` first, with the same rules as the SDK (`params_problems`), so a responder only sees
requests that the real API would have processed.

A responder may return:

- a `str`: a single text block, with every other field filled in;
- a `dict` or a `Message`: a message; missing fields (`id`, `model`, `usage`, ...) are filled in;
- a `ResponderError` (returned or raised): the request ends `errored` with that error.

Any other exception raised by a responder also ends the request `errored`, as an `api_error`
whose message names the exception, so a bug in a scripted scenario shows up in the results
instead of breaking the HTTP answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._facts import error_type_for_status
from .._models import Message
from .._validation import params_problems
from ._batch import ERRORED, SUCCEEDED
from ._ids import message_id

__all__ = [
    "Responder",
    "ResponderError",
    "ResponderOutput",
    "ResponderRequest",
    "count_input_tokens",
    "default_responder",
]


@dataclass(frozen=True)
class ResponderRequest:
    """One request of a batch, as a responder sees it.

    Attributes:
        custom_id: The request's `custom_id`.
        params: The Messages API request (`model`, `max_tokens`, `messages`, ...).
        batch_id: The id of the batch holding the request.
        api_version: The `anthropic-version` the batch was created with.
        index: The request's position in the create body (0-based).
    """

    custom_id: str
    params: dict[str, Any]
    batch_id: str
    api_version: str
    index: int


class ResponderError(Exception):
    """An error answer for one request: return it or raise it from a responder.

    Args:
        type: The error type, e.g. `"invalid_request_error"`, `"overloaded_error"`.
        message: What went wrong.
        details: Extra fields for the inner error object.
        error_code: A code for the error, sent as `details.error_code` of the inner error
            object, as the API sends it (e.g. `"request_body_too_large_after_decoding"`).

    Example:
        ```python
        def responder(request: ResponderRequest) -> ResponderOutput:
            if request.custom_id.startswith("bad"):
                return ResponderError("invalid_request_error", "prompt is too long")
            return "fine"
        ```
    """

    def __init__(
        self,
        type: str = "api_error",
        message: str = "Internal server error",
        details: Mapping[str, Any] | None = None,
        *,
        error_code: str | None = None,
    ) -> None:
        super().__init__(type, message)
        self.type = type
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if error_code is not None:
            inner = self.details.get("details")
            self.details["details"] = {
                **(inner if isinstance(inner, dict) else {}),
                "error_code": error_code,
            }

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"

    def __repr__(self) -> str:
        return f"ResponderError({self.type!r}, {self.message!r})"


ResponderOutput = str | Mapping[str, Any] | Message | ResponderError
"""What a responder returns: text, a message (dict or `Message`), or an error."""

Responder = Callable[[ResponderRequest], ResponderOutput]
"""A callable from one request to its answer; see the module documentation."""


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("text")
        )
    return ""


def _last_user_text(params: Mapping[str, Any]) -> str:
    messages = params.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _text_of(message.get("content"))
    return ""


def estimate_tokens(text: str) -> int:
    """A plausible token count for a text: about four characters a token, at least 1."""
    return max(1, (len(text) + 3) // 4)


def default_responder(request: ResponderRequest) -> ResponderOutput:
    """The default answer: deterministic text that quotes the last user message.

    The same params always give the same message. The text is cut to fit `max_tokens`
    (about four characters a token), and then `stop_reason` is `"max_tokens"`.
    """
    said = " ".join(_last_user_text(request.params).split())
    if len(said) > 200:
        said = said[:197] + "..."
    return f"[emulated reply] You said: {said}" if said else "[emulated reply] Hello!"


def count_input_tokens(params: Mapping[str, Any]) -> int:
    """The input tokens of a request's `params`: about four characters a token of the system
    prompt and the messages' text, plus a little for each message. The one count behind both
    a result's `usage.input_tokens` and the token-counting endpoint's answer."""
    size = len(_text_of(params.get("system")))
    messages = params.get("messages")
    if isinstance(messages, list):
        size += sum(len(_text_of(m.get("content"))) + 8 for m in messages if isinstance(m, dict))
    return size // 4 + 1


def build_message(request: ResponderRequest, output: str | Mapping[str, Any] | Message) -> Any:
    """A complete message (as a JSON-ready dict) from a responder's output."""
    params = request.params
    model = params.get("model") if isinstance(params.get("model"), str) else "claude"
    max_tokens = params.get("max_tokens")
    limit = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else 1_000_000
    if isinstance(output, str):
        text, stop_reason = output, "end_turn"
        if estimate_tokens(text) > limit:
            text, stop_reason = text[: limit * 4], "max_tokens"
        output = {
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "usage": {"output_tokens": min(limit, estimate_tokens(text))},
        }
    elif isinstance(output, Message):
        output = output.model_dump(mode="json", exclude_none=False)
    message: dict[str, Any] = {
        "id": message_id(request.batch_id, request.custom_id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "stop_details": None,
        "container": None,
    }
    message.update(output)
    content = message.get("content")
    if isinstance(content, list):
        # Text blocks carry `citations`, null when there are none, as the API sends them.
        message["content"] = [
            {**b, "citations": None}
            if isinstance(b, dict) and b.get("type") == "text" and "citations" not in b
            else b
            for b in content
        ]
    # The fields of `usage` the current API schema lists, zero or null when there is nothing.
    usage = {
        "input_tokens": count_input_tokens(params),
        "output_tokens": estimate_tokens(_text_of(message.get("content"))),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "server_tool_use": None,
        "service_tier": "batch",
        "inference_geo": None,
        "speed": "standard",
        "output_tokens_details": None,
    }
    given = output.get("usage")
    if isinstance(given, Mapping):
        usage.update(given)
    message["usage"] = usage
    return message


def error_body(error: ResponderError) -> dict[str, Any]:
    """The standard error shape for an `errored` result."""
    inner: dict[str, Any] = {"type": error.type, "message": error.message}
    inner.update(error.details)
    return {"type": "error", "error": inner, "request_id": None}


def answer(request: ResponderRequest, responder: Responder) -> dict[str, Any]:
    """The `result` object of one processed request: `succeeded` or `errored`.

    Params the real API would refuse give the error of a 400 answer (`invalid_request_error`)
    without calling the responder; the batch's API version decides which rules apply.
    """
    problems = params_problems(request.params, request.api_version)
    if problems:
        message = "; ".join(p.message for p in problems)
        return {
            "type": ERRORED,
            "error": error_body(ResponderError(error_type_for_status(400), message)),
        }
    try:
        output = responder(request)
    except ResponderError as exc:
        output = exc
    except Exception as exc:  # a user's responder: report its bug in the result
        output = ResponderError("api_error", f"the responder raised {type(exc).__name__}: {exc}")
    if isinstance(output, ResponderError):
        return {"type": ERRORED, "error": error_body(output)}
    if not isinstance(output, (str, Mapping, Message)):
        kind = type(output).__name__
        err = ResponderError("api_error", f"the responder returned a {kind}, not a message")
        return {"type": ERRORED, "error": error_body(err)}
    return {"type": SUCCEEDED, "message": build_message(request, output)}
