"""Pydantic models of what the Message Batches API sends and takes.

Every model keeps unknown extra fields (`extra="allow"`), and the open-ended unions (result
types, content block types) fall back to a generic model that keeps the raw data, because the
API says those lists grow over time
(https://docs.anthropic.com/en/api/retrieving-message-batch-results).

The open unions are read in two steps, for speed (results are parsed by the million): a
union tagged by the `type` field's literal value, which pydantic-core resolves without
calling into Python, and only when that fails, the generic model, which accepts only a type
not known here (so a known type with bad fields is still an error, not an unknown result).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from ._facts import ENDED, RESULT_TYPES, ProcessingStatus
from ._message_parts import CacheCreation, Container, ServerToolUsage, StopDetails, Usage

__all__ = [
    "BatchRequest",
    "BatchResult",
    "CacheCreation",
    "CanceledResult",
    "Container",
    "ContentBlock",
    "DeletedMessageBatch",
    "ErrorObject",
    "ErrorResponse",
    "ErroredResult",
    "ExpiredResult",
    "Message",
    "MessageBatch",
    "Page",
    "RedactedThinkingBlock",
    "RequestCounts",
    "ServerToolUsage",
    "StopDetails",
    "SucceededResult",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "UnknownResult",
    "Usage",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- batches ----------------------------------------------------------------------------------


class RequestCounts(_Model):
    """How many of a batch's requests are in each state.

    Requests stay counted as `processing` until the whole batch ends; the counts always add up
    to the number of requests in the batch.
    """

    processing: int = 0
    """Requests not finished yet (all of them, until the batch ends)."""
    succeeded: int = 0
    """Requests that ended with a message."""
    errored: int = 0
    """Requests that ended with an error (not billed)."""
    canceled: int = 0
    """Requests canceled before they were processed (not billed)."""
    expired: int = 0
    """Requests not processed before the batch expired (not billed)."""

    @property
    def total(self) -> int:
        """The number of requests in the batch."""
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired


class MessageBatch(_Model):
    """A Message Batch, as the API reports it."""

    id: str
    """The batch id, `msgbatch_...`."""
    type: Literal["message_batch"] = "message_batch"
    """Always `"message_batch"`."""
    processing_status: ProcessingStatus
    """`in_progress`, `canceling` or `ended`."""
    request_counts: RequestCounts
    """Counts of the batch's requests by state."""
    created_at: AwareDatetime
    """When the batch was created."""
    expires_at: AwareDatetime
    """When the batch expires (24 hours after creation); what is not done then is `expired`."""
    ended_at: AwareDatetime | None = None
    """When processing ended, or `None`."""
    archived_at: AwareDatetime | None = None
    """When the batch was archived and its results stopped being available, or `None`."""
    cancel_initiated_at: AwareDatetime | None = None
    """When a cancel was asked for, or `None`."""
    results_url: str | None = None
    """Where to download the results, once processing has ended; `None` before."""

    @property
    def ended(self) -> bool:
        """Whether processing has ended (`processing_status == "ended"`)."""
        return self.processing_status == ENDED


class DeletedMessageBatch(_Model):
    """The answer to a delete."""

    id: str
    """The id of the deleted batch."""
    type: Literal["message_batch_deleted"] = "message_batch_deleted"
    """Always `"message_batch_deleted"`."""


T = TypeVar("T")


class Page(_Model, Generic[T]):
    """One page of a list. Iterating a page yields its items."""

    data: list[T]
    """The items on this page, newest first."""
    has_more: bool = False
    """Whether there are more items in the direction that was asked for."""
    first_id: str | None = None
    """The first item's id: the `before_id` of the previous page."""
    last_id: str | None = None
    """The last item's id: the `after_id` of the next page."""

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> T:
        return self.data[index]


# -- requests ---------------------------------------------------------------------------------


class BatchRequest(_Model):
    """One request of a batch: a `custom_id` and the Messages API `params`.

    `params` is kept as a plain mapping: it is any non-streaming Messages API request, and it
    is checked against the client's API version by `create` before anything is sent.
    """

    custom_id: str
    """1 to 64 characters of `[a-zA-Z0-9_-]`, unique within the batch."""
    params: dict[str, Any]
    """The Messages API request: `model`, `max_tokens`, `messages`, and optional fields."""


# -- messages ---------------------------------------------------------------------------------


class TextBlock(_Model):
    """A text content block."""

    type: Literal["text"] = "text"
    text: str
    """The text."""
    citations: list[dict[str, Any]] | None = None
    """Citations supporting the text, when any."""


class ToolUseBlock(_Model):
    """A tool call by the model."""

    type: Literal["tool_use"] = "tool_use"
    id: str
    """The tool call id."""
    name: str
    """The tool's name."""
    input: dict[str, Any]
    """The tool's input."""


