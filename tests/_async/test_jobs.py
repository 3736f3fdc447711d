"""Large jobs against the emulator (in-process): split, submit, wait, results, resume, resubmit."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from helpers import FAST, KEY, custom_ids
from helpers import job_request as req

from anthropic_batches import AsyncClient, BatchResult, BatchValidationError, WaitTimeoutError
from anthropic_batches._async.jobs import AsyncJob
from anthropic_batches._job_options import JobOptions
from anthropic_batches._joins import Missing
from anthropic_batches._progress import JobProgress
from anthropic_batches._state import JobStateError
from anthropic_batches.emulator import (
    AsyncEmulatorTransport,
    Emulator,
    ManualClock,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
    create_app,
)


class Script:
    """`fail-*` always errors; `busy-*` is overloaded the first time only; others succeed
    with a known usage."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, request: ResponderRequest) -> ResponderOutput:
        self.seen[request.custom_id] = self.seen.get(request.custom_id, 0) + 1
        if request.custom_id.startswith("fail"):
            return ResponderError("invalid_request_error", "prompt is too long")
        if request.custom_id.startswith("busy") and self.seen[request.custom_id] == 1:
            return ResponderError("overloaded_error", "Overloaded")
        return {
            "model": request.params["model"],
            "content": [{"type": "text", "text": f"answer {request.custom_id}"}],
            "usage": {"input_tokens": 1000, "output_tokens": 500},
        }


@pytest.fixture
def job_emulator() -> Emulator:
    return Emulator(
        clock=ManualClock(datetime.now(UTC), tick=10), process_seconds=30, responder=Script()
    )


@pytest.fixture
async def job_client(job_emulator: Emulator) -> AsyncIterator[AsyncClient]:
    transport = AsyncEmulatorTransport(create_app(job_emulator))
    http = httpx.AsyncClient(transport=transport)
    client = AsyncClient(api_key=KEY, base_url="http://emulator.test", http_client=http)
    async with http, client:
        yield client


async def collect(job: AsyncJob) -> list[BatchResult]:
    return [result async for result in job.results()]


async def test_over_the_count_limit_every_result_comes_once_in_input_order(
    job_client: AsyncClient, job_emulator: Emulator
) -> None:
    requests = [req(f"r{i:02d}") for i in range(23)]
    job = AsyncJob(job_client, requests, max_requests=5, **FAST)
    assert [len(p) for p in job.parts] == [5, 5, 5, 5, 3]
    batches = await job.wait()
    assert len({b.id for b in batches}) == 5
    assert all(b.ended for b in batches)
    assert job_emulator.stats.create_calls == 5
    results = await collect(job)
    assert sorted(r.custom_id for r in results) == [r["custom_id"] for r in requests]
    ordered = [r async for r in job.results_in_input_order()]
    assert [r.custom_id for r in ordered] == [r["custom_id"] for r in requests]
    assert all(isinstance(r, BatchResult) for r in ordered)
    assert job.usage.counts == {"succeeded": 23}


async def test_byte_limit_splits_into_batches_that_fit(
    job_client: AsyncClient, job_emulator: Emulator
) -> None:
    requests = [req(f"b{i}", "x" * 300) for i in range(12)]
    job = AsyncJob(job_client, requests, max_bytes=1500, **FAST)
    assert len(job.parts) > 2
    assert all(part.size <= 1500 for part in job.parts)
    results = await collect(job)
    assert job_emulator.stats.create_calls == len(job.parts)
    assert sorted(r.custom_id for r in results) == sorted(r["custom_id"] for r in requests)


async def test_invalid_job_is_refused_before_anything_is_sent(
    job_client: AsyncClient, job_emulator: Emulator
) -> None:
    requests = [req("a"), req("b"), req("a"), req("c"), req("b")]
    with pytest.raises(BatchValidationError) as info:
        AsyncJob(job_client, requests, max_requests=2)
    assert [p.index for p in info.value.problems] == [2, 4]
    assert job_emulator.stats.requests == 0


