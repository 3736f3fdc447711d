from __future__ import annotations

import json
from typing import Any

import pytest

from anthropic_batches import BatchRequest, BatchValidationError
from anthropic_batches._split import job_digest, split_requests


def req(i: int, text: str = "hi", **params: Any) -> dict[str, Any]:
    p = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": text}],
    }
    p.update(params)
    return {"custom_id": f"r{i}", "params": p}


def body_size(requests: list[dict[str, Any]]) -> int:
    return len(json.dumps({"requests": requests}, separators=(",", ":"), ensure_ascii=False))


def test_count_limit_keeps_order_and_every_request_once() -> None:
    requests = [req(i) for i in range(10)]
    parts = split_requests(requests, max_requests=4)
    assert [len(p) for p in parts] == [4, 4, 2]
    assert [p.start for p in parts] == [0, 4, 8]
    assert [cid for p in parts for cid in p.read_custom_ids()] == [f"r{i}" for i in range(10)]
    assert [r for p in parts for r in p.read_requests()] == requests


def test_byte_limit_fills_parts_up_to_the_exact_body_size() -> None:
    requests = [req(i, "x" * 50) for i in range(9)]
    three = body_size(requests[:3])
    parts = split_requests(requests, max_bytes=three)
    assert [len(p) for p in parts] == [3, 3, 3]
    assert all(p.size == body_size(p.read_requests()) for p in parts)
    parts = split_requests(requests, max_bytes=three - 1)
    assert [len(p) for p in parts] == [2, 2, 2, 2, 1]


def test_uneven_sizes_split_by_bytes_and_count_together() -> None:
    requests = [req(i, "x" * (10 if i % 2 else 400)) for i in range(12)]
    parts = split_requests(requests, max_requests=3, max_bytes=1100)
    assert all(len(p) <= 3 and p.size <= 1100 for p in parts)
    assert [r for p in parts for r in p.read_requests()] == requests


def test_one_request_bigger_than_the_byte_limit_is_refused() -> None:
    with pytest.raises(BatchValidationError) as info:
        split_requests([req(0), req(1, "y" * 500)], max_bytes=300)
    (problem,) = info.value.problems
    assert problem.index == 1
    assert "bytes" in problem.message


def test_every_problem_across_the_job_is_listed() -> None:
    requests = [
        req(0),
        req(1),
        {"custom_id": "r0", "params": req(2)["params"]},
        req(3, max_tokens=0),
    ]
    requests.append({"custom_id": "bad id!", "params": req(4)["params"]})
    with pytest.raises(BatchValidationError) as info:
        split_requests(requests, max_requests=2)
    found = {(p.index, p.field) for p in info.value.problems}
    assert found == {(2, "custom_id"), (3, "params.max_tokens"), (4, "custom_id")}
    assert "duplicate" in str(info.value)


def test_duplicates_in_different_parts_are_caught() -> None:
    requests = [req(i) for i in range(5)] + [req(0)]
    with pytest.raises(BatchValidationError, match="duplicate"):
        split_requests(requests, max_requests=2)


def test_api_version_rules_apply() -> None:
    requests = [req(0, temperature=0.5)]
    with pytest.raises(BatchValidationError, match="temperature"):
        split_requests(requests)
    assert len(split_requests(requests, api_version="2023-06-01")) == 1


def test_empty_job_and_bad_arguments() -> None:
    with pytest.raises(BatchValidationError, match="at least 1 request"):
        split_requests([])
    with pytest.raises(BatchValidationError, match="iterable"):
        split_requests(req(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        split_requests([req(0)], max_requests=0)


def test_models_and_generators_are_accepted() -> None:
    parts = split_requests(BatchRequest(**req(i)) for i in range(3))
    assert parts[0].read_custom_ids() == ["r0", "r1", "r2"]


def test_digest_follows_the_content() -> None:
    a = split_requests([req(i) for i in range(4)], max_requests=2)
    b = split_requests([req(i) for i in range(4)], max_requests=2)
    c = split_requests([req(i, "other" if i == 3 else "hi") for i in range(4)], max_requests=2)
    d = split_requests([req(i) for i in range(4)], max_requests=3)
    assert job_digest(a) == job_digest(b)
    assert a[0].digest == c[0].digest
    assert a[1].digest != c[1].digest
    assert job_digest(a) != job_digest(c)
    assert job_digest(a) != job_digest(d)
