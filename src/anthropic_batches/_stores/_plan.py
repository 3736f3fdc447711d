"""A job's plan in a shared store, as a worker sees it (no I/O but the store's and a stat).

The first worker of a job splits the input and records the plan (`adopt`); every other one
rebuilds the parts from the stored plan alone (`parts_from_state`): each part is a byte
range of the same input, read only when the part is submitted or downloaded, and checked
then against the digest it was planned with.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._split import JobPart, PartSource, job_digest
from .._state import JobState
from .._urls import StorageError, is_url, size
from ._base import JobStore, JobStoreError, OtherInput

__all__ = [
    "PlannedParts",
    "adopt",
    "check_source",
    "parts_from_state",
    "source_of",
    "source_size",
    "worker_id",
]


def worker_id() -> str:
    """A name for this worker: host, process id and a random suffix (two workers of one
    process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def source_of(path: str) -> str:
    """How the store names an input: a URL as it is, a local path made absolute."""
    return path if is_url(path) else os.path.abspath(path)


def source_size(source: str) -> int | None:
    """The input's size in bytes (`None` when it cannot be told: it is then told when a
    part of it is read)."""
    try:
        return size(source)
    except StorageError:
        return None


@dataclass(frozen=True)
class PlannedParts:
    """A job's parts rebuilt from its stored plan, given to `AsyncJob` in place of
    requests (nothing is read or split again)."""

    parts: Sequence[JobPart]


def parts_from_state(state: JobState, store: JobStore, job: str) -> list[JobPart]:
    """The parts of a stored plan, each a byte range of the job's input.

    Raises:
        JobStoreError: The plan lacks what the parts are rebuilt from.
    """
    if state.source is None:
        raise JobStoreError(store.url, f"job {job!r} has no input recorded to read parts from")
    source = PartSource(state.source)
    parts = []
    for p in state.parts:
        if (
            p.offset is None
            or p.end is None
            or p.size is None
            or p.first_line is None
            or p.last_line is None
            or p.verbatim is None
        ):
            raise JobStoreError(
                store.url,
                f"job {job!r}: part {p.index} has no byte range recorded (written by an "
                "older version?); start the job again under another name",
            )
        parts.append(
            JobPart(
                index=p.index,
                start=p.start,
                count=p.stop - p.start,
                size=p.size,
                digest=p.digest,
                first_custom_id=p.first_custom_id,
                last_custom_id=p.last_custom_id,
                source=source,
                offset=p.offset,
                end=p.end,
                first_line=p.first_line,
                last_line=p.last_line,
                verbatim=p.verbatim,
            )
        )
    return parts


def check_source(state: JobState, store: JobStore, job: str, source: str, size: int | None) -> None:
    """Refuse, before anything is sent, to work on job `job` with another input.

    Raises:
        OtherInput: The stored job reads another input, or one of another size.
    """
    if state.source is not None and state.source != source:
        reason = f"it reads {state.source}, not {source}"
    elif state.source_size is not None and size is not None and state.source_size != size:
        reason = f"its input was {state.source_size} bytes, {source} is {size} now"
    else:
        return
    raise OtherInput(
        store.url,
        f"job {job!r} exists with different input ({reason}); use another --job name, or "
        "the same input; nothing was sent",
    )


def adopt(
    store: JobStore,
    job: str,
    parts: Sequence[JobPart],
    loaded: JobState | None,
    fresh: JobState,
    client: Any,
) -> JobState:
    """The job's state in the store: `loaded` when it was there, else the plan of `parts`
    (`fresh`) recorded, or the one a worker starting at the same moment recorded first.
    `client` is the one the job sends through (its `api_version`).

    Raises:
        OtherInput: The job in the store is of other requests or another split.
    """
    source = source_of(parts[0].source.path) if parts else None
    if loaded is None:
        fresh.source = source
        fresh.source_size = None if source is None else source_size(source)
        loaded = store.create(job, fresh)
    if source is not None:
        check_source(loaded, store, job, source, None)
    if loaded.digest != job_digest(parts) or loaded.api_version != client.api_version:
        raise OtherInput(
            store.url,
            f"job {job!r} exists with different input (other requests, split or API "
            "version); use another --job name; nothing was sent",
        )
    return loaded
