"""The client-wide request budget and shared pause (`_pacing`), on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from anthropic_batches._facts import (
    RATELIMIT_REQUESTS_LIMIT,
    RATELIMIT_REQUESTS_REMAINING,
    RATELIMIT_REQUESTS_RESET,
)
from anthropic_batches._pacing import MAX_PAUSE, RequestPacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


WALL = 1_800_000_000.0


def pacer(limit: int | None = None, window: float = 60.0) -> tuple[RequestPacer, FakeClock]:
    clock = FakeClock()
    return RequestPacer(limit, window=window, clock=clock, wall=lambda: WALL), clock


def send_times(p: RequestPacer, clock: FakeClock, n: int) -> list[float]:
    """When each of `n` calls made at once would be sent."""
    return [clock.now + p.reserve() for _ in range(n)]


def test_no_budget_sends_at_once() -> None:
    p, clock = pacer()
    assert send_times(p, clock, 500) == [clock.now] * 500


def test_never_more_than_the_limit_in_any_window() -> None:
    p, clock = pacer(limit=60)
    times = send_times(p, clock, 200)
    assert times[:60] == [clock.now] * 60  # a burst up to the limit goes at once
    for i in range(len(times) - 60):
        assert times[i + 60] - times[i] >= 60.0  # the 61st call is a window later
    assert max(times) == pytest.approx(clock.now + 3 * 60.6)  # with the 1% margin


def test_slots_freed_as_time_passes() -> None:
    p, clock = pacer(limit=2, window=10.0)
    assert send_times(p, clock, 2) == [1000.0, 1000.0]
    clock.now += 4
    assert p.reserve() == pytest.approx(6.1)  # the first's window (and its 1% margin) closes
    clock.now += 20
    assert p.reserve() == 0.0


def test_a_short_window_keeps_a_tenth_of_a_second_apart() -> None:
    # 1% of a 1-second window (10 ms) is less than two calls' times on the way can differ.
    p, clock = pacer(limit=2, window=1.0)
    times = send_times(p, clock, 4)
    assert times[2] - times[0] == pytest.approx(1.1)
    assert times[3] - times[1] == pytest.approx(1.1)


def test_a_429_pauses_every_call() -> None:
    p, clock = pacer()
    p.observe(httpx.Response(429, headers={"retry-after": "5"}), 5.0)
    assert p.reserve() == 5.0 and p.reserve() == 5.0
    assert p.pause_left() == 5.0
    clock.now += 5
    assert p.reserve() == 0.0


def test_a_pause_already_waited_is_not_waited_again() -> None:
    p, _ = pacer()
    p.pause(3.0)
    assert p.reserve(honoured=p.paused_until) == 0.0
    assert p.reserve() == 3.0


def test_an_other_status_with_retry_after_does_not_pause() -> None:
    p, _ = pacer()
    p.observe(httpx.Response(529, headers={"retry-after": "5"}), 5.0)
    assert p.reserve() == 0.0


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def test_spent_budget_headers_pause_until_one_request_is_back() -> None:
    p, _ = pacer()
    headers = {
        RATELIMIT_REQUESTS_LIMIT: "30",
        RATELIMIT_REQUESTS_REMAINING: "0",
        RATELIMIT_REQUESTS_RESET: iso(WALL + 50),
    }
    p.observe(httpx.Response(200, headers=headers), None)
    assert p.reserve() == pytest.approx(2.0)  # 60 s / 30 requests


def test_reset_bounds_the_pause_and_remaining_requests_do_not_pause() -> None:
    p, _ = pacer()
    p.observe(
        httpx.Response(
            200,
            headers={RATELIMIT_REQUESTS_REMAINING: "0", RATELIMIT_REQUESTS_RESET: iso(WALL + 0.5)},
        ),
        None,
    )
    assert p.reserve() == pytest.approx(0.5)
    q, _ = pacer()
    q.observe(httpx.Response(200, headers={RATELIMIT_REQUESTS_REMAINING: "7"}), None)
    assert q.reserve() == 0.0


def test_pauses_are_capped() -> None:
    p, _ = pacer()
    p.pause(10_000)
    assert p.reserve() == MAX_PAUSE


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_requests_per_minute"):
        RequestPacer(0)
    with pytest.raises(ValueError, match="window"):
        RequestPacer(5, window=0)
