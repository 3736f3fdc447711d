"""The client: credentials, the HTTP pool, and one `_send` that every call goes through
(retries, redirects that never carry the key to another origin, errors mapped to classes)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from .._encoding import EncodedRequests
from .._exceptions import APIConnectionError, APITimeoutError
from .._otel import CallSpan, call_span
from .._pacing import RequestPacer
from .._shared import (
    DEFAULT_API_VERSION,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    NotGiven,
    Settings,
    error_from_response,
    is_retryable_response,
    retry_after,
    retry_delay,
    same_origin,
    without_credentials,
)
from ._backend import sleep
from .batches import AsyncMessages

__all__ = ["AsyncClient"]

logger = logging.getLogger("anthropic_batches")

TimeoutTypes = float | httpx.Timeout | None
"""A timeout: seconds, an `httpx.Timeout`, or `None` for no timeout at all (as in httpx)."""
MAX_REDIRECTS = 5
#: Failures where the request never reached the server: safe to retry even a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Content = bytes | EncodedRequests | None


async def _parts(body: EncodedRequests) -> AsyncIterator[bytes]:
    for part in body.parts:
        yield part


def _content(body: Content) -> Any:
    """What httpx sends for a body: a body in parts is written part by part (a fresh
    iterator on every attempt), so it is never joined into one copy."""
    if isinstance(body, EncodedRequests):
        return _parts(body)
    return body


def _id_of(response: httpx.Response) -> str | None:
    """The `id` of a JSON answer (a created batch's), for its span; `None` when there is none."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


class AsyncClient:
    """A client of the Message Batches API.

    Args:
        api_key: The API key, sent as `x-api-key`. Defaults to `ANTHROPIC_API_KEY`.
        auth_token: An OAuth-style token, sent as `Authorization: Bearer`, used when there is no
            API key. Defaults to `ANTHROPIC_AUTH_TOKEN`.
        base_url: The API's address. Defaults to `ANTHROPIC_BASE_URL`, then
            `https://api.anthropic.com`.
        api_version: The `anthropic-version` to send: `"2026-10-21"` (the latest) or
            `"2023-06-01"` (which still accepts `temperature`, `top_p` and `top_k`).
        timeout: Seconds (or an `httpx.Timeout`) for each HTTP request; 600 s, 5 s to connect.
            `None` means no timeout, as in httpx. A call's own `timeout=` replaces it.
        max_retries: How many times a failed request is tried again.
        http_client: An `httpx.AsyncClient` to send through; it is not closed by this client.
        default_headers: Headers added to every request.
        workspace_id: The workspace every call acts in, sent as `anthropic-workspace-id`.
            Defaults to `ANTHROPIC_WORKSPACE_ID`; without either, the key's default workspace.
        betas: Betas to opt into on every call, sent as `anthropic-beta` (comma-joined).
        tracer_provider: An OpenTelemetry `TracerProvider` for this client's spans, instead
            of the global one (needs the `otel` extra).
        max_requests_per_minute: When set, every call of this client (all its tasks and
            jobs together) is paced to at most this many HTTP requests in any minute.
            Whether set or not, a 429 with `retry-after`, or an
            `anthropic-ratelimit-requests-remaining: 0` answer, holds every call of the
            client until then, not only the one that got it.

    Raises:
        BatchesError: No API key or token was given or found in the environment.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        auth_token: str | None = None,
        base_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        workspace_id: str | None = None,
        betas: Sequence[str] | None = None,
        tracer_provider: object = None,
        max_requests_per_minute: int | None = None,
    ) -> None:
        self._settings = Settings.resolve(
            api_key=api_key,
            auth_token=auth_token,
            base_url=base_url,
            api_version=api_version,
            max_retries=max_retries,
            default_headers=default_headers,
            workspace_id=workspace_id,
            betas=betas,
        )
        self._headers = self._settings.headers()
        self._pacer = RequestPacer(max_requests_per_minute)
        self._tracer_provider = tracer_provider
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        )
        self.messages = AsyncMessages(self)

    @property
    def base_url(self) -> str:
        """The API's address, without a trailing slash."""
        return self._settings.base_url

    @property
    def api_version(self) -> str:
        """The `anthropic-version` this client sends."""
        return self._settings.api_version

    @property
    def workspace_id(self) -> str | None:
        """The workspace this client's calls act in, or `None` for the key's default."""
        return self._settings.workspace_id

    @property
    def timeout(self) -> TimeoutTypes:
        """The timeout of each HTTP request, unless a call gives its own."""
        return self._timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request is tried again."""
        return self._settings.max_retries

    @property
    def max_requests_per_minute(self) -> int | None:
        """The most HTTP requests this client sends in any minute, or `None` for no cap."""
        return self._pacer.limit

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={self.base_url!r} api_version={self.api_version!r}>"
        )

    async def aclose(self) -> None:
        """Close the HTTP pool, unless it was handed in as `http_client`."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self._settings.base_url + path_or_url

    async def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        content: Content = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        stream: bool = False,
        idempotent: bool = True,
        operation: str = "results",
        batch_id: str | None = None,
        retry_rate_limit: bool = True,
    ) -> httpx.Response:
        """Send a request with the retry policy; return a successful answer.

        With `stream`, the body is left unread (the caller closes the response). With
        `idempotent=False` (a create), a failure after the request may have reached the API
        is not retried, so a batch is never created twice; an error answer still is, since
        the API did not act on it. With `retry_rate_limit=False`, a 429 is returned as it is
        (see `is_retryable_response`). `operation` names the call's span (see `_otel`).

        Raises:
            APIStatusError: The API answered with an error (after the retries).
            APIConnectionError: No answer came (after the retries).
        """
        url = self._url(path_or_url)
        merged = dict(self._headers)
        if headers:
            merged.update(headers)
        if content is not None:
            merged["content-type"] = "application/json"
        if isinstance(content, EncodedRequests):
            # Given a length, httpx sends the parts as they are, not chunked.
            merged["content-length"] = str(content.size)
        chosen = self._timeout if isinstance(timeout, NotGiven) else timeout
        with call_span(operation, method, url, batch_id, self._tracer_provider) as span:
            response = await self._attempts(
                method,
                url,
                content,
                params,
                merged,
                chosen,
                stream,
                idempotent,
                span,
                retry_rate_limit=retry_rate_limit,
            )
            span.answered(response)
            if span.recording and operation == "create":
                span.batch_id(_id_of(response))
            if response.is_success:
                return response
            raise error_from_response(response)

    async def _attempts(
        self,
        method: str,
        url: str,
        content: Content,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        timeout: TimeoutTypes,
        stream: bool,
        idempotent: bool,
        span: CallSpan,
        *,
        retry_rate_limit: bool = True,
    ) -> httpx.Response:
        """Send until an answer worth returning (success, or an error not worth retrying)."""
        retries = self._settings.max_retries
        attempt = 0
        honoured = 0.0  # the end of a shared pause this call already waited through
        while True:
            request = self._http.build_request(
                method,
                url,
                content=_content(content),
                params=params,
                headers=headers,
                timeout=timeout,
            )
            await self._take_turn(honoured)
            try:
                response = await self._send_following(
                    request, content, stream=stream, timeout=timeout
                )
            except httpx.TransportError as exc:
                retry = attempt < retries and (idempotent or isinstance(exc, _NOT_SENT))
                logger.debug("%s %s failed: %r (retry: %s)", method, url, exc, retry)
                if retry:
                    await sleep(retry_delay(attempt))
                    attempt += 1
                    span.resent(attempt)
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise APITimeoutError(request=request) from exc
                hint = "" if idempotent else "; it may have reached the API: check list()"
                raise APIConnectionError(
                    f"Connection error: {type(exc).__name__}: {exc}{hint}", request=request
                ) from exc
            logger.debug(
                "%s %s -> %s (request-id %s)",
                method,
                url,
                response.status_code,
                response.headers.get("request-id"),
            )
            self._pacer.observe(response, retry_after(response.headers))
            if response.is_success:
                return response
            try:
                await response.aread()
            except httpx.TransportError:
                pass
            finally:
                await response.aclose()
            if attempt < retries and is_retryable_response(response, rate_limit=retry_rate_limit):
                await sleep(retry_delay(attempt, response.headers))
                honoured = self._pacer.paused_until
                attempt += 1
                span.resent(attempt)
                continue
            return response

    async def _take_turn(self, honoured: float) -> None:
        """Wait for this call's slot in the request budget and for any shared pause (one
        `honoured` already waited through is not waited again)."""
        delay = self._pacer.reserve(honoured)
        if delay > 0:
            await sleep(delay)

    async def _send_following(
        self,
        request: httpx.Request,
        content: Content,
        *,
        stream: bool,
        timeout: TimeoutTypes,
    ) -> httpx.Response:
        """Send, following redirects by hand: the key and token go only to the first origin."""
        origin = request.url
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._http.send(request, stream=stream, follow_redirects=False)
            if not (response.is_redirect and "location" in response.headers):
                return response
            await response.aclose()
            target = request.url.join(response.headers["location"])
            method = request.method
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method = "GET"
            if method in ("GET", "HEAD"):
                content = None
            # Host and length are set anew for the new request.
            headers = {
                k: v
                for k, v in request.headers.items()
                if k.lower() not in ("host", "content-length")
            }
            if isinstance(content, EncodedRequests):
                headers["content-length"] = str(content.size)
            if not same_origin(target, origin):
                headers = without_credentials(headers)
            request = self._http.build_request(
                method,
                target,
                content=_content(content),
                headers=headers,
                timeout=timeout,
            )
        raise APIConnectionError(f"more than {MAX_REDIRECTS} redirects", request=request)
