"""wait(): polling with a growing interval, retry-after, transient errors, timeout, callback."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from helpers import BASE, KEY, batch_json

from anthropic_batches import (
    AsyncClient,
    MessageBatch,
    NotFoundError,
    WaitTimeoutError,
)
from anthropic_batches._async import batches as batches_mod
from anthropic_batches._async import client as client_mod


class Clock:
    """Fake time: sleeping moves it forward instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(batches_mod, "sleep", c.sleep)
    monkeypatch.setattr(client_mod, "sleep", c.sleep)
    monkeypatch.setattr(time, "monotonic", c.monotonic)  # the clock `batches` reads
    return c


def client_for(answers: list[httpx.Response | Exception]) -> AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(api_key=KEY, base_url=BASE, http_client=http, max_retries=0)


def ok(status: str, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=batch_json("b1", status), headers=headers)


async def test_polls_until_ended_with_growing_interval(clock: Clock) -> None:
    answers = [ok("in_progress")] * 4 + [ok("canceling"), ok("ended")]
    seen: list[str] = []
    client = client_for(list(answers))
    batch = await client.messages.batches.wait(
        "b1",
        poll_interval=2,
        max_poll_interval=5,
        on_poll=lambda b: seen.append(b.processing_status),
    )
    assert batch.ended
    assert seen == ["in_progress"] * 4 + ["canceling", "ended"]
    assert clock.sleeps == [2, 3, 4.5, 5, 5]


async def test_honours_retry_after_within_cap(clock: Clock) -> None:
    client = client_for([ok("in_progress", **{"retry-after": "10"}), ok("ended")])
    await client.messages.batches.wait("b1", poll_interval=1, max_poll_interval=60)
    assert clock.sleeps == [10.0]
    client = client_for([ok("in_progress", **{"retry-after": "100"}), ok("ended")])
    await client.messages.batches.wait("b1", poll_interval=1, max_poll_interval=30)
    assert clock.sleeps[-1] == 30


async def test_rides_over_transient_errors(clock: Clock) -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.Response(529, json={}, headers={"retry-after": "4"}),
        httpx.ReadError("reset"),
        httpx.Response(500, text="<html>oops</html>"),
        ok("ended"),
    ]
    batch = await client_for(answers).messages.batches.wait("b1", poll_interval=1)
    assert batch.ended
    assert clock.sleeps == [4, 1.5, 2.25]


async def test_not_found_is_not_transient_for_an_id(clock: Clock) -> None:
    client = client_for([httpx.Response(404, json={})])
    with pytest.raises(NotFoundError):
        await client.messages.batches.wait("b1")


async def test_not_found_just_after_create_is_waited_out(clock: Clock) -> None:
    fresh = MessageBatch.model_validate(batch_json("b1", created_at=datetime.now(UTC).isoformat()))
    client = client_for([httpx.Response(404, json={}), ok("ended")])
    assert (await client.messages.batches.wait(fresh)).ended
    old = MessageBatch.model_validate(batch_json("b1"))
    client = client_for([httpx.Response(404, json={})])
    with pytest.raises(NotFoundError):
        await client.messages.batches.wait(old)


async def test_timeout_raises_wait_timeout_with_last_state(clock: Clock) -> None:
    client = client_for([ok("in_progress")] * 10)
    with pytest.raises(WaitTimeoutError) as info:
        await client.messages.batches.wait("b1", poll_interval=2, timeout=5)
    assert isinstance(info.value, TimeoutError)
    assert info.value.batch is not None
    assert info.value.batch.id == "b1"
    assert "did not end within 5 s" in str(info.value)
    assert sum(clock.sleeps) == pytest.approx(5)


async def test_ended_batch_returns_without_request(clock: Clock) -> None:
    done = MessageBatch.model_validate(batch_json("b1", "ended"))
    client = client_for([])
    assert await client.messages.batches.wait(done) is done


async def test_bad_arguments(clock: Clock) -> None:
    client = client_for([])
    with pytest.raises(ValueError, match="positive"):
        await client.messages.batches.wait("b1", poll_interval=0)
    with pytest.raises(ValueError, match="non-empty"):
        await client.messages.batches.wait("")
