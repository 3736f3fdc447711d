"""The SDK against the emulator over real loopback HTTP: lifecycle, pagination, cancel,
expiry, delete rules, errors, auth and key isolation, faults."""

from __future__ import annotations

import pytest
from helpers import KEY, OTHER_KEY
from helpers import numbered_requests as requests

from anthropic_batches import (
    Client,
    Job,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErroredResult,
    MessageBatch,
    NotFoundError,
    SucceededResult,
)
from anthropic_batches.emulator import Emulator, EmulatorServer, ManualClock
from anthropic_batches.emulator._errors import Refusal


def test_full_lifecycle(client: Client, clock: ManualClock) -> None:
    batches = client.messages.batches
    batch = batches.create(requests(4) + requests(2, prefix="fail"))
    assert batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 6
    assert batch.results_url is None
    assert (batch.expires_at - batch.created_at).total_seconds() == 86400
    with pytest.raises(NotFoundError):
        batches.results(batch).__next__()
    polls: list[str] = []

    def advance(seen: MessageBatch) -> None:
        polls.append(seen.processing_status)
        clock.advance(30)

    done = batches.wait(batch.id, poll_interval=0.01, on_poll=advance)
    assert polls == ["in_progress", "in_progress", "ended"]
    assert done.request_counts.succeeded == 4 and done.request_counts.errored == 2
    assert done.ended_at is not None and done.results_url is not None
    with batches.results(done) as stream:
        results = {r.custom_id: r for r in stream}
    assert sorted(results) == ["fail0", "fail1", "r0", "r1", "r2", "r3"]
    ok = results["r2"].result
    assert isinstance(ok, SucceededResult)
    assert ok.message.text == "answer to r2"
    assert ok.message.usage.output_tokens > 0
    failed = results["fail1"].result
    assert isinstance(failed, ErroredResult)
    assert failed.error.error.type == "invalid_request_error"
    assert [r.custom_id for r in batches.results(done.id)] != []
    deleted = batches.delete(done.id)
    assert deleted.id == done.id and deleted.type == "message_batch_deleted"
    with pytest.raises(NotFoundError):
        batches.get(done.id)


def test_a_job_cancel_records_a_batch_that_ended_meanwhile_and_cancels_the_rest(
    client: Client, clock: ManualClock
) -> None:
    """Regression: a batch that ended between the job's last poll and its cancel is refused
    by the API (400), and the job's cancel raised instead of canceling the other batches."""
    job = Job(client, requests(2), max_requests=1)
    job.submit_part(0)
    clock.advance(30)
    second = job.submit_part(1)
    assert [p.status for p in job.progress().parts] == ["in_progress", "in_progress"]
    clock.advance(40)  # the first batch ends (after 60 s); the job has not polled since
    canceled = job.cancel()
    assert [b.id for b in canceled] == [second]
    assert [p.status for p in job.progress().parts] == ["ended", "canceling"]
    assert job.state.parts[0].ended  # recorded: a later cancel does not ask again