class ThinkingBlock(_Model):
    """Extended thinking."""

    type: Literal["thinking"] = "thinking"
    thinking: str
    """The thinking text."""
    signature: str | None = None
    """The signature of the thinking."""


class RedactedThinkingBlock(_Model):
    """Thinking that was redacted."""

    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str
    """The encrypted thinking."""


class UnknownBlock(_Model):
    """A content block of a type this version of the package does not know.

    Its fields are kept as extra attributes (`block.model_extra`), so nothing is lost.
    """

    type: str
    """The block type as the API sent it."""


def _unknown_only(known: Iterable[str], what: str) -> AfterValidator:
    """The fallback of an open union takes only the types the union does not know: a known
    type that failed its own model is an error, not an unknown block or result."""
    names = frozenset(known)

    def check(item: UnknownBlock | UnknownResult) -> UnknownBlock | UnknownResult:
        if item.type in names:
            raise ValueError(f"not a valid {item.type!r} {what}")
        return item

    return AfterValidator(check)


ContentBlock = Annotated[
    Annotated[
        TextBlock | ToolUseBlock | ThinkingBlock | RedactedThinkingBlock,
        Field(discriminator="type"),
    ]
    | Annotated[
        UnknownBlock,
        _unknown_only(("text", "tool_use", "thinking", "redacted_thinking"), "block"),
    ],
    Field(union_mode="left_to_right"),
]
"""A message content block; a type not known here parses as `UnknownBlock`."""


class Message(_Model):
    """A Messages API answer."""

    id: str
    """The message id, `msg_...`."""
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    """The model that answered."""
    content: list[ContentBlock]
    """The content blocks."""
    stop_reason: str | None = None
    """Why the model stopped: `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, ..."""
    stop_sequence: str | None = None
    """The stop sequence that was hit, if any."""
    stop_details: StopDetails | None = None
    """More on why the model stopped, when there is more to say."""
    container: Container | None = None
    """The container of the code execution tool, when it was used."""
    usage: Usage
    """Token usage."""

    @property
    def text(self) -> str:
        """The text of all text blocks, joined."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))


# -- results ----------------------------------------------------------------------------------


class ErrorObject(_Model):
    """The inner error: its `type`, `message`, and `details` when the API gives a code."""

    type: str
    """The error type, e.g. `"invalid_request_error"`."""
    message: str = ""
    """What went wrong."""
    details: dict[str, Any] | None = None
    """Machine-readable details; `details["error_code"]` names the cause, when given."""

    @property
    def error_code(self) -> str | None:
        """The stable code of the cause (`details.error_code`), as `APIStatusError.error_code`."""
        code = (self.details or {}).get("error_code")
        return code if isinstance(code, str) and code else None


class ErrorResponse(_Model):
    """The standard error shape: `{"type": "error", "error": {...}, "request_id": ...}`."""

    type: Literal["error"] = "error"
    error: ErrorObject
    """The error itself; its type is at `error.type`."""
    request_id: str | None = None
    """The request id, when there is one."""


class SucceededResult(_Model):
    """The request succeeded; `message` is the answer."""

    type: Literal["succeeded"] = "succeeded"
    message: Message
    """The Messages API answer."""


class ErroredResult(_Model):
    """The request failed; `error` says why. Not billed."""

    type: Literal["errored"] = "errored"
    error: ErrorResponse
    """The error; its type is at `error.error.type`."""


class CanceledResult(_Model):
    """The batch was canceled before this request was processed. Not billed."""

    type: Literal["canceled"] = "canceled"


class ExpiredResult(_Model):
    """The batch expired before this request was processed. Not billed."""

    type: Literal["expired"] = "expired"


class UnknownResult(_Model):
    """A result of a type this version of the package does not know; its data is kept."""

    type: str
    """The result type as the API sent it."""


Result = Annotated[
    Annotated[
        SucceededResult | ErroredResult | CanceledResult | ExpiredResult,
        Field(discriminator="type"),
    ]
    | Annotated[UnknownResult, _unknown_only(RESULT_TYPES, "result")],
    Field(union_mode="left_to_right"),
]


class BatchResult(_Model):
    """One line of a batch's results: which request, and how it ended."""

    custom_id: str
    """The `custom_id` of the request: the only way to match results to requests."""
    result: Result
    """How the request ended; `result.type` tells which variant."""

    # The line as read, set by the results reader. A slot, not a pydantic private attribute:
    # those cost a Python call per model built, a fifth of the validation time.
    __slots__ = ("_raw",)
    if TYPE_CHECKING:
        _raw: bytes

    def json_line(self) -> bytes:
        """The result as one line of JSON (no newline).

        For a result read from a results file, these are the exact bytes the API sent, field
        order and unknown fields included; otherwise the model serialized.
        """
        raw: bytes | None = getattr(self, "_raw", None)
        if raw is not None:
            return raw
        return self.model_dump_json(exclude_unset=True).encode("utf-8")
