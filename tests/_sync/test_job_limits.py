"""Jobs within the API's limits, against the emulator with its limits on: a queue cap, a
request budget, polling that costs calls per round (not per batch), a spend-limit stop."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import KEY
from helpers import job_request as req

from anthropic_batches import (
    Client,
    BatchResult,
    EnforcedSpendLimitReachedError,
    RateLimitError,
)
from anthropic_batches._sync._backend import sleep
from anthropic_batches._sync.jobs import Job
from anthropic_batches._progress import JobProgress
from anthropic_batches._state import JobState
from anthropic_batches.emulator import (
    EmulatorTransport,
    Emulator,
    EmulatorServer,
    ManualClock,
    create_app,
)


def client_of(emulator: Emulator, **options: Any) -> Client:
    http = httpx.Client(transport=EmulatorTransport(create_app(emulator)))
    return Client(api_key=KEY, base_url="http://emulator.test", http_client=http, **options)


@pytest.fixture
def queue_capped() -> Emulator:
    return Emulator(process_seconds=0.2, max_queued_requests=1000)


@pytest.fixture
def capped_client(queue_capped: Emulator) -> Iterator[Client]:
    with client_of(queue_capped, max_retries=0) as client:
        yield client


def test_a_job_five_times_the_queue_cap_finishes_without_raising(
    capped_client: Client, queue_capped: Emulator
) -> None:
    requests = [req(f"r{i:04d}") for i in range(5000)]
    seen: list[JobProgress] = []
    job = Job(
        capped_client,
        requests,
        max_requests=500,
        poll_interval=0.05,
        max_poll_interval=0.2,
        on_progress=seen.append,
    )
    results = [r for r in job.results()]
    assert sorted(r.custom_id for r in results) == [r["custom_id"] for r in requests]
    assert queue_capped.stats.batches_created == len(job.parts) == 10  # none created twice
    assert queue_capped.stats.refused["max_queued_requests"] >= 1  # the cap was met
    statuses = {p.status for snapshot in seen for p in snapshot.parts}
    assert "waiting_for_queue_room" in statuses


def test_max_queued_requests_leaves_room_and_is_never_refused(
    capped_client: Client, queue_capped: Emulator
) -> None:
    requests = [req(f"r{i:03d}") for i in range(900)]
    queued: list[int] = []

    def watch(progress: JobProgress) -> None:
        queued.append(sum(p.requests for p in progress.parts if p.batch_id and not p.ended))

    job = Job(
        capped_client,
        requests,
        max_requests=100,
        max_queued_requests=300,
        poll_interval=0.02,
        max_poll_interval=0.1,
        on_progress=watch,
    )
    batches = job.wait()
    assert all(b.ended for b in batches) and len(batches) == 9
    assert max(queued) <= 300
    assert queue_capped.stats.refused.total() == 0


def busiest_window(arrivals: Sequence[float], window: float) -> int:
    times = sorted(arrivals)
    start, most = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_a_request_budget_keeps_every_window_under_the_limit() -> None:
    # The API's per-minute limit, scaled down: 10 requests per 1-second window on both sides.
    emulator = Emulator(process_seconds=0.3, requests_per_minute=10, rate_window_seconds=1.0)
    with client_of(emulator, max_requests_per_minute=10) as client:
        client._pacer.window = 1.0  # the same budget over a 1-second window
        job = Job(
            client,
            [req(f"r{i}") for i in range(20)],
            max_requests=2,
            poll_interval=0.05,
            max_poll_interval=0.2,
        )
        results = [r for r in job.results()]
    assert len(results) == 20 and len(job.parts) == 10
    assert emulator.stats.requests > 30  # more than three windows' worth
    assert busiest_window(emulator.stats.arrivals, 1.0) <= 10
    assert emulator.stats.refused["requests_per_minute"] <= 3


def test_a_thousand_batches_are_polled_in_calls_per_round() -> None:
    clock = ManualClock(datetime.now(UTC))
    emulator = Emulator(clock=clock, process_seconds=25)
    rounds = 0

    def advance(progress: JobProgress) -> None:
        if all(p.batch_id for p in progress.parts):
            clock.advance(10)  # once every part is submitted: 10 s a round

    with client_of(emulator) as client:
        job = Job(
            client,
            [req(f"r{i:04d}") for i in range(1000)],
            max_requests=1,
            poll_interval=0.001,
            max_poll_interval=0.002,
            on_progress=advance,
        )
        job.submit()
        before = emulator.stats.calls.copy()
        while not all(b.ended for b in job.wait()):
            rounds += 1  # pragma: no cover (wait returns once every batch ended)
    polls = emulator.stats.calls - before
    assert len(job.parts) == 1000
    assert polls["get"] == 0
    assert 1 <= polls["list"] <= 6  # a few rounds, one list page each
    assert polls["create"] == 0


def test_a_spend_limit_stops_the_job_and_a_rerun_finishes(tmp_path: Path) -> None:
    emulator = Emulator(process_seconds=0.1, spend_limit_requests=6)
    state = tmp_path / "job.state.json"
    requests = [req(f"r{i}") for i in range(10)]
    with client_of(emulator) as client:
        job = Job(client, requests, state_path=state, max_requests=3, poll_interval=0.02)
        with pytest.raises(EnforcedSpendLimitReachedError) as info:
            job.wait()
        assert info.value.error_code == "enforced_spend_limit_reached"
        assert emulator.stats.create_calls == 3  # not retried
        assert job.batch_ids[:2] == emulator.batch_ids(KEY)
        assert job.batch_ids[2:] == [None, None]
        assert [p.submitting_at for p in job.state.parts[2:]] == [None, None]
        emulator.limits.lift_spend_limit()
        rerun = Job(client, requests, state_path=state, max_requests=3, poll_interval=0.02)
        assert rerun.resumed and rerun.batch_ids[:2] == job.batch_ids[:2]
        results: list[BatchResult] = [r for r in rerun.results()]
    assert sorted(r.custom_id for r in results) == sorted(r["custom_id"] for r in requests)
    assert emulator.stats.batches_created == 4  # no part created twice


def test_the_first_parts_are_read_while_later_parts_wait_for_queue_room(
    tmp_path: Path,
) -> None:
    # Over loopback: a queue cap of 100 requests, a job of 500 in parts of 50.
    emulator = Emulator(process_seconds=0.2, max_queued_requests=100)
    state = tmp_path / "job.state.json"
    requests = [req(f"r{i:03d}") for i in range(500)]
    results: list[BatchResult] = []
    with EmulatorServer(emulator) as server:
        with Client(api_key=KEY, base_url=server.base_url) as client:
            job = Job(
                client,
                requests,
                state_path=state,
                max_requests=50,
                poll_interval=0.05,
                max_poll_interval=0.2,
            )
            first = len(job.parts[0])
            for result in job.results():
                if len(results) == first:  # the second part's first result
                    saved = JobState.load(state)
                    assert saved is not None
                    assert saved.parts[0].downloaded  # the first part is in, and recorded
                    assert saved.parts[-1].batch_id is None  # the last is not created yet
                    assert emulator.stats.batches_created < len(job.parts)
                results.append(result)
    assert len(job.parts) == 10
    assert sorted(r.custom_id for r in results) == [r["custom_id"] for r in requests]
    assert emulator.stats.batches_created == 10  # no part created twice
    assert emulator.stats.refused["max_queued_requests"] >= 1  # the later parts did wait
    assert JobState.load(state) is not None and job.finished


def test_a_queue_full_create_reaches_the_job_after_one_request() -> None:
    # The clock stands still: the queue stays full, and asks for a 1-second wait.
    emulator = Emulator(clock=ManualClock(), process_seconds=1, max_queued_requests=1000)
    with client_of(emulator, max_retries=1) as client:  # the client's retries are on
        client.messages.batches.create([req(f"full{i}") for i in range(1000)])
        job = Job(client, [req("r0")])
        with pytest.raises(RateLimitError):
            job.submit_part(0)
        assert emulator.stats.create_calls == 2  # the first create, then the job's one
        assert emulator.stats.refused["max_queued_requests"] == 1
        assert job.batch_ids == [None]
        # A create of the caller's own is still tried again on a 429.
        with pytest.raises(RateLimitError):
            client.messages.batches.create([req("r1")])
        assert emulator.stats.refused["max_queued_requests"] == 3  # 1 + 1 try and 1 retry


def test_a_jobs_create_answered_500_is_still_tried_again(
    queue_capped: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = iter([None, 500])  # the job's list of where the batches stand, then its create

    def draw() -> int | None:
        return next(faults, None)

    monkeypatch.setattr(queue_capped, "draw_fault", draw)
    with client_of(queue_capped) as client:
        job = Job(client, [req("r0")])
        batch_id = job.submit_part(0)
    assert queue_capped.stats.faults[500] == 1
    assert queue_capped.stats.create_calls == 2  # the 500, then the create that made it
    assert queue_capped.batch_ids(KEY) == [batch_id]


def test_the_time_spent_reading_results_is_not_counted_in_the_timeout() -> None:
    emulator = Emulator(process_seconds=0.3)
    with client_of(emulator) as client:
        job = Job(
            client,
            [req("a"), req("b")],
            max_requests=1,
            max_queued_requests=1,  # the second part is created once the first has ended
            poll_interval=0.05,
            max_poll_interval=0.1,
        )
        read: list[str] = []
        for result in job.results(timeout=1.5):
            if not read:
                sleep(2.0)  # a slow reader: longer than the whole timeout
            read.append(result.custom_id)
    assert read == ["a", "b"]
    assert emulator.stats.batches_created == 2


def test_a_poll_answered_500_is_passed_over_and_polling_goes_on(
    queue_capped: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = iter([None, None, 500])  # the create's list and create, then the first poll

    def draw() -> int | None:
        return next(faults, None)

    monkeypatch.setattr(queue_capped, "draw_fault", draw)
    with client_of(queue_capped, max_retries=0) as client:
        job = Job(client, [req("r0")], poll_interval=0.05, max_poll_interval=0.1)
        [batch] = job.wait(timeout=5)
    assert queue_capped.stats.faults[500] == 1
    assert batch.ended and job.batch_ids == [batch.id]
