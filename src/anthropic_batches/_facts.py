"""The Message Batches API's facts, written once (I/O-free).

Endpoints, statuses, result types, the error type of each HTTP status, the limits and what
each API version removes, as the public documentation states them
(https://docs.anthropic.com/en/api/creating-message-batches and the pages beside it). The
client, the request checker, the emulator, the progress view and the command line all read
them from here; no other module restates one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal, get_args

__all__ = [
    "API_VERSIONS",
    "BATCHES_PATH",
    "BATCH_DISCOUNT",
    "BETA_HEADER",
    "BODY_CLOSE",
    "BODY_FRAME_BYTES",
    "BODY_OPEN",
    "CACHE_READ_FACTOR",
    "CACHE_WRITE_1H_FACTOR",
    "CACHE_WRITE_5M_FACTOR",
    "CONTRACT_SPEND_LIMIT_REACHED",
    "COUNT_TOKENS_FIELDS",
    "COUNT_TOKENS_PATH",
    "CUSTOM_ID_MAX_LENGTH",
    "CUSTOM_ID_PATTERN",
    "DEFAULT_API_VERSION",
    "ENDED",
    "ENFORCED_SPEND_LIMIT_REACHED",
    "LINKED_ORGANIZATION_SPEND_LIMIT_REACHED",
    "LIST_LIMIT_DEFAULT",
    "LIST_LIMIT_MAX",
    "LIST_LIMIT_MIN",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_REQUESTS",
    "OLD_API_VERSION",
    "ORGANIZATION_ON_HOLD",
    "PROCESSING_STATUSES",
    "PROCESSING_WINDOW",
    "RAMP_LIMIT_EXCEEDED",
    "RATELIMIT_REQUESTS_LIMIT",
    "RATELIMIT_REQUESTS_REMAINING",
    "RATELIMIT_REQUESTS_RESET",
    "REQUEST_BODY_TOO_LARGE_AFTER_DECODING",
    "REQUEST_COUNT_FIELDS",
    "RESULTS_RETENTION",
    "RESULT_TYPES",
    "SDK_ONLY_PARAMS",
    "STATUS_ERROR_TYPES",
    "STOP_ERROR_CODES",
    "US_INFERENCE_FACTOR",
    "US_INFERENCE_GEO",
    "VERSION_RULES",
    "WORKSPACE_ENV",
    "WORKSPACE_HEADER",
    "ProcessingStatus",
    "ResultType",
    "VersionRules",
    "error_type_for_status",
]

# -- endpoints and versions -------------------------------------------------------------------

#: The path of the batches endpoints; a batch is `{BATCHES_PATH}/{id}`.
BATCHES_PATH: Final = "/v1/messages/batches"

#: The latest `anthropic-version`, sent by default.
DEFAULT_API_VERSION: Final = "2026-10-21"
#: The older version, still served, pinned by the older official SDK majors.
OLD_API_VERSION: Final = "2023-06-01"
#: The versions the API serves.
API_VERSIONS: Final = (DEFAULT_API_VERSION, OLD_API_VERSION)


@dataclass(frozen=True)
class VersionRules:
    """What an API version refuses in a Messages request (and so in every batch request).

    Attributes:
        removed_params: Top-level `params` fields the version no longer accepts.
        document_in_assistant: Whether a `document` block in an `assistant` message is refused.
        citations_in_user: Whether a `text` block with non-empty `citations` in a `user`
            message (directly or inside a `search_result` block) is refused.
    """

    removed_params: tuple[str, ...] = ()
    document_in_assistant: bool = False
    citations_in_user: bool = False

    @property
    def any(self) -> bool:
        """Whether the version refuses anything the older one accepts."""
        return bool(self.removed_params) or self.document_in_assistant or self.citations_in_user


#: Each served version's rules; `2026-10-21` removed the sampling parameters and two block uses.
VERSION_RULES: Final = {
    DEFAULT_API_VERSION: VersionRules(
        removed_params=("temperature", "top_p", "top_k"),
        document_in_assistant=True,
        citations_in_user=True,
    ),
    OLD_API_VERSION: VersionRules(),
}

#: The header naming the workspace a call acts in (every batch endpoint accepts it).
WORKSPACE_HEADER: Final = "anthropic-workspace-id"
#: The environment variable the official SDKs read the workspace from.
WORKSPACE_ENV: Final = "ANTHROPIC_WORKSPACE_ID"
#: The header of the betas a call opts into, comma-separated.
BETA_HEADER: Final = "anthropic-beta"

# -- batches ----------------------------------------------------------------------------------

ProcessingStatus = Literal["in_progress", "canceling", "ended"]
#: A batch's `processing_status` values.
PROCESSING_STATUSES: Final[tuple[ProcessingStatus, ...]] = get_args(ProcessingStatus)
#: The status of a batch that will not change any more.
ENDED: Final = "ended"

ResultType = Literal["succeeded", "errored", "canceled", "expired"]
#: A result line's `result.type` values, in the order the API's `request_counts` lists them.
RESULT_TYPES: Final[tuple[ResultType, ...]] = get_args(ResultType)
#: The fields of `request_counts`: requests still processing, then one per result type.
REQUEST_COUNT_FIELDS: Final = ("processing", *RESULT_TYPES)

# -- limits -----------------------------------------------------------------------------------

#: The most requests one batch holds.
MAX_BATCH_REQUESTS: Final = 100_000
#: 256 MB of create body, counted in decimal megabytes: the safer reading of the limit.
MAX_BATCH_BYTES: Final = 256_000_000
CUSTOM_ID_MAX_LENGTH: Final = 64
#: A `custom_id`: 1 to 64 letters, digits, `_` and `-`, unique within its batch.
CUSTOM_ID_PATTERN: Final = re.compile(rf"[a-zA-Z0-9_-]{{1,{CUSTOM_ID_MAX_LENGTH}}}")
#: `limit` of a list call: 1 to 1000, 20 when not given.
LIST_LIMIT_MIN: Final = 1
LIST_LIMIT_MAX: Final = 1000
LIST_LIMIT_DEFAULT: Final = 20
#: A batch has this long to finish; what is not done then is `expired`.
PROCESSING_WINDOW: Final = timedelta(hours=24)
#: Results can be downloaded for this long after `created_at`.
RESULTS_RETENTION: Final = timedelta(days=29)

#: Keys of the official SDKs' method calls that are not Messages API fields: inside a batch
#: request's `params` the API refuses each ("Extra inputs are not permitted"), hours later. Each
#: maps to what to do instead. (`stream: true` is refused too: a batch answer is never a stream.)
SDK_ONLY_PARAMS: Final = {
    "betas": "put betas on create(betas=...) or the client's betas=",
    "extra_body": "put its fields in params themselves",
    "extra_headers": "put headers on the client (default_headers=, workspace_id=, betas=)",
    "extra_query": "a batch request has no query string; leave it out",
    "timeout": "put timeout on the client or on create(timeout=...)",
}

#: The frame of a create body around the comma-joined requests: `{"requests":[` ... `]}`.
BODY_OPEN: Final = b'{"requests":['
BODY_CLOSE: Final = b"]}"
BODY_FRAME_BYTES: Final = len(BODY_OPEN) + len(BODY_CLOSE)

# -- errors -----------------------------------------------------------------------------------

#: The documented `error.type` of each HTTP status.
STATUS_ERROR_TYPES: Final = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


#: Documented `error.details.error_code` values that change what a caller does
#: (https://docs.anthropic.com/en/api/errors).
#: 429: a ramp limit caps how fast usage grows; wait for `retry-after` and go on.
RAMP_LIMIT_EXCEEDED: Final = "ramp_limit_exceeded"
#: 429: the organisation crossed its tier's monthly spend threshold.
ENFORCED_SPEND_LIMIT_REACHED: Final = "enforced_spend_limit_reached"
#: 429: the organisation reached its contract's spend limit.
CONTRACT_SPEND_LIMIT_REACHED: Final = "contract_spend_limit_reached"
#: 402: the linked organisation reached a spend limit it set, or lacks credit.
LINKED_ORGANIZATION_SPEND_LIMIT_REACHED: Final = "linked_organization_spend_limit_reached"
#: 400: the organisation is on hold.
ORGANIZATION_ON_HOLD: Final = "organization_on_hold"
#: 413: the compressed body is over the size limit once decoded; send smaller batches.
REQUEST_BODY_TOO_LARGE_AFTER_DECODING: Final = "request_body_too_large_after_decoding"
#: Codes after which trying again cannot help (a 429 with one of them is not retried).
STOP_ERROR_CODES: Final = frozenset(
    {
        ENFORCED_SPEND_LIMIT_REACHED,
        CONTRACT_SPEND_LIMIT_REACHED,
        LINKED_ORGANIZATION_SPEND_LIMIT_REACHED,
        ORGANIZATION_ON_HOLD,
    }
)


def error_type_for_status(status: int) -> str:
    """The `error.type` the API uses for an HTTP status: other 4xx are
    `invalid_request_error`, other 5xx `api_error`."""
    known = STATUS_ERROR_TYPES.get(status)
    if known is not None:
        return known
    return "api_error" if status >= 500 else "invalid_request_error"


# -- token counting and prices ----------------------------------------------------------------
# https://docs.anthropic.com/en/api/messages-count-tokens and
# https://docs.anthropic.com/en/docs/about-claude/pricing

#: The free token-counting endpoint; it answers `{"input_tokens": N}`.
COUNT_TOKENS_PATH: Final = "/v1/messages/count_tokens"
#: The fields of a Messages request that the token-counting endpoint takes (no `max_tokens`).
COUNT_TOKENS_FIELDS: Final = ("model", "messages", "system", "tools", "tool_choice", "thinking")

#: The fraction taken off list prices for batch usage.
BATCH_DISCOUNT: Final = 0.5
#: Prompt-cache writes, times the base input price: 5-minute and 1-hour caches.
CACHE_WRITE_5M_FACTOR: Final = 1.25
CACHE_WRITE_1H_FACTOR: Final = 2.0
#: Prompt-cache reads, times the base input price.
CACHE_READ_FACTOR: Final = 0.1
#: The `inference_geo` of requests pinned to US-only inference, and its price multiplier
#: (on input and output alike).
US_INFERENCE_GEO: Final = "us"
US_INFERENCE_FACTOR: Final = 1.1


# -- rate limits ------------------------------------------------------------------------------
# https://docs.anthropic.com/en/api/rate-limits ("Message Batches API" and "Response headers")

#: The most requests per minute allowed (the tier's limit for the endpoint).
RATELIMIT_REQUESTS_LIMIT: Final = "anthropic-ratelimit-requests-limit"
#: The requests left before the limit is reached.
RATELIMIT_REQUESTS_REMAINING: Final = "anthropic-ratelimit-requests-remaining"
#: When the request limit is fully replenished, in RFC 3339 format.
RATELIMIT_REQUESTS_RESET: Final = "anthropic-ratelimit-requests-reset"
