"""The state file as a job store: one job per file, one process at a time.

The file is the one `AsyncJob(state_path=...)` has always written (see `_state`): its format
is unchanged. Leases are granted at once to whoever asks: one process runs the job.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .._state import JobState, JobStateError, PartState, atomic_write
from ._base import JobStore, JobStoreError, JobSummary

__all__ = ["FileStore"]


class FileStore(JobStore):
    """A job's state file (see `AsyncJob`'s `state_path`): the local, single-process store.

    Args:
        path: The state file; the job names given to its methods are not used (a file holds
            one job).
    """

    shared = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.url = os.fspath(path)
        self._state: JobState | None = None

    def load(self, job: str) -> JobState | None:
        try:
            state = JobState.load(self.path)
        except JobStateError as exc:
            raise JobStoreError(self.url, str(exc).removeprefix(f"{self.path}: ")) from None
        self._state = state
        return state

    def create(self, job: str, state: JobState) -> JobState:
        existing = self.load(job)
        if existing is not None:
            return existing
        self.save(job, state)
        return state

    def save_part(
        self, job: str, part: PartState, *, worker: str | None = None, ttl: float = 0.0
    ) -> None:
        state = self._state if self._state is not None else self.load(job)
        if state is None:
            raise JobStoreError(self.url, f"no job here to save part {part.index} of")
        state.parts[part.index] = part
        self.save(job, state)

    def save(self, job: str, state: JobState) -> None:
        self._state = state
        try:
            atomic_write(self.path, state.encode())
        except OSError as exc:
            raise JobStoreError(self.url, f"cannot write the job state: {exc}") from None

    def lease(self, job: str, worker: str, ttl: float, limit: int) -> list[PartState]:
        state = self._state if self._state is not None else self.load(job)
        left = [] if state is None else [p for p in state.parts if not p.downloaded]
        return left[:limit]

    def renew(self, job: str, worker: str, ttl: float, indices: Sequence[int]) -> list[int]:
        return list(indices)

    def release(self, job: str, worker: str, indices: Sequence[int]) -> None:
        return None

    def jobs(self) -> list[JobSummary]:
        state = self.load(self.path.stem)
        if state is None:
            return []
        return [
            JobSummary(
                name=self.path.name,
                parts=len(state.parts),
                downloaded=sum(p.downloaded for p in state.parts),
                running=sum(p.batch_id is not None and not p.downloaded for p in state.parts),
                leases=0,
                takeovers=0,
                requests=state.requests,
                updated_at=state.updated_at,
            )
        ]
