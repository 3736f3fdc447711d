"""Large jobs: split a dataset of requests into batches, submit, wait, stream the results.

A job cuts its requests into as few batches as the limits allow, submits each part once,
polls them until every one has ended, and streams every result as one iterator. With a state
file it survives a crash or Ctrl-C: a re-run never submits a part that already has a batch id
and never downloads a part already downloaded, since the state is saved after every change.

Its memory does not grow with its size: the requests are read once, as they are checked, and
each part is a byte range of a file (the requests file, or a spool file the requests of any
other iterable are written to), read back only while it is submitted or joined to its results.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator, Callable, Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from .._budget import Budget, BudgetExceeded, committed
from .._cache import CacheHits, ResponseCache
from .._facts import MAX_BATCH_BYTES, MAX_BATCH_REQUESTS
from .._job_options import JobOptions, JobSettings, Limits, Polling
from .._joins import Missing
from .._models import BatchResult, MessageBatch
from .._prices import PricesLike, load_prices
from .._progress import JobProgress, ProgressCallback, job_progress
from .._rounds import has_room
from .._split import JobPart, RequestLike
from .._state import JobState
from .._stores import JobStore
from .._stores._plan import worker_id
from .._usage import UsageSummary
from . import _job_open, _job_results, _job_submit, _job_work
from ._backend import Lock
from ._job_submit import in_processing
from ._job_wait import wait_parts

if TYPE_CHECKING:
    from .._output_parts import PartsOutput
    from .client import Client

__all__ = ["Job"]


class Job:
    """A job of any number of requests, run as one or more batches.

    Creating a job checks every request (as `create` does, with `custom_id` unique across the
    whole job) and splits them; nothing is sent until `submit()` or `wait()`. The requests
    are read once and not kept: they are written, as they are checked, to a spool file beside
    the state file (`STATE.requests.jsonl`; a temporary file without one), and each part is
    read back from it when it is submitted. For a requests file, `from_file` reads the file
    itself back instead.

    Args:
        client: The client to send through.
        requests: `BatchRequest` models or dicts `{"custom_id": ..., "params": {...}}`: any
            iterable (a list, a generator, a database cursor), read once.
        state_path: A file recording which part went to which batch and what was downloaded.
            If it exists, the job resumes from it (and refuses a different set of requests,
            or one submitted to another server or with another API key).
            It is read here, and written from the first create on.
        max_requests: The most requests per batch (the API's limit: 100,000).
        max_bytes: The largest create body per batch (the API's limit: 256 MB).
        poll_interval: Seconds between the first polls of each batch; the interval grows.
        max_poll_interval: The longest pause between polls.
        on_progress: Called with a `JobProgress` after each submit and each poll.
        max_cost: A cap, in US dollars, on what the job's batches can cost: before each
            create, the part's upper bound at batch prices (every answer at its
            `max_tokens`) is added to what is committed already (kept in the state, so a
            re-run counts earlier runs); a part that would pass the cap is not submitted
            (see `budget_stop`), and the parts submitted are still waited for.
        prices: Prices laid over the bundled table for the cap (see `load_prices`).
        cache: A response cache (a path, for a SQLite file, or a `ResponseCache`): requests
            it has a `succeeded` result for are not planned nor sent, and their results come
            from `cached_results()`; the `succeeded` results downloaded are stored in it. A
            cached answer is the same answer, not a fresh sample.
        max_queued_requests: The most of this job's requests in processing at once, to
            leave room in the organisation's processing queue for others; a part waits
            until it fits. `None` (the default) submits as the API accepts.
        store: Where the job's state lives instead of `state_path`: a `JobStore`, a state
            file's path, or a `postgresql://` URL for a store shared by several workers
            (see `work()` and `open()`); the requests are then those of a file every
            worker can read (`from_file`), and the job is run by `work()`, which leases
            each part before it creates or saves anything of it.
        name: The job's name in the store (needed with a shared store).

    Raises:
        BatchValidationError: Some requests are not acceptable; it lists every one and why.
        JobStateError: `state_path` is unreadable, belongs to a different job, or its folder
            cannot take the spool file.
        PriceFileError: `prices` (or the `ANTHROPIC_BATCHES_PRICES` file) is not a price table.

    Example:
        ```python
        job = Job(client, requests, state_path="job.state.json")
        job.wait()
        for result in job.results():
            ...
        print(job.usage.cost().total)
        ```
    """

    # Set by `_job_open.open_state`.
    parts: list[JobPart]
    state: JobState
    state_path: Path | None
    resumed: bool
    _store: JobStore | None
    _owns_store: bool
    _cache: CacheHits | None

    def __init__(
        self,
        client: Client,
        requests: Iterable[RequestLike],
        *,
        state_path: str | os.PathLike[str] | None = None,
        max_requests: int = MAX_BATCH_REQUESTS,
        max_bytes: int = MAX_BATCH_BYTES,
        poll_interval: float = 1.0,
        max_poll_interval: float = 60.0,
        on_progress: ProgressCallback | None = None,
        max_cost: float | None = None,
        prices: PricesLike | None = None,
        cache: str | os.PathLike[str] | ResponseCache | None = None,
        max_queued_requests: int | None = None,
        store: JobStore | str | os.PathLike[str] | None = None,
        name: str | None = None,
    ) -> None:
        if max_queued_requests is not None and max_queued_requests < 1:
            raise ValueError(f"max_queued_requests must be at least 1, not {max_queued_requests}")
        #: The job's name in its store; this worker's id, and how long its leases last.
        self.name, self.worker, self.lease_ttl = name, worker_id(), 60.0
        self._client = client
        self.max_queued_requests = max_queued_requests
        self._waiting: set[int] = set()
        #: The parts this worker holds leases on, while it works (`work()`).
        self._held: set[int] = set()
        self._limits: Limits = {"max_requests": max_requests, "max_bytes": max_bytes}
        self._polling: Polling = {
            "poll_interval": poll_interval,
            "max_poll_interval": max_poll_interval,
        }
        self.on_progress = on_progress
        self.max_cost = max_cost
        self._budget = None if max_cost is None else Budget(max_cost, load_prices(prices))
        #: Why submitting stopped short, under `max_cost`: the part that would pass the cap
        #: and every part after it have no batch (`None` when nothing was held back).
        self.budget_stop: BudgetExceeded | None = None
        self._batches: dict[int, MessageBatch] = {}
        self._save_lock = Lock()
        _job_open.open_state(self, requests, state_path=state_path, cache=cache, store=store)
        self._started = time.monotonic()

    @classmethod
    def from_file(
        cls,
        client: Client,
        path: str | os.PathLike[str],
        *,
        on_lines: Callable[[int], object] | None = None,
        **options: Unpack[JobOptions],
    ) -> Job:
        """A job of the requests in a `.jsonl` file (one request object per line).

        The file is read once, in one streaming pass that checks every line and records each
        part's byte range; each part is read back from the file when it is submitted, and
        refused if the file changed since (nothing of it is sent). Nothing is spooled.

        Args:
            client: The client to send through.
            path: The requests file (see `read_requests`).
            on_lines: Called with the number of lines checked so far, every 100,000 lines.
            **options: The settings of `Job`, by keyword: `state_path`,
                `max_requests`, `max_bytes`, `poll_interval`, `max_poll_interval`,
                `on_progress`, `max_cost`, `prices`, `cache`, `max_queued_requests`,
                `store` and `name`.

        Raises:
            RequestsFileError: The file cannot be read or has bad lines (all listed).
            JobStateError: As for `Job`.
        """
        return _job_open.from_file(cls, client, path, on_lines, options)

    @classmethod
    def open(
        cls,
        client: Client,
        store: JobStore | str | os.PathLike[str],
        name: str,
        **options: Unpack[JobSettings],
    ) -> Job:
        """A job already in a shared store, to work on (see `work()`): its parts are rebuilt
        from the stored plan, and each is read from the job's input by its byte range when
        it is submitted or downloaded (checked then against its digest); the whole input is
        never read. It reads the store: a blocking call.

        Args:
            client: The client to send through (same server and key as the job's).
            store: The store (a `JobStore` or its URL).
            name: The job's name there.
            **options: Other settings of `Job` (`poll_interval`, `on_progress`, ...).

        Raises:
            JobStoreError: There is no such job, or the store cannot be reached.
            JobStateError: The job was submitted to another server or with another key.
        """
        return _job_open.open_job(cls, client, store, name, options)

    def work(
        self,
        output: PartsOutput | str | os.PathLike[str],
        *,
        lease_ttl: float = 60.0,
        max_leases: int = 4,
        combine: bool = False,
    ) -> dict[str, Any]:
        """Work on the job with whatever other workers share its store, until every part's
        results are in `output`: lease parts (up to `max_leases` at a time), create their
        batches, poll them, write each ended part to `output` as one object, and mark it
        downloaded. A part whose worker died is taken over once its lease expires. Then
        write the manifest (and, with `combine`, one object of every part).

        Args:
            output: A `PartsOutput`, or the output folder's path or URL.
            lease_ttl: Seconds a lease lasts unless renewed (renewed every round and before
                each create).
            max_leases: The most parts this worker holds at once.
            combine: Also write every part's results as one object, in part order.

        Returns:
            The manifest written (parts, batch ids, counts, usage).
        """
        self.lease_ttl = lease_ttl
        return _job_work.work(self, output, max_leases=max_leases, combine=combine)

    def close(self) -> None:
        """Close the store the job opened from a URL (a `JobStore` given to it stays open:
        it is the caller's to close)."""
        if self._owns_store and self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        n = len(self.parts)
        return f"<{type(self).__name__} {self.state.requests} requests in {n} part(s)>"

    # -- reading the job ----------------------------------------------------------------------

    def part_requests(self, index: int) -> list[dict[str, Any]]:
        """One part's requests, read back from its byte range of the input (dicts, in input
        order); the job keeps none in memory. It reads a file: a blocking call."""
        return self.parts[index].read_requests()

    @property
    def finished(self) -> bool:
        """Whether every part's results were downloaded (by this run or an earlier one)."""
        return self.state.finished

    @property
    def batch_ids(self) -> list[str | None]:
        """Each part's batch id, `None` for a part not submitted yet."""
        return [p.batch_id for p in self.state.parts]

    @property
    def usage(self) -> UsageSummary:
        """Counts, tokens and cost of every part downloaded so far (this run and earlier ones)."""
        return self.state.usage()

    @property
    def committed_cost(self) -> float:
        """Under `max_cost`, the upper bound of every part submitted, by this run or an
        earlier one (US dollars at batch prices); `0.0` without a cap."""
        return committed(self.state)

    @property
    def cached(self) -> int:
        """How many requests are served from the cache (not in any part)."""
        return 0 if self._cache is None else len(self._cache.hits)

    def cached_results(self) -> Generator[BatchResult]:
        """The results of the requests served from the cache, each with its own request's
        `custom_id`, in input order (read from the cache, through the backend's
        `run_blocking`). They are the answers stored earlier, not fresh samples."""
        with closing(_job_results.cached_results(self)) as found:
            for result in found:
                yield result

    def progress(self) -> JobProgress:
        """A snapshot of every part, as last seen."""
        elapsed = time.monotonic() - self._started
        return job_progress(
            self.parts,
            self.state.parts,
            self._batches,
            elapsed=elapsed,
            now=datetime.now(UTC),
            waiting=self._waiting,
        )

    # -- submitting and waiting ---------------------------------------------------------------

    def submit(self) -> list[str]:
        """Create a batch for every part that has none yet, saving the state after each.

        Under `max_cost`, submitting stops at the first part that would pass the cap: it and
        the parts after it are not submitted, and `budget_stop` says why.

        Returns:
            The batch id of every part submitted, in part order.
        """
        return _job_submit.submit(self)

    def has_room(self, index: int) -> bool:
        """Whether part `index` fits under `max_queued_requests` now (always without it)."""
        return has_room(in_processing(self), len(self.parts[index]), self.max_queued_requests)

    def submit_part(self, index: int) -> str:
        """Create the batch of one part, unless the state says it was created already.

        A create refused with a rate limit (the processing queue is full) raises
        `RateLimitError` at once, without the client's own retries: `wait()` and `results()`
        wait for queue room instead.

        Returns:
            The part's batch id.

        Raises:
            RateLimitError: The API has no room for the part now.
            BudgetExceeded: Under `max_cost`, the part would pass the cap (nothing is sent).
            UnpricedModelError: Under `max_cost`, a request names a model with no price.
        """
        return _job_submit.submit_part(self, index)

    def wait(self, *, timeout: float | None = None) -> list[MessageBatch]:
        """Submit what is not submitted, then wait until every part's batch has ended.

        A part is created when it has queue room (see `max_queued_requests`); a create
        refused with a rate limit (the organisation's processing queue is full) waits for
        `retry-after`, or a batch of the job ending, and is tried again. The unfinished
        batches are polled together, with one list page per round (a batch the page does not
        show is asked for on its own), at a growing interval, until all have ended;
        `on_progress` is called after each poll. Counts move only when a whole batch ends.

        Args:
            timeout: Give up after this many seconds; `None` waits as long as it takes.

        Returns:
            Every submitted part's ended batch, in part order.

        Raises:
            WaitTimeoutError: `timeout` passed before every batch ended.
            APIStatusError: A code waiting cannot help (`error_code` of a spend limit
                reached, an organisation on hold): the job stops at once; its state is kept
                and its submitted batches keep running.
        """
        return wait_parts(self, self.parts, timeout)

    def cancel(self) -> list[MessageBatch]:
        """Ask for every submitted batch that has not ended to be canceled.

        Requests already processed keep their results; the rest end `canceled`. A batch
        that has ended since it was last seen cannot be canceled: it is recorded as ended,
        and the others are still canceled.

        Returns:
            The batches a cancel was sent for, as the API answered.

        Raises:
            APIStatusError: The API refused a cancel, and not because the batch had ended.
        """
        return _job_submit.cancel(self)

    # -- results ------------------------------------------------------------------------------

    def results(
        self,
        *,
        include_downloaded: bool = False,
        timeout: float | None = None,
    ) -> Generator[BatchResult]:
        """Every result of the job, part after part, one at a time with flat memory.

        Submits and waits as `wait()` does, and downloads each part as soon as its batch,
        and every wanted part's batch before it, has ended: the first parts are read while
        later ones still wait for queue room or for their batch to end (the rounds go on
        between parts). Within a part, results come in the API's order; use
        `results_in_input_order()` to line them up with the inputs. Once a part's results
        have all been handed out, the state marks it downloaded and keeps its usage and its
        failed `custom_id`s, so a re-run does not download it again.

        Args:
            include_downloaded: Also download the parts an earlier run downloaded.
            timeout: Give up waiting after this many seconds (the time spent reading results
                is not counted).

        Raises:
            WaitTimeoutError: `timeout` passed before every batch ended.
            APIStatusError: As for `wait()`, a code waiting cannot help stops the job.
        """
        with closing(_job_results.results(self, include_downloaded, timeout)) as found:
            for result in found:
                yield result

    def results_in_input_order(
        self, *, timeout: float | None = None
    ) -> Iterator[BatchResult | Missing]:
        """Every result, lined up with the inputs: a `Missing` where an input has no result.

        Part by part (including those an earlier run downloaded), each as soon as it and
        every part before it has ended (see `results()`): a part's results are gathered, then
        handed out in the order of its requests, read back from the input. So memory holds
        one part's results at most, whatever the size of the job.

        Args:
            timeout: Give up waiting after this many seconds (the time spent reading results
                is not counted).

        Raises:
            WaitTimeoutError: `timeout` passed before every batch ended.
            APIStatusError: As for `wait()`, a code waiting cannot help stops the job.
        """
        with closing(_job_results.in_input_order(self, timeout)) as found:
            for result in found:
                yield result

    # -- resubmitting -------------------------------------------------------------------------

    def failed_requests(self, *, retryable_only: bool = False) -> list[RequestLike]:
        """The requests whose results were `errored` or `expired`, in input order.

        Known for the parts downloaded so far (by this run or an earlier one); read back
        from the input part by part (a blocking call), only for the parts with a failure.

        Args:
            retryable_only: Keep expired results and only the errors worth trying again
                (`overloaded_error`, `api_error`, ...), not errors in the request itself.
        """
        return list(_job_results.failed(self, retryable_only))

    def resubmit(
        self,
        *,
        retryable_only: bool = False,
        state_path: str | os.PathLike[str] | None = None,
    ) -> Job:
        """A new job of the requests that failed (see `failed_requests()`), same settings.

        Nothing is sent until the new job is submitted or waited for.

        Args:
            retryable_only: Only expired results and errors worth trying again.
            state_path: The new job's own state file (not this job's).

        Raises:
            ValueError: No request failed, so there is nothing to resubmit.
        """
        return _job_results.resubmit(self, retryable_only, state_path)

    # -- internals ----------------------------------------------------------------------------

    def _save(self, index: int | None = None) -> None:
        """Write the state through the backend's `run_blocking`, one write at a time, each
        of the state as it is when it starts: the file never goes back to an older state.
        In a shared store, only part `index` is written, and only while this worker holds
        its lease (else `LeaseLost`)."""
        _job_open.save(self, index)

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())
