"""A job's results: those served from the cache; each part downloaded as soon as it, and every
wanted part before it, has ended (the rounds of `_job_wait` going on between parts), recorded
in the state once all its results were handed out, and stored in the cache as they come; and
the failed requests, read back from the input to be resubmitted.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from .._joins import Missing
from .._models import BatchResult, MessageBatch
from .._otel import PART_INDEX, start_span
from .._split import JobPart, RequestLike
from .._state import PartDownload
from ._backend import run_blocking
from ._job_wait import parts_as_ended

if TYPE_CHECKING:
    import os

    from .jobs import Job

__all__ = ["cached_results", "failed", "in_input_order", "resubmit", "results"]


def results(
    job: Job, include_downloaded: bool, timeout: float | None
) -> Generator[BatchResult]:
    """Every result of the job, part after part (see `Job.results`)."""
    wanted = [p for p in job.parts if include_downloaded or not job.state.parts[p.index].downloaded]
    with closing(_ended_parts(job, wanted, timeout)) as ended:
        for part, batch in ended:
            custom_ids = run_blocking(part.read_custom_ids)
            # Closed here, at once, when the caller stops early (not later, by the collector).
            with closing(_download(job, part, batch, custom_ids)) as download:
                for result in download:
                    yield result


def in_input_order(
    job: Job, timeout: float | None
) -> Generator[BatchResult | Missing]:
    """Every result, lined up with the inputs (see `Job.results_in_input_order`)."""
    with closing(_ended_parts(job, job.parts, timeout)) as ended:
        for part, batch in ended:
            custom_ids = run_blocking(part.read_custom_ids)
            found = {r.custom_id: r for r in _download(job, part, batch, custom_ids)}
            for cid in custom_ids:
                result = found.pop(cid, None)
                yield result if result is not None else Missing(cid)


def _ended_parts(
    job: Job, parts: Sequence[JobPart], timeout: float | None
) -> Generator[tuple[JobPart, MessageBatch]]:
    """`parts_as_ended` in a `job.wait` span (not the current one: it stays open across
    the reader's code between parts)."""
    span, end = start_span("job.wait", None, job._client._tracer_provider)
    span.set("anthropic_batches.job.parts", len(parts))
    try:
        with closing(parts_as_ended(job, parts, timeout)) as ended:
            for item in ended:
                yield item
    except BaseException as exc:
        end(None if isinstance(exc, GeneratorExit) else exc)
        raise
    end(None)


def _download(
    job: Job, part: JobPart, batch: MessageBatch, custom_ids: list[str]
) -> Generator[BatchResult]:
    download = PartDownload(part, batch.id, job.state_path, custom_ids=custom_ids)
    cache, kept = job._cache, []  # stored in the cache 1,000 at a time
    keys = None if cache is None else run_blocking(cache.keys, part)
    # Not the current span: it stays open across the reader's code between results.
    span, end = start_span("job.download_part", batch.id, job._client._tracer_provider)
    span.set(PART_INDEX, part.index)
    try:
        with job._client.messages.batches.results(batch) as stream:
            for result in stream:
                download.add(result)  # refuses a result of another part's request
                if cache is not None and keys is not None:
                    kept.append(result)
                    if len(kept) == 1000:
                        run_blocking(cache.store, keys, kept)
                        kept = []
                yield result
        if cache is not None and keys is not None and kept:
            run_blocking(cache.store, keys, kept)
        download.record(job.state.parts[part.index])
        job._save()
    except BaseException as exc:
        end(None if isinstance(exc, GeneratorExit) else exc)
        raise
    end(None)


def cached_results(job: Job) -> Generator[BatchResult]:
    """The results served from the cache (see `Job.cached_results`)."""
    for start in range(0, job.cached, 1000):
        assert job._cache is not None
        for result in run_blocking(job._cache.results, start, start + 1000):
            yield result


def failed(job: Job, retryable_only: bool) -> Iterator[RequestLike]:
    """The requests whose results were `errored` or `expired`, in input order."""
    for part, saved in zip(job.parts, job.state.parts, strict=True):
        failed = {f.custom_id for f in saved.failed if f.retryable or not retryable_only}
        if failed:
            yield from part.read_matching(failed)


def resubmit(
    job: Job, retryable_only: bool, state_path: str | os.PathLike[str] | None
) -> Job:
    """A new job of the requests that failed, same settings (see `Job.resubmit`)."""
    found = failed(job, retryable_only)
    first = next(found, None)
    if first is None:
        raise ValueError("no request failed: there is nothing to resubmit")
    mine = job.state_path.resolve() if job.state_path is not None else None
    if state_path is not None and Path(state_path).resolve() == mine:
        raise ValueError("the resubmitted job needs its own state file")
    from .jobs import Job  # here: jobs imports this module

    return Job(
        job._client,
        itertools.chain([first], found),
        state_path=state_path,
        on_progress=job.on_progress,
        **job._limits,
        **job._polling,
    )
