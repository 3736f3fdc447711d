"""I/O-free pieces shared by the async and sync clients: settings, headers, URLs, the retry
policy and the mapping of error answers to exceptions. Written once, tested once."""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ._api_errors import (
    APIResponseValidationError,
    APIStatusError,
    BatchesError,
    status_error_class,
)
from ._facts import (
    API_VERSIONS,
    BATCHES_PATH,
    BETA_HEADER,
    DEFAULT_API_VERSION,
    STOP_ERROR_CODES,
    WORKSPACE_ENV,
    WORKSPACE_HEADER,
)
from ._models import MessageBatch
from ._version import __version__

__all__ = [
    "API_VERSIONS",
    "BATCHES_PATH",
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "NotGiven",
    "Settings",
    "beta_headers",
    "batch_id_of",
    "batch_path",
    "error_from_response",
    "parse_model",
    "is_retryable_response",
    "retry_delay",
    "same_origin",
]

DEFAULT_BASE_URL = "https://api.anthropic.com"
#: As the official SDKs: 600 s overall, 5 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)

#: Retry-After values beyond this are not waited on in full (the official SDKs use 60 s).
MAX_RETRY_AFTER = 60.0
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
RETRYABLE_STATUSES = frozenset({408, 409, 429})
USER_AGENT = f"anthropic-batches/{__version__} (python; httpx/{httpx.__version__})"


class NotGiven:
    """The type of `NOT_GIVEN`: an argument left out, told apart from `None` (which, for a
    timeout, means no timeout at all, as in httpx and the official SDK)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


#: The default of a per-call `timeout`: the client's timeout applies.
NOT_GIVEN: Final = NotGiven()


def beta_headers(betas: Sequence[str] | None) -> dict[str, str]:
    """The `anthropic-beta` header of some betas, comma-joined; none for no betas."""
    if betas is None:
        return {}
    if isinstance(betas, str):
        raise TypeError("betas must be a list of beta names, not a str")
    names = [b.strip() for b in betas if b.strip()]
    return {BETA_HEADER: ",".join(names)} if names else {}


@dataclass(frozen=True, repr=False)
class Settings:
    """What a client was built with, resolved from arguments and the environment."""

    api_key: str | None
    auth_token: str | None
    base_url: str
    api_version: str
    max_retries: int
    default_headers: Mapping[str, str]
    workspace_id: str | None = None
    betas: tuple[str, ...] = ()

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        auth_token: str | None,
        base_url: str | None,
        api_version: str,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        workspace_id: str | None = None,
        betas: Sequence[str] | None = None,
    ) -> Settings:
        key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY") or None
        token = (
            auth_token if auth_token is not None else os.environ.get("ANTHROPIC_AUTH_TOKEN") or None
        )
        if not key and not token:
            raise BatchesError(
                "No credential: pass api_key= (or auth_token=), or set the ANTHROPIC_API_KEY "
                "(or ANTHROPIC_AUTH_TOKEN) environment variable."
            )
        if api_version not in API_VERSIONS:
            raise ValueError(
                f"api_version={api_version!r} is not one the API serves; use one of "
                + ", ".join(repr(v) for v in API_VERSIONS)
            )
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"base_url={url!r} is not an http(s) URL")
        workspace = (
            workspace_id if workspace_id is not None else os.environ.get(WORKSPACE_ENV) or None
        )
        beta_headers(betas)  # refuses a bare string
        return cls(
            workspace_id=workspace or None,
            betas=tuple(betas or ()),
            api_key=key or None,
            auth_token=token or None,
            base_url=url.rstrip("/"),
            api_version=api_version,
            max_retries=max_retries,
            default_headers=dict(default_headers or {}),
        )

    def headers(self) -> dict[str, str]:
        """The headers every request carries: version, credential, user agent, defaults."""
        headers = {
            "anthropic-version": self.api_version,
            "user-agent": USER_AGENT,
            "accept": "application/json",
        }
        if self.workspace_id:
            headers[WORKSPACE_HEADER] = self.workspace_id
        headers.update(beta_headers(self.betas))
        headers.update(self.default_headers)
        if self.api_key:
            headers["x-api-key"] = self.api_key
        elif self.auth_token:
            headers["authorization"] = f"Bearer {self.auth_token}"
        return headers

    def __repr__(self) -> str:
        cred = "api_key=***" if self.api_key else "auth_token=***"
        return f"Settings({cred}, base_url={self.base_url!r}, api_version={self.api_version!r})"


CREDENTIAL_HEADERS = ("x-api-key", "authorization")


def without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with the key and token taken out (for another origin, or for logging)."""
    return {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}


def check_id(batch_id: str, what: str = "batch_id") -> str:
    """Refuse an empty or non-string id before any I/O."""
    if not isinstance(batch_id, str):
        raise TypeError(f"{what} must be a str, not {type(batch_id).__name__}")
    if not batch_id.strip():
        raise ValueError(f"{what} must be a non-empty string")
    return batch_id