def test_a_job_cancel_refused_for_another_reason_is_raised(
    client: Client,
    emulator: Emulator,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = Job(client, requests(1))
    job.submit()

    def refuse(owner: str, batch_id: str, now: float) -> None:
        raise Refusal(409, "try again later")

    monkeypatch.setattr(emulator, "cancel", refuse)
    with pytest.raises(ConflictError):  # the batch is still running: the refusal stands
        job.cancel()
    assert job.progress().parts[0].status == "in_progress"
    stranger = Job(client, requests(1, "s"))
    stranger.state.parts[0].batch_id = "msgbatch_unknown"
    with pytest.raises(NotFoundError):
        stranger.cancel()


def test_cancel_then_delete_rules(client: Client, clock: ManualClock) -> None:
    batches = client.messages.batches
    batch = batches.create(requests(3))
    with pytest.raises(BadRequestError) as info:
        batches.delete(batch.id)
    assert info.value.type == "invalid_request_error"
    canceling = batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at is not None
    clock.advance(5)
    done = batches.wait(canceling, poll_interval=0.01)
    assert done.ended
    assert done.request_counts.total == 3
    kinds = [r.result.type for r in batches.results(done)]
    assert len(kinds) == 3 and set(kinds) <= {"succeeded", "canceled"}
    assert kinds.count("canceled") == done.request_counts.canceled
    assert (batches.delete(batch.id)).id == batch.id


def test_expiry(emulator: Emulator, server: EmulatorServer, clock: ManualClock) -> None:
    slow = Emulator(clock=clock, api_keys=[KEY], process_seconds=200_000, expire_seconds=86400)
    with EmulatorServer(slow) as other:
        with Client(api_key=KEY, base_url=other.base_url) as client:
            batch = client.messages.batches.create(requests(2))
            clock.advance(86401)
            done = client.messages.batches.get(batch.id)
            assert done.ended and done.request_counts.expired == 2
            kinds = [r.result.type for r in client.messages.batches.results(done)]
            assert kinds == ["expired", "expired"]


def test_pagination_across_2100_batches_both_ways(
    emulator: Emulator, client: Client
) -> None:
    created = [(client.messages.batches.create(requests(1))).id for _ in range(2100)]
    newest_first = created[::-1]
    forward = [b.id for b in client.messages.batches.iter(limit=1000)]
    assert forward == newest_first
    page = client.messages.batches.list()
    assert len(page.data) == 20 and page.has_more
    assert page.first_id == newest_first[0] and page.last_id == newest_first[19]
    start = newest_first[1500]
    backward = [b.id for b in client.messages.batches.iter(limit=100, before_id=start)]
    assert sorted(backward) == sorted(newest_first[:1500])
    assert len(set(backward)) == 1500
    tail = client.messages.batches.list(after_id=newest_first[-2], limit=5)
    assert [b.id for b in tail] == [newest_first[-1]] and not tail.has_more


def test_auth_and_key_isolation(server: EmulatorServer, client: Client) -> None:
    mine = client.messages.batches.create(requests(1))
    with Client(api_key=OTHER_KEY, base_url=server.base_url) as other:
        with pytest.raises(NotFoundError):
            other.messages.batches.get(mine.id)
        assert [b.id for b in other.messages.batches.iter()] == []
        with pytest.raises(NotFoundError):
            other.messages.batches.cancel(mine.id)
    with Client(api_key="sk-wrong", base_url=server.base_url) as wrong:
        with pytest.raises(AuthenticationError) as info:
            wrong.messages.batches.list()
        assert info.value.request_id and info.value.request_id.startswith("req_")
    with Client(auth_token=KEY, base_url=server.base_url) as bearer:
        assert (bearer.messages.batches.get(mine.id)).id == mine.id


def test_both_api_versions(server: EmulatorServer, clock: ManualClock) -> None:
    with Client(api_key=KEY, base_url=server.base_url, api_version="2023-06-01") as old:
        batch = old.messages.batches.create(requests(2, temperature=0.3, top_k=5))
        clock.advance(61)
        kinds = [r.result.type for r in old.messages.batches.results(batch.id)]
        assert kinds == ["succeeded", "succeeded"]


def test_faults_and_dropped_downloads_deliver_each_result_once(clock: ManualClock) -> None:
    flaky = Emulator(
        clock=clock,
        api_keys=[KEY],
        process_seconds=1,
        fault_rate=0.2,
        drop_results_after=700,
        seed=7,
    )
    with EmulatorServer(flaky) as running:
        with Client(api_key=KEY, base_url=running.base_url, max_retries=8) as client:
            ids = []
            for part in range(3):
                batch = client.messages.batches.create(requests(1000, prefix=f"p{part}_"))
                ids.append(batch.id)
            extra = client.messages.batches.create(requests(5, prefix="x"))
            canceling = client.messages.batches.cancel(extra.id)
            assert canceling.processing_status == "canceling"
            assert (client.messages.batches.get(extra.id)).id == extra.id
            ids.append(extra.id)
            clock.advance(2)
            seen: list[str] = []
            for batch_id in ids:
                done = client.messages.batches.wait(batch_id, poll_interval=0.01)
                with client.messages.batches.results(done) as stream:
                    seen.extend([r.custom_id for r in stream])
                    assert stream.resumes == (1 if batch_id != extra.id else 0)
            listed = [b.id for b in client.messages.batches.iter(limit=2)]
            assert sorted(listed) == sorted(ids)
            for batch_id in ids:
                client.messages.batches.delete(batch_id)
    assert len(seen) == 3005 and len(set(seen)) == 3005
    assert sum(flaky.stats.faults.values()) > 0
    assert flaky.stats.batches_created == 4
    assert flaky.stats.results_dropped == 3
