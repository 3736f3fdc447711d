"""A worker of a job shared through a store: rounds of leasing parts, creating their batches,
polling them and writing each ended part to the output, until every part is in.

Each round the worker reads the job's state from the store (what the other workers did),
renews its leases, leases parts up to its limit, creates the batches of its parts that have
none (as queue room allows) and polls its unfinished batches with one list page (with the
same functions as `wait()`: `_job_submit`, `_job_wait`), and downloads each ended part to one
output object before marking it downloaded and giving its lease back. A write of a part's
state is refused once the worker lost its lease (`LeaseLost`): it drops the part, which
another worker now holds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._output_parts import PartsOutput
from .._rounds import GROWTH, next_interval
from .._state import JobState, PartDownload
from .._stores import JobStoreError, LeaseLost
from ._backend import run_blocking, sleep
from ._job_submit import submit_what_fits
from ._job_wait import poll_round

if TYPE_CHECKING:
    from .jobs import Job

__all__ = ["work"]

logger = logging.getLogger("anthropic_batches")


class _Worker:
    def __init__(self, job: Job, output: PartsOutput, max_leases: int) -> None:
        self.job, self.output, self.max_leases = job, output, max_leases
        self.store = job._store if job._store is not None and job._store.shared else None
        self.held = job._held  # seen by a cut-off create's recovery (`_job_submit`)
        self.held.clear()

    @property
    def name(self) -> str:
        return self.job.name or ""

    def _drop(self, index: int, exc: LeaseLost) -> None:
        logger.warning("%s", exc)
        self.held.discard(index)
        self.job._waiting.discard(index)

    def done(self) -> bool:
        held_back = self.job.budget_stop is not None
        return all(p.downloaded or (held_back and p.batch_id is None) for p in self.job.state.parts)

    def refresh(self) -> None:
        """The other workers' progress, from the store; this worker's leases renewed."""
        if self.store is None:
            return
        job = self.job
        state = run_blocking(self.store.load, self.name)
        if state is None:
            raise JobStoreError(self.store.url, f"job {self.name!r} is gone from the store")
        for saved in state.parts:
            if saved.index not in self.held:
                job.state.parts[saved.index] = saved
        job.state.updated_at = state.updated_at
        if self.held:
            held = sorted(self.held)
            kept = run_blocking(self.store.renew, self.name, job.worker, job.lease_ttl, held)
            for index in set(held) - set(kept):
                self._drop(index, LeaseLost(self.store.url, self.name, index, job.worker))

    def lease(self) -> None:
        """Lease parts up to the limit (those with a batch first)."""
        job, want = self.job, self.max_leases - len(self.held)
        if want <= 0:
            return
        if self.store is None:  # one process: every part is this worker's
            left = [p for p in job.state.parts if not p.downloaded and p.index not in self.held]
            self.held.update(p.index for p in left[:want])
            return
        got = run_blocking(self.store.lease, self.name, job.worker, job.lease_ttl, want)
        for saved in got:
            job.state.parts[saved.index] = saved
            job._batches.pop(saved.index, None)
            self.held.add(saved.index)

    def create(self) -> float | None:
        """Create the batches of the held parts that have none, in order, while they have
        queue room; the wait the API asked for when it refused one, if it did."""
        return submit_what_fits(self.job, sorted(self.held), self._drop)

    def poll(self) -> float | None:
        """Bring the held parts' unfinished batches up to date with one list page (a GET
        for each it does not show), saving each part whose status moved; the wait the API
        asked for, if it did."""
        parts = self.job.state.parts
        unfinished = [
            i for i in sorted(self.held) if parts[i].batch_id is not None and not parts[i].ended
        ]
        if not unfinished:
            return None
        asked, moved = poll_round(self.job, unfinished)
        for index in moved:
            try:
                self.job._save(index)
            except LeaseLost as exc:
                self._drop(index, exc)
        return asked

    def download(self) -> None:
        """Write each held part whose batch ended to the output, then mark it downloaded
        and give its lease back."""
        job = self.job
        for index in sorted(self.held):
            saved = job.state.parts[index]
            if not saved.ended or saved.batch_id is None:
                continue
            if not saved.downloaded:
                try:
                    self._download(index, saved.batch_id)
                except LeaseLost as exc:
                    self._drop(index, exc)
                    continue
            self.release([index])

    def _download(self, index: int, batch_id: str) -> None:
        job, part = self.job, self.job.parts[index]
        custom_ids = run_blocking(part.read_custom_ids)  # checked against its digest
        where = repr(job._store) if job._store is not None else job.state_path
        download = PartDownload(part, batch_id, where, custom_ids=custom_ids)
        with self.output.open_part(index) as writer:  # dropped unless committed
            with job._client.messages.batches.results(batch_id) as stream:
                for result in stream:
                    download.add(result)
                    writer.write(result)
            # The part's object is whole before the part is marked downloaded: a worker that
            # dies in between leaves a part another writes again, whole, over the first.
            run_blocking(writer.commit)
        download.record(job.state.parts[index])
        job._save(index)
        logger.info("part %d: %d results written to %s", index, writer.count, self.output.url)

    def release(self, indices: Sequence[int]) -> None:
        self.held.difference_update(indices)
        if self.store is not None and indices:
            job = self.job
            run_blocking(self.store.release, self.name, job.worker, list(indices))


def manifest(job: Job, output: PartsOutput, state: JobState) -> dict[str, Any]:
    """What the output holds: each part's object, batch and counts, and the job's usage."""
    return {
        "job": job.name,
        "requests": state.requests,
        "format": output.format,
        "parts": [
            {
                "index": p.index,
                "object": output.part_name(p.index),
                "batch_id": p.batch_id,
                "requests": p.stop - p.start,
                "counts": (p.usage or {}).get("counts", {}),
            }
            for p in state.parts
            if p.downloaded
        ],
        "usage": state.usage().to_dict(),
    }


def work(
    job: Job,
    output: PartsOutput | str | os.PathLike[str],
    *,
    max_leases: int,
    combine: bool,
) -> dict[str, Any]:
    """Work on `job` until every part is downloaded (see `Job.work`)."""
    if max_leases < 1:
        raise ValueError(f"max_leases must be at least 1, not {max_leases}")
    out = output if isinstance(output, PartsOutput) else PartsOutput(os.fspath(output))
    run_blocking(out.check)
    worker = _Worker(job, out, max_leases)
    interval = job._polling["poll_interval"]
    most = job._polling["max_poll_interval"]
    try:
        while True:
            worker.refresh()
            if worker.done():
                break
            before = set(worker.held)
            worker.lease()
            asked = worker.create()
            asked = max(asked or 0.0, worker.poll() or 0.0) or None
            worker.download()
            if worker.done():
                continue  # read the store once more: the others' parts may be in too
            if worker.held - before:
                interval = job._polling["poll_interval"]  # new parts: look at them soon
            sleep(next_interval(interval, asked, most))
            interval = min(interval * GROWTH, most)
    finally:
        if worker.held:
            worker.release(sorted(worker.held))
    written = manifest(job, out, job.state)
    if combine:
        indices = [p.index for p in job.state.parts if p.downloaded]
        written["combined"] = run_blocking(out.combine, indices)
    run_blocking(out.write_manifest, written)
    return written
