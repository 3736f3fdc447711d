"""OpenTelemetry spans of the SDK's calls, when `opentelemetry-api` is installed (the `otel`
extra); without it, nothing is imported and every span is a no-op.

Each call to the API (with its retries) is one `CLIENT` span named as the official SDK names
its batch spans (`anthropic.messages.batches.create`, `.retrieve`, `.list`, `.cancel`,
`.delete`, `.results`), with the attribute names it uses: `anthropic.message.batch.id`,
`http.response.status_code`, `anthropic.request.id`, `http.request.resend_count`, ... A wait and
a whole results download are spans too (`anthropic_batches.wait`,
`anthropic_batches.results`), the parents of their calls' spans. Spans go to the client's
`tracer_provider`, else to the global one the application has set
(https://opentelemetry.io/docs/languages/python/instrumentation/).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

import httpx

from ._facts import WORKSPACE_HEADER
from ._version import __version__

__all__ = [
    "PART_INDEX",
    "SCOPE",
    "SPAN_PREFIX",
    "CallSpan",
    "call_span",
    "start_span",
    "step_span",
]

#: The instrumentation scope of this package's spans.
SCOPE = "anthropic_batches"
#: The official SDK's prefix of its batch spans.
SPAN_PREFIX = "anthropic.messages.batches."
#: The attribute of a job step's span that says which part of the job it is about.
PART_INDEX = "anthropic_batches.job.part"
BATCH_ID = "anthropic.message.batch.id"

_UNSET: Any = object()
_trace: Any = _UNSET


def _api() -> Any:
    """`opentelemetry.trace`, imported on first use; `None` when it is not installed."""
    global _trace
    if _trace is _UNSET:
        try:
            from opentelemetry import trace
        except ImportError:
            trace = None  # type: ignore[assignment]
        _trace = trace
    return _trace


class CallSpan:
    """The span of one call, or a stand-in that records nothing."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    @property
    def recording(self) -> bool:
        """Whether this is a span (not the stand-in used without OpenTelemetry)."""
        return self._span is not None

    def set(self, name: str, value: str | int | bool | None) -> None:
        """Set an attribute (a `None` value sets nothing)."""
        if self._span is not None and value is not None:
            self._span.set_attribute(name, value)

    def batch_id(self, batch_id: str | None) -> None:
        """Set the batch id (known only from the answer, for a create)."""
        self.set(BATCH_ID, batch_id)

    def resent(self, count: int) -> None:
        """Note how many times the request has been sent again (the retries so far)."""
        self.set("http.request.resend_count", count)

    def answered(self, response: httpx.Response) -> None:
        """Set what the final answer tells: its status, request id and workspace."""
        if self._span is None:
            return
        self.set("http.response.status_code", response.status_code)
        self.set("anthropic.request.id", response.headers.get("request-id"))
        self.set("anthropic.workspace.id", response.headers.get(WORKSPACE_HEADER))


_NO_SPAN = CallSpan()


@contextmanager
def _span(
    name: str, kind: str, attributes: Mapping[str, Any], provider: object
) -> Iterator[CallSpan]:
    trace = _api()
    if trace is None:
        yield _NO_SPAN
        return
    tracer = trace.get_tracer(SCOPE, __version__, tracer_provider=provider)
    clean = {k: v for k, v in attributes.items() if v is not None}
    with tracer.start_as_current_span(
        name, kind=getattr(trace.SpanKind, kind), attributes=clean
    ) as span:
        try:
            yield CallSpan(span)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            raise


def call_span(
    operation: str, method: str, url: str, batch_id: str | None, provider: object = None
) -> Any:  # a context manager of CallSpan
    """The span of one API call (all its attempts): `anthropic.messages.batches.<operation>`.
    Without OpenTelemetry, a stand-in that costs nothing is all there is to it."""
    if _api() is None:
        return nullcontext(_NO_SPAN)
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return _span(
        SPAN_PREFIX + operation,
        "CLIENT",
        {
            "gen_ai.provider.name": "anthropic",
            "http.request.method": method,
            "server.address": parsed.host,
            "server.port": port,
            BATCH_ID: batch_id,
        },
        provider,
    )


def step_span(
    name: str, batch_id: str | None, provider: object = None
) -> Any:  # a context manager of CallSpan
    """The span of a step made of several calls (a wait): `anthropic_batches.<name>`."""
    return _span(f"{SCOPE}.{name}", "INTERNAL", {BATCH_ID: batch_id}, provider)


def start_span(name: str, batch_id: str | None, provider: object = None) -> tuple[CallSpan, Any]:
    """A step's span that is not made the current one (for a download read across yields of
    a generator, where a current span would leak into the reader's code); end it with the
    second item (a callable taking the error, or `None`)."""
    trace = _api()
    if trace is None:
        return _NO_SPAN, _no_end
    tracer = trace.get_tracer(SCOPE, __version__, tracer_provider=provider)
    attributes = {BATCH_ID: batch_id} if batch_id else {}
    span = tracer.start_span(f"{SCOPE}.{name}", kind=trace.SpanKind.INTERNAL, attributes=attributes)

    def end(error: BaseException | None) -> None:
        if error is not None:
            span.set_attribute("error.type", type(error).__name__)
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        span.end()

    return CallSpan(span), end


def _no_end(error: BaseException | None) -> None:
    return None
