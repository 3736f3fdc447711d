"""A job's round decisions (`_rounds`): queue room, the poll plan, the pause, stop codes."""

from __future__ import annotations

import httpx
from helpers import batch_json

from anthropic_batches import (
    EnforcedSpendLimitReachedError,
    MessageBatch,
    OrganizationOnHoldError,
    RampLimitExceededError,
    RateLimitError,
)
from anthropic_batches._rounds import has_room, next_interval, poll_plan, stops_job, waits_for_room
from anthropic_batches._shared import error_from_response


def test_room_within_the_cap_and_always_for_an_empty_queue() -> None:
    assert has_room(0, 500, None) and has_room(10**6, 500, None)
    assert has_room(500, 500, 1000)
    assert not has_room(501, 500, 1000)
    assert has_room(0, 5000, 1000)  # else a part larger than the cap could never go


def batch(batch_id: str) -> MessageBatch:
    return MessageBatch.model_validate(batch_json(batch_id))


def test_one_batch_is_asked_for_alone_several_with_a_list_page() -> None:
    single = poll_plan(["a"], None)
    assert not single.use_list and single.by_id == ("a",)
    several = poll_plan(["a", "b", "c"], None)
    assert several.use_list and several.by_id == ()


def test_a_page_answers_what_it_shows_and_the_rest_is_asked_for() -> None:
    plan = poll_plan(["a", "b", "c"], [batch("c"), batch("x"), batch("a")])
    assert sorted(plan.found) == ["a", "c"]
    assert plan.by_id == ("b",)


def error(status: int, code: str | None) -> Exception:
    body: dict[str, object] = {"type": "error", "error": {"type": "x", "message": "m"}}
    if code:
        body["error"] = {"type": "x", "message": "m", "details": {"error_code": code}}
    request = httpx.Request("POST", "https://api.example.test/v1/messages/batches")
    response = httpx.Response(status, json=body, request=request)
    return error_from_response(response)


def test_codes_that_stop_and_codes_that_wait() -> None:
    spend = error(429, "enforced_spend_limit_reached")
    assert isinstance(spend, EnforcedSpendLimitReachedError)
    assert stops_job(spend) and not waits_for_room(spend)
    hold = error(400, "organization_on_hold")
    assert isinstance(hold, OrganizationOnHoldError) and stops_job(hold)
    ramp = error(429, "ramp_limit_exceeded")
    assert isinstance(ramp, RampLimitExceededError)
    assert waits_for_room(ramp) and not stops_job(ramp)
    full = error(429, None)
    assert isinstance(full, RateLimitError) and waits_for_room(full)
    assert not waits_for_room(error(500, None)) and not stops_job(error(500, None))


def test_the_pause_honours_retry_after_within_the_cap() -> None:
    assert next_interval(1.0, None, 60.0) == 1.0
    assert next_interval(1.0, 7.0, 60.0) == 7.0
    assert next_interval(1.0, 500.0, 60.0) == 60.0