def batch_id_of(batch: str | MessageBatch, what: str = "batch") -> str:
    """The id of a batch given as its id or as a `MessageBatch`, refused before any I/O when
    it is neither or empty."""
    if isinstance(batch, MessageBatch):
        return batch.id
    if not isinstance(batch, str):
        raise TypeError(
            f"{what} must be a batch id (str) or a MessageBatch, not {type(batch).__name__}"
        )
    return check_id(batch, what)


def batch_path(batch_id: str, suffix: str = "") -> str:
    """The path of one batch, with its id escaped so it stays one path segment."""
    return f"{BATCHES_PATH}/{quote(check_id(batch_id), safe='')}{suffix}"


def same_origin(a: httpx.URL | str, b: httpx.URL | str) -> bool:
    """Whether two URLs share scheme, host and port (the default port made explicit)."""
    ua, ub = httpx.URL(a), httpx.URL(b)
    return ua.scheme == ub.scheme and ua.host.lower() == ub.host.lower() and _port(ua) == _port(ub)


def _port(url: httpx.URL) -> int | None:
    if url.port is not None:
        return url.port
    return {"http": 80, "https": 443}.get(url.scheme)


def results_url(settings: Settings, batch_id: str, advertised: str | None) -> str:
    """Where to download results from.

    The batch's `results_url` is used when it is on the API's own origin; any other origin is
    never trusted with the credential, so the canonical path under `base_url` is used instead.
    """
    if advertised and same_origin(advertised, settings.base_url):
        return advertised
    return settings.base_url + batch_path(batch_id, "/results")


# -- retries ----------------------------------------------------------------------------------


def is_retryable_response(response: httpx.Response, *, rate_limit: bool = True) -> bool:
    """Whether an error answer is worth another try, as the official SDKs decide it.

    https://github.com/anthropics/anthropic-sdk-python#retries

    With `rate_limit=False` a 429 is never tried again here, whatever its headers say: the
    caller waits for room itself (a job's create, refused while the processing queue is full,
    waits in the job's rounds for `retry-after` or for one of its batches to end).
    """
    if response.status_code == 429 and not rate_limit:
        return False
    override = response.headers.get("x-should-retry")
    if override == "true":
        return True
    if override == "false":
        return False
    if error_code_of(_json_body(response)) in STOP_ERROR_CODES:
        # A spend limit or a hold: another try gets the same answer.
        return False
    return response.status_code in RETRYABLE_STATUSES or response.status_code >= 500


def retry_after(headers: httpx.Headers | None, *, now: float | None = None) -> float | None:
    """The wait the server asked for, in seconds, from `retry-after-ms` or `retry-after`."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return float(raw_ms) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() - (time.time() if now is None else now)


def retry_delay(attempt: int, headers: httpx.Headers | None = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based).

    A server-given wait between 0 and 60 s is honoured; otherwise exponential backoff from
    0.5 s, capped at 8 s, with a jitter of 0.75 to 1.
    """
    asked = retry_after(headers)
    if asked is not None and 0 <= asked <= MAX_RETRY_AFTER:
        return asked
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * random.random())


# -- errors -----------------------------------------------------------------------------------


def _json_body(response: httpx.Response) -> Any:
    """The body decoded as JSON, or its text when it is not JSON (an HTML 502 from a proxy)."""
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return response.text


def _inner(body: object) -> dict[str, Any]:
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


def error_code_of(body: object) -> str | None:
    """`error.details.error_code` of an error body, when it is a string."""
    details = _inner(body).get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    return code if isinstance(code, str) and code else None


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Map an error answer (its body already read) to the right exception.

    The class is picked by status and `error.details.error_code`, then by status alone. A body
    that is not the documented JSON shape still gives the class for its status, with a
    readable message.
    """
    body = _json_body(response)
    inner = _inner(body)
    err_type = inner.get("type") if isinstance(inner.get("type"), str) else None
    message = inner.get("message") if isinstance(inner.get("message"), str) else None
    details = inner.get("details") if isinstance(inner.get("details"), dict) else None
    code = error_code_of(body)
    request_id = response.headers.get("request-id")
    if request_id is None and isinstance(body, dict) and isinstance(body.get("request_id"), str):
        request_id = body["request_id"]
    if message is None:
        reason = response.reason_phrase or "error"
        if isinstance(body, str) and body.strip():
            snippet = " ".join(body.split())[:200]
            message = f"{reason} (non-JSON body: {snippet})"
        else:
            message = reason
    cls = status_error_class(response.status_code, code)
    return cls(
        message,
        response=response,
        body=body,
        type=err_type,
        request_id=request_id,
        error_code=code,
        details=details,
    )


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], response: httpx.Response) -> M:
    """Validate a JSON answer into a model.

    Raises:
        APIResponseValidationError: The answer is not JSON, or does not fit the model.
    """
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise APIResponseValidationError(
            f"unexpected answer from {response.request.method} {response.request.url}: "
            f"{exc.error_count()} problem(s), first: {where + ': ' if where else ''}"
            f"{first['msg']}",
            response=response,
            body=_json_body(response),
        ) from None
