"""`client.messages.batches`: create, retrieve (also `get`), list, iter, cancel, delete, results
and wait."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._encoding import EncodedRequests, encode_requests
from .._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    NotFoundError,
    WaitTimeoutError,
)
from .._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS, STOP_ERROR_CODES
from .._models import BatchRequest, DeletedMessageBatch, MessageBatch, Page
from .._otel import step_span
from .._shared import (
    BATCHES_PATH,
    NOT_GIVEN,
    NotGiven,
    batch_id_of,
    batch_path,
    beta_headers,
    check_id,
    parse_model,
    retry_after,
)
from ._backend import sleep
from .pagination import Pager
from .results import ResultStream

if TYPE_CHECKING:
    from .client import Client, TimeoutTypes

__all__ = ["Batches", "Messages"]

logger = logging.getLogger("anthropic_batches")

#: How long after creation a 404 during wait() is taken for the API's propagation delay.
_PROPAGATION_SECONDS = 60.0


class Messages:
    """The `client.messages` namespace; batches live at `client.messages.batches`."""

    def __init__(self, client: Client) -> None:
        self.batches = Batches(client)


class Batches:
    """The Message Batches resource.

    Args:
        client: The client whose connection and credentials it uses.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        requests: Iterable[BatchRequest | dict[str, Any]],
        *,
        max_requests: int = MAX_BATCH_REQUESTS,
        max_bytes: int = MAX_BATCH_BYTES,
        betas: Sequence[str] | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
    ) -> MessageBatch:
        """Create a batch.

        Every request is checked first (custom_id pattern and uniqueness, required params,
        what the client's API version rejects, the count and size limits), so nothing is sent
        unless all of them pass. A create is retried only when the API said it did not act on
        it, so a batch is never created twice.

        The body is built once, in parts, and written part by part (it is never copied whole).
        Encoding a non-ASCII string makes CPython keep its UTF-8 form beside it, so requests
        with such text hold that much more memory after the call, for as long as they live.

        Args:
            requests: `BatchRequest` models or dicts `{"custom_id": ..., "params": {...}}`.
            max_requests: The most requests a batch may hold (the API's limit: 100,000).
            max_bytes: The largest request body (the API's limit: 256 MB).
            betas: Betas to opt into for this batch, sent as `anthropic-beta` (comma-joined),
                besides the client's `betas`.
            timeout: A timeout for each HTTP request of this call, instead of the client's;
                `None` for no timeout.

        Returns:
            The new batch, `in_progress`.

        Raises:
            BatchValidationError: Some requests are not acceptable; it lists each and why.
        """
        body = encode_requests(
            requests, self._client.api_version, max_requests=max_requests, max_bytes=max_bytes
        )
        return self._create_body(body, betas=betas, timeout=timeout)

    def _create_body(
        self,
        body: EncodedRequests,
        *,
        betas: Sequence[str] | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retry_rate_limit: bool = True,
    ) -> MessageBatch:
        """Create a batch from a body already checked and encoded (a job's part).

        With `retry_rate_limit=False`, a 429 is raised at once (`RateLimitError`), not tried
        again: a job waits for queue room in its own rounds. Other failures are retried as
        for any create.
        """
        headers = None
        if betas:
            known = self._client._settings.betas
            headers = beta_headers([*known, *(b for b in betas if b not in known)])
        response = self._client._send(
            "POST",
            BATCHES_PATH,
            content=body,
            headers=headers,
            timeout=timeout,
            idempotent=False,
            operation="create",
            retry_rate_limit=retry_rate_limit,
        )
        batch = parse_model(MessageBatch, response)
        logger.info("created batch %s", batch.id)
        return batch

    def retrieve(
        self, batch: str | MessageBatch, *, timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    ) -> MessageBatch:
        """A batch's current state (the official SDK's name; `get` is the same method).

        Args:
            batch: A batch id or a `MessageBatch`.
            timeout: A timeout for this call, instead of the client's; `None` for none.

        Raises:
            NotFoundError: No such batch for this key.
        """
        batch_id = batch_id_of(batch)
        response = self._client._send(
            "GET", batch_path(batch_id), timeout=timeout, operation="retrieve", batch_id=batch_id
        )
        return parse_model(MessageBatch, response)

    get = retrieve

    def list(
        self,
        *,
        limit: int | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
    ) -> Pager:
        """Batches, newest first: iterate the answer for every batch across all pages, or
        take its first page.

        `for batch in client.messages.batches.list(limit=100)` walks every page (toward
        older batches; toward newer ones when `before_id` is given), one page in memory at a
        time; the answer also gives the first page, a `Page` with `data`, `has_more`,
        `first_id` and `last_id`, as the official SDK's lists do.

        Args:
            limit: Batches per page, 1 to 1000 (the API's default: 20).
            before_id: Start just before this batch id (newer batches).
            after_id: Start just after this batch id (older batches).
            timeout: A timeout for each page's request, instead of the client's.

        Raises:
            ValueError: `limit` is out of range, or both `before_id` and `after_id` are given.
        """
        return Pager(self, _page_params(limit, before_id, after_id), timeout)

    def _page(
        self, params: dict[str, Any], timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    ) -> Page[MessageBatch]:
        """One page of the list."""
        response = self._client._send(
            "GET", BATCHES_PATH, params=params, timeout=timeout, operation="list"
        )
        return parse_model(Page[MessageBatch], response)

    def iter(
        self,
        *,
        limit: int | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
    ) -> Iterator[MessageBatch]:
        """Every batch across all pages, one page in memory at a time: the same walk as
        iterating `list()`.

        Walks toward older batches (`after_id`), or toward newer ones when `before_id` is given.
        """
        for batch in self.list(limit=limit, before_id=before_id, after_id=after_id):
            yield batch

    def cancel(
        self, batch: str | MessageBatch, *, timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    ) -> MessageBatch:
        """Ask for a batch to be canceled; it moves to `canceling`, then ends.

        Requests already processed keep their results; the rest end `canceled`.

        Args:
            batch: A batch id or a `MessageBatch`.
            timeout: A timeout for this call, instead of the client's; `None` for none.
        """
        batch_id = batch_id_of(batch)
        response = self._client._send(
            "POST",
            batch_path(batch_id, "/cancel"),
            timeout=timeout,
            operation="cancel",
            batch_id=batch_id,
        )
        return parse_model(MessageBatch, response)

    def delete(
        self, batch: str | MessageBatch, *, timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    ) -> DeletedMessageBatch:
        """Delete a batch that has ended (cancel one in progress first).

        Args:
            batch: A batch id or a `MessageBatch`.
            timeout: A timeout for this call, instead of the client's; `None` for none.
        """
        batch_id = batch_id_of(batch)
        response = self._client._send(
            "DELETE", batch_path(batch_id), timeout=timeout, operation="delete", batch_id=batch_id
        )
        return parse_model(DeletedMessageBatch, response)

    def results(
        self, batch: str | MessageBatch, *, timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    ) -> ResultStream:
        """Stream a batch's results, one `BatchResult` at a time, with flat memory.

        Use it as `with ... as results: for r in results` (closed on leaving the
        block), or as a bare `for`. A dropped download is resumed where it stopped, so
        each result comes exactly once.

        Args:
            batch: A batch id, or a `MessageBatch` (its `results_url` is used with no extra
                request when it is on the API's origin).
            timeout: A timeout for each HTTP request of the download, instead of the
                client's; `None` for none.
        """
        if not isinstance(batch, MessageBatch):
            batch_id_of(batch)
        return ResultStream(self._client, batch, timeout=timeout)

    def wait(
        self,
        batch: str | MessageBatch,
        *,
        poll_interval: float = 1.0,
        max_poll_interval: float = 60.0,
        timeout: float | None = None,
        on_poll: Callable[[MessageBatch], object] | None = None,
    ) -> MessageBatch:
        """Poll a batch until it has ended, and return it.

        The interval grows by half each poll from `poll_interval` up to `max_poll_interval`,
        and a `retry-after` on a poll answer is honoured within that cap. Transient errors
        (connection errors, 429, 5xx, 529) that outlast the retry policy do not end the wait;
        nor does a 404 just after creation (the API's propagation delay).

        Args:
            batch: A batch id or a `MessageBatch`.
            poll_interval: Seconds between the first polls.
            max_poll_interval: The longest pause between polls.
            timeout: The overall limit of the wait, in seconds (not of each poll's request,
                which the client's timeout bounds): give up after it; `None` waits as long
                as it takes.
            on_poll: Called with each polled `MessageBatch` (for progress display).

        Raises:
            WaitTimeoutError: `timeout` passed first (also a `TimeoutError`).
        """
        if poll_interval <= 0 or max_poll_interval <= 0:
            raise ValueError("poll_interval and max_poll_interval must be positive")
        if isinstance(batch, MessageBatch):
            if batch.ended:
                return batch
            batch_id, last = batch.id, batch
        else:
            batch_id, last = batch_id_of(batch), None
        with step_span("wait", batch_id, self._client._tracer_provider) as span:
            ended = self._poll(
                batch_id, last, poll_interval, max_poll_interval, timeout, on_poll
            )
            span.set("anthropic_batches.batch.status", ended.processing_status)
            return ended

    def _poll(
        self,
        batch_id: str,
        last: MessageBatch | None,
        poll_interval: float,
        max_poll_interval: float,
        timeout: float | None,
        on_poll: Callable[[MessageBatch], object] | None,
    ) -> MessageBatch:
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        while True:
            asked: float | None = None
            try:
                response = self._client._send(
                    "GET", batch_path(batch_id), operation="retrieve", batch_id=batch_id
                )
            except (APIConnectionError, APIStatusError) as exc:
                if not _transient(exc, last):
                    raise
                logger.info("wait(%s): transient error, polling on: %s", batch_id, exc)
                if isinstance(exc, APIStatusError):
                    asked = retry_after(exc.response.headers)
            else:
                last = parse_model(MessageBatch, response)
                if on_poll is not None:
                    on_poll(last)
                if last.ended:
                    return last
                asked = retry_after(response.headers)
            delay = min(max(interval, asked or 0.0), max_poll_interval)
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeoutError(timeout or 0.0, last)
                delay = min(delay, remaining)
            sleep(delay)
            interval = min(interval * 1.5, max_poll_interval)


def _page_params(limit: int | None, before_id: str | None, after_id: str | None) -> dict[str, Any]:
    if limit is not None and not 1 <= limit <= 1000:
        raise ValueError(f"limit must be from 1 to 1000, not {limit}")
    if before_id is not None and after_id is not None:
        raise ValueError("give before_id or after_id, not both")
    params: dict[str, Any] = {}
    if limit is not None:
        params["limit"] = limit
    if before_id is not None:
        params["before_id"] = check_id(before_id, "before_id")
    if after_id is not None:
        params["after_id"] = check_id(after_id, "after_id")
    return params


def _transient(exc: APIError, last: MessageBatch | None) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, NotFoundError):
        # Just after create, a get may answer 404 for a few seconds, while the batch
        # propagates through the API.
        if last is None:
            return False
        age = (datetime.now(UTC) - last.created_at).total_seconds()
        return age < _PROPAGATION_SECONDS
    assert isinstance(exc, APIStatusError)
    if exc.error_code in STOP_ERROR_CODES:
        return False  # a spend limit or a hold: polling on cannot help
    return exc.status_code in (408, 409, 429) or exc.status_code >= 500
