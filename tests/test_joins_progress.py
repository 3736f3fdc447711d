from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import custom_ids

from anthropic_batches import BatchResult, RequestCounts
from anthropic_batches._joins import (
    Missing,
    failed_requests,
    results_by_custom_id,
    results_in_input_order,
)
from anthropic_batches._progress import JobProgress, PartProgress


def result(cid: str, kind: str = "canceled", error_type: str = "api_error") -> BatchResult:
    data: dict[str, object] = {"type": kind}
    if kind == "errored":
        data["error"] = {"type": "error", "error": {"type": error_type, "message": "x"}}
    return BatchResult.model_validate({"custom_id": cid, "result": data})


def req(cid: str) -> dict[str, object]:
    return {"custom_id": cid, "params": {}}


def test_input_order_with_missing_markers() -> None:
    ordered = results_in_input_order([req("a"), req("b"), req("c")], [result("c"), result("a")])
    assert [getattr(r, "custom_id", None) for r in ordered] == ["a", "b", "c"]
    assert ordered[1] == Missing("b")
    assert not ordered[1]
    assert isinstance(ordered[0], BatchResult)


def test_later_result_wins_and_failed_requests() -> None:
    results = [
        result("a", "errored", "invalid_request_error"),
        result("b", "errored", "overloaded_error"),
        result("c", "expired"),
        result("d", "errored"),
        result("d", "canceled"),
    ]
    assert results_by_custom_id(results)["d"].result.type == "canceled"
    requests = [req(c) for c in "abcd"]
    assert custom_ids(failed_requests(requests, results)) == ["a", "b", "c"]
    retry = failed_requests(requests, results, retryable_only=True)
    assert custom_ids(retry) == ["b", "c"]


def test_progress_counts_only_ended_parts() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ended = RequestCounts(succeeded=3, errored=1)
    running = RequestCounts(processing=5)
    p = JobProgress(
        (
            PartProgress(0, 4, "b0", "ended", ended, now + timedelta(hours=20)),
            PartProgress(1, 5, "b1", "in_progress", running, now + timedelta(hours=2)),
            PartProgress(2, 5, "b2", "in_progress", running, now + timedelta(hours=3)),
        ),
        12.0,
        now,
    )
    assert (p.ended_parts, p.total_parts, p.ended_requests, p.total_requests) == (1, 3, 4, 14)
    assert p.counts == RequestCounts(processing=10, succeeded=3, errored=1)
    assert p.time_to_expiry == 7200
    assert not p.done
