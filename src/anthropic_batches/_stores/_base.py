"""What a job store is: where a job's plan and progress live, shared by its workers.

Every method blocks (a file write, a database round trip); the async side calls them through
its backend's `run_blocking`, so one implementation serves the async and the sync client.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from .._exceptions import BatchesError
from .._state import JobState, PartState

__all__ = ["JobStore", "JobStoreError", "JobSummary", "LeaseLost", "OtherInput", "redact"]


def redact(url: str) -> str:
    """`url` without its password, fit for a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class JobStoreError(BatchesError):
    """A job store that cannot be reached or used, or a job it refuses; one line naming the
    store and what to do.

    Attributes:
        store: The store (its URL or path, without a password).
    """

    def __init__(self, store: str | os.PathLike[str], message: str) -> None:
        self.store = redact(os.fspath(store))
        super().__init__(f"{self.store}: {message}")


class OtherInput(JobStoreError):
    """A job of that name exists in the store with other input (another file, size, set of
    requests or split): nothing is done with it."""


class LeaseLost(JobStoreError):
    """A write refused because the worker no longer holds the part's lease (it expired and
    another worker may have taken the part over): nothing of the part is done by this one.

    Attributes:
        index: The part.
    """

    def __init__(self, store: str, job: str, index: int, worker: str) -> None:
        self.index = index
        super().__init__(
            store,
            f"job {job!r}: part {index} is not leased to worker {worker} any more (its lease "
            "expired); it is left to the worker holding it now",
        )


@dataclass(frozen=True)
class JobSummary:
    """One job of a store, as `jobs --store` lists it.

    Attributes:
        name: The job's name.
        parts: Its parts.
        downloaded: The parts whose results are in.
        running: The parts with a batch not downloaded yet.
        leases: The parts leased to a live worker now.
        takeovers: How many times a part was taken over from a worker whose lease expired.
        requests: The requests in the job.
        updated_at: When it last changed (RFC 3339).
    """

    name: str
    parts: int
    downloaded: int
    running: int
    leases: int
    takeovers: int
    requests: int
    updated_at: str


class JobStore(ABC):
    """Where jobs' states live: the plan of each job (its parts, byte ranges and digests)
    and each part's progress (batch id, status, download, usage), keyed by a job name, and
    the leases that give each part to one worker at a time.

    Attributes:
        url: The store's address (a path or a URL), as messages name it.
        shared: Whether several processes may work on one job through it (leases mean
            something); a state file is not shared.
    """

    url: str
    shared: bool = True

    @abstractmethod
    def load(self, job: str) -> JobState | None:
        """The job's state, or `None` when there is no such job."""

    @abstractmethod
    def create(self, job: str, state: JobState) -> JobState:
        """Record a new job's plan unless one of that name exists (one atomic insert: two
        workers starting together agree on one plan); the job's state as stored."""

    @abstractmethod
    def save_part(
        self, job: str, part: PartState, *, worker: str | None = None, ttl: float = 0.0
    ) -> None:
        """Write one part's progress. With a `worker`, only while it holds the part's lease,
        which is then renewed for `ttl` seconds.

        Raises:
            LeaseLost: The worker does not hold the part's lease.
        """

    @abstractmethod
    def save(self, job: str, state: JobState) -> None:
        """Write every part of the job (no lease asked): for a job run by one process."""

    @abstractmethod
    def lease(self, job: str, worker: str, ttl: float, limit: int) -> list[PartState]:
        """Lease up to `limit` parts not downloaded and not leased to a live worker (those
        with a batch first), for `ttl` seconds; a part whose lease expired is taken over, and
        the takeover counted. Their states as stored."""

    @abstractmethod
    def renew(self, job: str, worker: str, ttl: float, indices: Sequence[int]) -> list[int]:
        """Extend the worker's leases of `indices` by `ttl` seconds; the ones it still held."""

    @abstractmethod
    def release(self, job: str, worker: str, indices: Sequence[int]) -> None:
        """Give the worker's leases of `indices` back."""

    @abstractmethod
    def jobs(self) -> list[JobSummary]:
        """Every job in the store, by name."""

    def close(self) -> None:  # noqa: B027 - nothing to close by default
        """Let go of the store's connection, if it has one."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact(self.url)!r}>"