async def test_resume_never_submits_or_downloads_a_part_twice(
    job_client: AsyncClient, job_emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "job.state.json"
    requests = [req(f"r{i}") for i in range(9)]
    first = AsyncJob(job_client, requests, state_path=state, max_requests=3, **FAST)
    await first.submit_part(0)
    await first.submit_part(1)
    # The first run stops here (a crash, Ctrl-C): two parts submitted, nothing downloaded.
    second = AsyncJob(job_client, requests, state_path=state, max_requests=3, **FAST)
    assert second.resumed
    assert second.batch_ids[:2] == first.batch_ids[:2]
    got: list[BatchResult] = []
    async for result in second.results():
        got.append(result)
        if len(got) == 4:
            break  # stops inside the second part: only the first is complete
    assert job_emulator.stats.create_calls == 3
    saved = json.loads(state.read_text())
    assert [p["downloaded"] for p in saved["parts"]] == [True, False, False]
    third = AsyncJob(job_client, requests, state_path=state, max_requests=3, **FAST)
    downloads = job_emulator.stats.results_downloads
    rest = await collect(third)
    assert job_emulator.stats.create_calls == 3
    assert job_emulator.stats.results_downloads == downloads + 2
    assert sorted(r.custom_id for r in got[:3] + rest) == [f"r{i}" for i in range(9)]
    fourth = AsyncJob(job_client, requests, state_path=state, max_requests=3, **FAST)
    assert await collect(fourth) == []
    assert job_emulator.stats.create_calls == 3
    assert fourth.usage.counts == {"succeeded": 9}


async def test_resume_with_different_requests_is_refused(
    job_client: AsyncClient, job_emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "s.json"
    await AsyncJob(job_client, [req("a"), req("b")], state_path=state).submit()
    with pytest.raises(JobStateError, match="different job"):
        AsyncJob(job_client, [req("a"), req("b", "changed")], state_path=state)
    assert job_emulator.stats.create_calls == 1


async def test_a_create_cut_off_before_its_answer_is_reported_on_resume(
    job_client: AsyncClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "s.json"
    job = AsyncJob(job_client, [req("a")], state_path=state)
    job.state.parts[0].submitting_at = "2026-11-02T09:00:00+00:00"
    job.state.save(state)
    again = AsyncJob(job_client, [req("a")], state_path=state)
    with caplog.at_level(logging.WARNING, logger="anthropic_batches"):
        await again.submit()
    assert "may have created a batch" in caplog.text
    caplog.clear()
    other = tmp_path / "other.json"
    job = AsyncJob(job_client, [req("b")], state_path=other)
    job.state.parts[0].submitting_at = "not a time"  # a hand-edited file
    job.state.save(other)
    with caplog.at_level(logging.WARNING, logger="anthropic_batches"):
        await AsyncJob(job_client, [req("b")], state_path=other).submit()
    assert "may have created a batch" in caplog.text


async def test_a_batch_made_by_a_create_cut_off_before_its_answer_is_used_on_resume(
    job_client: AsyncClient,
    job_emulator: Emulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: a run killed after the API created a batch but before the state
    recorded it submitted that part again on resume: a second batch, billed twice."""
    state = tmp_path / "s.json"
    requests = [req("a"), req("b"), req("c")]
    job = AsyncJob(job_client, requests, state_path=state, max_requests=2, **FAST)
    first = await job.submit_part(0)
    job.state.parts[1].submitting_at = datetime.now(UTC).isoformat()
    job.state.save(state)
    # what the cut-off create made, and a batch of another size made meanwhile
    made = await job_client.messages.batches.create(requests[2:])
    await job_client.messages.batches.create([req("x"), req("y")])
    again = AsyncJob(job_client, requests, state_path=state, max_requests=2, **FAST)
    with caplog.at_level(logging.WARNING, logger="anthropic_batches"):
        assert await again.submit() == [first, made.id]
    assert f"did make batch {made.id}; using it" in caplog.text
    assert job_emulator.stats.batches_created == 3
    assert sorted(r.custom_id for r in await collect(again)) == ["a", "b", "c"]
    assert json.loads(state.read_text())["parts"][1]["batch_id"] == made.id


async def test_a_cut_off_create_is_found_after_the_batch_listed_newest_before_it(
    job_client: AsyncClient,
    job_emulator: Emulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: a batch of the same size made minutes earlier (an earlier job
    under the same key) made the cut-off create's batch impossible to tell, and the part was
    submitted again. The newest batch seen before the create marks where to look."""
    state = tmp_path / "s.json"
    earlier = await job_client.messages.batches.create([req("old1"), req("old2")])
    job = AsyncJob(job_client, [req("a"), req("b")], state_path=state, **FAST)
    job.state.parts[0].submitting_at = datetime.now(UTC).isoformat()
    job.state.parts[0].newest_before = earlier.id
    job.state.save(state)
    made = await job_client.messages.batches.create([req("a"), req("b")])
    again = AsyncJob(job_client, [req("a"), req("b")], state_path=state, **FAST)
    with caplog.at_level(logging.WARNING, logger="anthropic_batches"):
        assert await again.submit() == [made.id]
    assert f"did make batch {made.id}; using it" in caplog.text
    assert job_emulator.stats.batches_created == 2
    assert sorted(r.custom_id for r in await collect(again)) == ["a", "b"]


async def test_a_submit_records_the_newest_batch_before_its_create(
    job_client: AsyncClient, tmp_path: Path
) -> None:
    state = tmp_path / "s.json"
    first = AsyncJob(job_client, [req("a")], state_path=state, **FAST)
    [first_id] = await first.submit()
    assert json.loads(state.read_text())["parts"][0]["newest_before"] == ""
    second = AsyncJob(job_client, [req("b")], state_path=tmp_path / "t.json", **FAST)
    await second.submit()
    saved = json.loads((tmp_path / "t.json").read_text())["parts"][0]
    assert saved["newest_before"] == first_id


async def test_two_batches_that_could_be_the_cut_off_create_are_not_guessed_between(
    job_client: AsyncClient,
    job_emulator: Emulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = tmp_path / "s.json"
    job = AsyncJob(job_client, [req("a")], state_path=state)
    job.state.parts[0].submitting_at = datetime.now(UTC).isoformat()
    job.state.save(state)
    others = [(await job_client.messages.batches.create([req("z")])).id for _ in range(2)]
    again = AsyncJob(job_client, [req("a")], state_path=state)
    with caplog.at_level(logging.WARNING, logger="anthropic_batches"):
        [batch_id] = await again.submit()
    assert batch_id not in others
    assert "may have created a batch" in caplog.text
    assert job_emulator.stats.batches_created == 3


async def test_a_batch_that_is_not_the_parts_is_refused_before_its_results_are_joined(
    job_client: AsyncClient, tmp_path: Path
) -> None:
    """A batch of the part's size made by someone else in the same minutes is taken for the
    cut-off create's; its results name other requests, and are refused, not joined."""
    state = tmp_path / "s.json"
    job = AsyncJob(job_client, [req("a"), req("b")], state_path=state, **FAST)
    job.state.parts[0].submitting_at = datetime.now(UTC).isoformat()
    job.state.save(state)
    stranger = await job_client.messages.batches.create([req("x"), req("y")])
    again = AsyncJob(job_client, [req("a"), req("b")], state_path=state, **FAST)
    assert await again.submit() == [stranger.id]
    seen: list[str] = []
    with pytest.raises(JobStateError) as info:
        async for result in again.results():
            seen.append(result.custom_id)
    assert seen == []
    message = str(info.value)
    assert str(state) in message
    assert f"part 0's batch {stranger.id}" in message
    assert "not one of the part's requests" in message
    assert json.loads(state.read_text())["parts"][0]["downloaded"] is False


async def test_resubmit_failed_requests(job_client: AsyncClient, job_emulator: Emulator) -> None:
    requests = [req("ok-1"), req("fail-1"), req("busy-1"), req("ok-2"), req("busy-2")]
    job = AsyncJob(job_client, requests, max_requests=2, **FAST)
    await collect(job)
    assert job.usage.counts == {"succeeded": 2, "errored": 3}
    assert custom_ids(job.failed_requests()) == ["fail-1", "busy-1", "busy-2"]
    retry = job.resubmit(retryable_only=True)
    assert custom_ids(retry.part_requests(0)) == ["busy-1", "busy-2"]
    results = await collect(retry)
    assert {r.custom_id: r.result.type for r in results} == {
        "busy-1": "succeeded",
        "busy-2": "succeeded",
    }
    assert job_emulator.stats.create_calls == len(job.parts) + 1


async def test_nothing_to_resubmit(job_client: AsyncClient) -> None:
    job = AsyncJob(job_client, [req("ok")], **FAST)
    await collect(job)
    with pytest.raises(ValueError, match="nothing to resubmit"):
        job.resubmit()


async def test_cost_totals_on_known_usage(job_client: AsyncClient) -> None:
    job = AsyncJob(job_client, [req(f"r{i}") for i in range(4)] + [req("fail")], **FAST)
    await collect(job)
    usage = job.usage
    assert usage.tokens["succeeded"].input_tokens == 4000
    assert usage.tokens["succeeded"].output_tokens == 2000
    # Sonnet 4.x list price 3 / 15 dollars per million tokens, half price in a batch.
    assert usage.cost().total == pytest.approx((4000 * 3 + 2000 * 15) / 1e6 / 2)


async def test_progress_is_per_part_and_honest(job_client: AsyncClient) -> None:
    events: list[JobProgress] = []
    job = AsyncJob(
        job_client,
        [req(f"r{i}") for i in range(6)],
        max_requests=2,
        on_progress=events.append,
        **FAST,
    )
    await job.wait()
    assert events
    running = [e for e in events if not e.done]
    assert running
    assert all(e.counts.succeeded + e.counts.processing == 6 for e in events)
    assert {e.ended_requests for e in events} <= {0, 2, 4, 6}
    assert all(e.time_to_expiry is None or e.time_to_expiry > 0 for e in running)
    assert events[-1].done
    assert events[-1].ended_parts == events[-1].total_parts == 3
    assert events[-1].elapsed >= events[0].elapsed


async def test_wait_timeout(job_client: AsyncClient, job_emulator: Emulator) -> None:
    job_emulator.process_seconds = 10**9
    job = AsyncJob(job_client, [req("a"), req("b")], max_requests=1, **FAST)
    with pytest.raises(WaitTimeoutError):
        await job.wait(timeout=0.05)


async def test_cancel_ends_the_batches_with_canceled_results(
    job_client: AsyncClient, job_emulator: Emulator
) -> None:
    job_emulator.process_seconds = 10**9
    job = AsyncJob(job_client, [req("a"), req("b"), req("c")], max_requests=2, **FAST)
    await job.submit()
    canceled = await job.cancel()
    assert [b.processing_status for b in canceled] == ["canceling", "canceling"]
    results = await collect(job)
    assert sorted((r.custom_id, r.result.type) for r in results) == [
        ("a", "canceled"),
        ("b", "canceled"),
        ("c", "canceled"),
    ]


async def test_in_input_order_marks_inputs_with_no_result(job_client: AsyncClient) -> None:
    job = AsyncJob(job_client, [req("a"), req("b")], **FAST)
    ordered = [r async for r in job.results_in_input_order()]
    assert [r.custom_id for r in ordered] == ["a", "b"]
    assert not any(isinstance(r, Missing) for r in ordered)


def test_from_file_takes_every_setting_of_a_job_by_keyword() -> None:
    keywords = [
        p.name
        for p in inspect.signature(AsyncJob).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    assert set(JobOptions.__annotations__) == set(keywords)
    documented = inspect.getdoc(AsyncJob.from_file) or ""
    assert all(f"`{name}`" in documented for name in keywords)
