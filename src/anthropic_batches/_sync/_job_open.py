"""How a job opens: its store and state (read first, so that a state of another job, server
or key is refused before the pass over the requests), its spool file, its cache, and its
parts, split from the requests (of an iterable, or of a requests file) or rebuilt from a
shared store's plan; and how its state is written.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .._cache import CacheHits, ResponseCache, open_cache
from .._exceptions import BatchValidationError
from .._facts import MAX_BATCH_BYTES
from .._job_options import JobOptions, JobSettings
from .._requests_file import read_requests
from .._resume import key_fingerprint, spool_path
from .._split import RequestLike, split_requests
from .._state import JobState, JobStateError, atomic_write
from .._stores import JobStore, JobStoreError, open_store
from .._stores._plan import PlannedParts, adopt, parts_from_state
from ._backend import run_blocking

if TYPE_CHECKING:
    from .client import Client
    from .jobs import Job

__all__ = ["from_file", "open_job", "open_state", "save"]


def open_state(
    job: Job,
    requests: Iterable[RequestLike],
    *,
    state_path: str | os.PathLike[str] | None,
    cache: str | os.PathLike[str] | ResponseCache | None,
    store: JobStore | str | os.PathLike[str] | None,
) -> None:
    """Set up `job`'s store, state, cache and parts (see `Job`)."""
    job._store = None if store is None else open_store(store)
    job._owns_store = store is not None and not isinstance(store, JobStore)
    if job._owns_store and job._store is not None:  # closed with the job at the latest
        weakref.finalize(job, job._store.close)
    try:
        _set_up(job, requests, state_path=state_path, cache=cache)
    except BaseException:
        job.close()  # a store opened here from its URL is not left open
        raise


def _set_up(
    job: Job,
    requests: Iterable[RequestLike],
    *,
    state_path: str | os.PathLike[str] | None,
    cache: str | os.PathLike[str] | ResponseCache | None,
) -> None:
    client, name = job._client, job.name
    shared = job._store is not None and job._store.shared
    if job._store is not None and not shared:  # the state file, as ever
        state_path = getattr(job._store, "path", state_path)
    elif shared and (name is None or cache is not None or state_path is not None):
        raise ValueError("a job in a shared store takes a name, and no cache nor state_path")
    job.state_path = Path(state_path) if state_path is not None else None
    loaded = JobState.load(job.state_path) if job.state_path is not None else None
    if shared and job._store is not None and name is not None:
        loaded = job._store.load(name)
    account = (client.base_url, key_fingerprint(client))
    if loaded is not None:
        loaded.check_account(*account, job.state_path or f"{job._store!r} job {name!r}")
    folder = job.state_path.parent if job.state_path is not None else None
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        raise JobStateError(job.state_path or "", "its folder is missing or not writable")
    spool = None if job.state_path is None else spool_path(job.state_path)
    job._cache = None
    if cache is not None:  # hits are kept aside; the plan covers only the misses
        record = None if spool is None else spool.with_suffix(".cached.json")
        job._cache = CacheHits(
            open_cache(cache), client.api_version, record, resumed=loaded is not None
        )
        requests = job._cache.filter(requests)
    try:
        if isinstance(requests, PlannedParts):  # rebuilt from a store's plan
            job.parts = list(requests.parts)
        elif shared and not callable(getattr(requests, "checked", None)):
            raise ValueError("a job in a shared store reads its requests from a file")
        else:
            job.parts = split_requests(
                requests, api_version=client.api_version, spool=spool, **job._limits
            )
    except BatchValidationError:
        if job._cache is None or job._cache.misses or not job._cache.hits:
            raise
        job.parts = []  # every request was a hit
    except OSError as exc:
        where = spool or "the temporary folder"
        raise JobStateError(where, f"cannot write the spool file: {exc}") from None
    if loaded is not None and not shared:
        loaded.check_matches(job.parts, client.api_version, job.state_path or "")
        loaded.refresh_places(job.parts)
    job.resumed = loaded is not None
    job.state = loaded or JobState.for_parts(
        job.parts, client.api_version, base_url=account[0], key_fingerprint=account[1]
    )
    if shared and job._store is not None and name is not None:
        job.state = adopt(job._store, name, job.parts, loaded, job.state, client)


def save(job: Job, index: int | None) -> None:
    """Write `job`'s state (see `Job._save`)."""
    if job._store is not None and job._store.shared:
        if index is not None and job.name is not None:
            saved, ttl = job.state.parts[index], job.lease_ttl
            run_blocking(job._store.save_part, job.name, saved, worker=job.worker, ttl=ttl)
        return
    if job.state_path is None:
        return
    with job._save_lock:
        run_blocking(atomic_write, job.state_path, job.state.encode())


def from_file(
    cls: type[Job],
    client: Client,
    path: str | os.PathLike[str],
    on_lines: Callable[[int], object] | None,
    options: JobOptions,
) -> Job:
    """A job of the requests in a `.jsonl` file (see `Job.from_file`)."""
    max_bytes = options.get("max_bytes", MAX_BATCH_BYTES)
    source = read_requests(
        path, api_version=client.api_version, max_bytes=max_bytes, on_lines=on_lines
    )
    return cls(client, source, **options)


def open_job(
    cls: type[Job],
    client: Client,
    store: JobStore | str | os.PathLike[str],
    name: str,
    options: JobSettings,
) -> Job:
    """The job `name` of `store`, its parts rebuilt from the stored plan (see `Job.open`)."""
    opened = open_store(store)
    try:
        state = opened.load(name)
        if state is None:
            raise JobStoreError(
                opened.url,
                f"there is no job {name!r} in this store; start it with its requests "
                "(run REQUESTS --store URL --job NAME)",
            )
        # Taken by `Job` in place of requests: the parts, not split again.
        parts = PlannedParts(parts_from_state(state, opened, name))
        job = cls(client, cast("Iterable[RequestLike]", parts), store=opened, name=name, **options)
    except BaseException:
        if opened is not store:
            opened.close()
        raise
    if opened is not store:  # the job's own: closed by `close()`, or with the job
        job._owns_store = True
        weakref.finalize(job, opened.close)
    return job
