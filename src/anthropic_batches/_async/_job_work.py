"""A worker of a job shared through a store: rounds of leasing parts, creating their batches,
polling them and writing each ended part to the output, until every part is in.

Each round the worker reads the job's state from the store (what the other workers did),
renews its leases, leases parts up to its limit, creates the batches of its parts that have
none (as queue room allows, with the decisions of `_rounds`), polls its unfinished batches
with one list page, and downloads each ended part to one output object before marking it
downloaded and giving its lease back. A write of a part's state is refused once the worker
lost its lease (`LeaseLost`): it drops the part, which another worker now holds.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from .._budget import BudgetExceeded
from .._exceptions import APIConnectionError, APIStatusError
from .._facts import LIST_LIMIT_MAX
from .._models import MessageBatch
from .._output_parts import PartsOutput
from .._rounds import GROWTH, has_room, next_interval, poll_plan, stops_job, waits_for_room
from .._shared import retry_after
from .._split import RequestLike
from .._state import JobState, PartDownload
from .._stores import JobStore, JobStoreError, LeaseLost, open_store
from .._stores._plan import PlannedParts, parts_from_state
from ._backend import run_blocking, sleep
from ._job_wait import in_processing

if TYPE_CHECKING:
    from .client import AsyncClient
    from .jobs import AsyncJob

__all__ = ["open_job", "work"]

logger = logging.getLogger("anthropic_batches")


def open_job(
    cls: type[AsyncJob],
    client: AsyncClient,
    store: JobStore | str | os.PathLike[str],
    name: str,
    options: dict[str, Any],
) -> AsyncJob:
    """The job `name` of `store`, its parts rebuilt from the stored plan (see `AsyncJob.open`)."""
    opened = open_store(store)
    try:
        state = opened.load(name)
        if state is None:
            raise JobStoreError(
                opened.url,
                f"there is no job {name!r} in this store; start it with its requests "
                "(run REQUESTS --store URL --job NAME)",
            )
        # Taken by `AsyncJob` in place of requests: the parts, not split again.
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


class _Worker:
    def __init__(self, job: AsyncJob, output: PartsOutput, max_leases: int) -> None:
        self.job, self.output, self.max_leases = job, output, max_leases
        self.store = job._store if job._store is not None and job._store.shared else None
        self.held: set[int] = set()

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

    async def refresh(self) -> None:
        """The other workers' progress, from the store; this worker's leases renewed."""
        if self.store is None:
            return
        job = self.job
        state = await run_blocking(self.store.load, self.name)
        if state is None:
            raise JobStoreError(self.store.url, f"job {self.name!r} is gone from the store")
        for saved in state.parts:
            if saved.index not in self.held:
                job.state.parts[saved.index] = saved
        job.state.updated_at = state.updated_at
        if self.held:
            held = sorted(self.held)
            kept = await run_blocking(self.store.renew, self.name, job.worker, job.lease_ttl, held)
            for index in set(held) - set(kept):
                self._drop(index, LeaseLost(self.store.url, self.name, index, job.worker))

    async def lease(self) -> None:
        """Lease parts up to the limit (those with a batch first)."""
        job, want = self.job, self.max_leases - len(self.held)
        if want <= 0:
            return
        if self.store is None:  # one process: every part is this worker's
            left = [p for p in job.state.parts if not p.downloaded and p.index not in self.held]
            self.held.update(p.index for p in left[:want])
            return
        got = await run_blocking(self.store.lease, self.name, job.worker, job.lease_ttl, want)
        for saved in got:
            job.state.parts[saved.index] = saved
            job._batches.pop(saved.index, None)
            self.held.add(saved.index)

    async def create(self) -> float | None:
        """Create the batches of the held parts that have none, in order, while they have
        queue room; the wait the API asked for when it refused one, if it did."""
        job = self.job
        for index in sorted(self.held):
            if job.state.parts[index].batch_id is not None or job.budget_stop is not None:
                continue
            if not has_room(in_processing(job), len(job.parts[index]), job.max_queued_requests):
                job._waiting.add(index)
                return None
            try:
                await job.submit_part(index)
            except LeaseLost as exc:
                self._drop(index, exc)
                continue
            except BudgetExceeded as exc:
                logger.warning("%s", exc)
                job.budget_stop = exc
                return None
            except APIStatusError as exc:
                if stops_job(exc) or not waits_for_room(exc):
                    raise
                job._waiting.add(index)
                job._report()
                logger.info("part %d waits for queue room: %s", index, exc)
                return retry_after(exc.response.headers)
            job._waiting.discard(index)
        return None

    async def poll(self) -> float | None:
        """Bring the held parts' unfinished batches up to date with one list page (a GET
        for each it does not show); the wait the API asked for, if it did."""
        job = self.job
        ids = {
            job.state.parts[i].batch_id or "": i
            for i in sorted(self.held)
            if job.state.parts[i].batch_id is not None and not job.state.parts[i].ended
        }
        if not ids:
            return None
        batches = job._client.messages.batches
        plan = poll_plan(ids, None)
        seen: dict[str, MessageBatch] = {}
        try:
            if plan.use_list:
                page = await batches._page({"limit": LIST_LIMIT_MAX})
                plan = poll_plan(ids, page.data)
                seen.update(plan.found)
            for batch_id in plan.by_id:
                seen[batch_id] = await batches.retrieve(batch_id)
        except (APIConnectionError, APIStatusError) as exc:
            if stops_job(exc) or (
                isinstance(exc, APIStatusError)
                and exc.status_code < 500
                and not waits_for_room(exc)
            ):
                raise
            logger.info("job: transient error while polling, polling on: %s", exc)
            return retry_after(exc.response.headers) if isinstance(exc, APIStatusError) else None
        for batch_id, batch in seen.items():
            index = ids[batch_id]
            changed = job.state.parts[index].status != batch.processing_status
            job._seen(index, batch)
            if changed:
                try:
                    await job._save(index)
                except LeaseLost as exc:
                    self._drop(index, exc)
        return None

    async def download(self) -> None:
        """Write each held part whose batch ended to the output, then mark it downloaded
        and give its lease back."""
        job = self.job
        for index in sorted(self.held):
            saved = job.state.parts[index]
            if not saved.ended or saved.batch_id is None:
                continue
            if not saved.downloaded:
                try:
                    await self._download(index, saved.batch_id)
                except LeaseLost as exc:
                    self._drop(index, exc)
                    continue
            await self.release([index])

    async def _download(self, index: int, batch_id: str) -> None:
        job, part = self.job, self.job.parts[index]
        custom_ids = await run_blocking(part.read_custom_ids)  # checked against its digest
        where = repr(job._store) if job._store is not None else job.state_path
        download = PartDownload(part, batch_id, where, custom_ids=custom_ids)
        with self.output.open_part(index) as writer:  # dropped unless committed
            async with job._client.messages.batches.results(batch_id) as stream:
                async for result in stream:
                    download.add(result)
                    writer.write(result)
            # The part's object is whole before the part is marked downloaded: a worker that
            # dies in between leaves a part another writes again, whole, over the first.
            await run_blocking(writer.commit)
        download.record(job.state.parts[index])
        await job._save(index)
        logger.info("part %d: %d results written to %s", index, writer.count, self.output.url)

    async def release(self, indices: Sequence[int]) -> None:
        self.held.difference_update(indices)
        if self.store is not None and indices:
            job = self.job
            await run_blocking(self.store.release, self.name, job.worker, list(indices))


def manifest(job: AsyncJob, output: PartsOutput, state: JobState) -> dict[str, Any]:
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


async def work(
    job: AsyncJob,
    output: PartsOutput | str | os.PathLike[str],
    *,
    max_leases: int,
    combine: bool,
) -> dict[str, Any]:
    """Work on `job` until every part is downloaded (see `AsyncJob.work`)."""
    if max_leases < 1:
        raise ValueError(f"max_leases must be at least 1, not {max_leases}")
    out = output if isinstance(output, PartsOutput) else PartsOutput(os.fspath(output))
    await run_blocking(out.check)
    worker = _Worker(job, out, max_leases)
    interval = job._polling["poll_interval"]
    most = job._polling["max_poll_interval"]
    try:
        while True:
            await worker.refresh()
            if worker.done():
                break
            before = set(worker.held)
            await worker.lease()
            asked = await worker.create()
            asked = max(asked or 0.0, await worker.poll() or 0.0) or None
            await worker.download()
            if worker.done():
                continue  # read the store once more: the others' parts may be in too
            if worker.held - before:
                interval = job._polling["poll_interval"]  # new parts: look at them soon
            await sleep(next_interval(interval, asked, most))
            interval = min(interval * GROWTH, most)
    finally:
        if worker.held:
            await worker.release(sorted(worker.held))
    written = manifest(job, out, job.state)
    if combine:
        indices = [p.index for p in job.state.parts if p.downloaded]
        written["combined"] = await run_blocking(out.combine, indices)
    await run_blocking(out.write_manifest, written)
    return written
