"""A job of many requests: split into batches, submitted once, resumable after a crash.

Run it again after stopping it (Ctrl-C, a crash, a reboot): the state file says which parts
already have a batch and which were downloaded, so nothing is submitted or paid for twice.
Each part's results go to their own file, renamed into place once the part is complete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from anthropic_batches import AsyncClient, AsyncJob, JobPart, JobProgress

OUT = Path("results")
STATE = Path("job.state.json")


def requests() -> Iterator[dict[str, Any]]:
    # Any iterable works: a generator over a file or a database query, for instance.
    for i in range(2_500):
        yield {
            "custom_id": f"review-{i:05d}",
            "params": {
                "model": "claude-sonnet-4-5",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": f"Classify review #{i}."}],
            },
        }


def show(progress: JobProgress) -> None:
    print(
        f"{progress.ended_parts}/{progress.total_parts} parts ended, "
        f"{progress.ended_requests}/{progress.total_requests} requests counted, "
        f"{progress.elapsed:.0f} s"
    )


class PartFiles:
    """Writes each part's results to `results/part-N.jsonl`, complete files only."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(exist_ok=True)
        self.folder = folder
        self.partial = folder / "part.partial"
        self.sink: IO[bytes] = self.partial.open("wb")

    def write(self, line: bytes) -> None:
        self.sink.write(line + b"\n")

    def part_done(self, part: JobPart) -> None:
        # Called after a part's last result, before the state marks it downloaded: a crash
        # before this leaves only the partial file, which the re-run writes again.
        self.sink.close()
        self.partial.replace(self.folder / f"part-{part.index}.jsonl")
        self.sink = self.partial.open("wb")

    def close(self) -> None:
        self.sink.close()
        self.partial.unlink(missing_ok=True)


async def main() -> None:
    async with AsyncClient() as client:
        job = AsyncJob(
            client,
            requests(),
            state_path=STATE,
            max_requests=1_000,  # the API allows 100,000; smaller parts finish sooner
            on_progress=show,
        )
        print(f"{len(job.parts)} parts{' (resumed)' if job.resumed else ''}")

        files = PartFiles(OUT)
        # Results come part after part, every result of a part once: count them down.
        saved = job.state.parts
        coming = [part for part in job.parts if not saved[part.index].downloaded]
        left = len(coming[0]) if coming else 0
        try:
            async for result in job.results():
                files.write(result.json_line())
                left -= 1
                if not left:  # the part's last result: the state is saved after this
                    files.part_done(coming.pop(0))
                    left = len(coming[0]) if coming else 0
        finally:
            files.close()

        usage = job.usage
        print(f"results: {usage.counts}")
        print(f"tokens: {usage.total_tokens.total:,}")
        cost = usage.cost()  # an estimate from list prices, at the batch discount
        print(f"estimated cost: ${cost.total:.4f}")

        failed = job.failed_requests(retryable_only=True)
        if failed:
            retry = job.resubmit(retryable_only=True, state_path="retry.state.json")
            print(f"resubmitting {len(failed)} requests as {len(retry.parts)} batch(es)")
            await retry.wait()


if __name__ == "__main__":
    asyncio.run(main())
