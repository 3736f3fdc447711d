"""The emulator's endpoints, shapes, headers and lifecycle, over httpx.ASGITransport."""

from __future__ import annotations

import json
import re
from datetime import datetime

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, Body, results_of, results_of_text

from anthropic_batches import MessageBatch
from anthropic_batches._models import BatchResult, SucceededResult
from anthropic_batches.emulator import Emulator, ManualClock, create_app

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
DAY = 86400.0


async def test_create_answers_a_batch_in_progress(http: httpx.AsyncClient, body: Body) -> None:
    response = await http.post(BATCHES, json=body(2))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r"req_[0-9A-Za-z]{24}", response.headers["request-id"])
    data = response.json()
    assert re.fullmatch(r"msgbatch_[0-9A-Za-z]{24}", data["id"])
    assert data["type"] == "message_batch"
    assert data["processing_status"] == "in_progress"
    assert data["request_counts"] == {
        "processing": 2,
        "succeeded": 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert data["ended_at"] is None and data["results_url"] is None
    assert data["cancel_initiated_at"] is None and data["archived_at"] is None
    assert data["created_at"] == "2026-11-02T09:00:00.000000Z"
    assert data["expires_at"] == "2026-11-03T09:00:00.000000Z"
    MessageBatch.model_validate(data)


async def test_batch_ends_after_process_seconds_with_results(
    http: httpx.AsyncClient, clock: ManualClock, body: Body
) -> None:
    batch_id = (await http.post(BATCHES, json=body(3))).json()["id"]
    clock.advance(0.5)
    mid = (await http.get(f"{BATCHES}/{batch_id}")).json()
    assert mid["processing_status"] == "in_progress"
    assert mid["request_counts"]["processing"] == 3
    gone = await http.get(f"{BATCHES}/{batch_id}/results")
    assert gone.status_code == 404
    assert gone.json()["error"]["type"] == "not_found_error"

    clock.advance(0.5)
    done = (await http.get(f"{BATCHES}/{batch_id}")).json()
    assert done["processing_status"] == "ended"
    assert done["request_counts"] == {
        "processing": 0,
        "succeeded": 3,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert TIMESTAMP.fullmatch(done["ended_at"])
    assert done["results_url"] == f"http://emulator.test{BATCHES}/{batch_id}/results"

    response = await http.get(done["results_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-jsonl"
    assert "request-id" in response.headers
    results = results_of(response)
    assert sorted(results) == ["req-0", "req-1", "req-2"]
    for line in response.text.splitlines():
        parsed = BatchResult.model_validate_json(line)
        assert isinstance(parsed.result, SucceededResult)
        message = parsed.result.message
        assert message.id.startswith("msg_")
        assert message.model == "claude-opus-5"
        assert message.stop_reason == "end_turn"
        assert "Hello, world" in message.text
        assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
        assert message.usage.service_tier == "batch"


async def test_results_are_stable_and_deterministic(
    emulator: Emulator, clock: ManualClock, http: httpx.AsyncClient, body: Body
) -> None:
    first = (await http.post(BATCHES, json=body(50))).json()["id"]
    second = (await http.post(BATCHES, json=body(50))).json()["id"]
    clock.advance(1)
    a1 = (await http.get(f"{BATCHES}/{first}/results")).text
    a2 = (await http.get(f"{BATCHES}/{first}/results")).text
    assert a1 == a2  # the same bytes on every download: resuming by line is safe
    texts_1 = {k: v["message"]["content"] for k, v in results_of_text(a1).items()}
    b = (await http.get(f"{BATCHES}/{second}/results")).text
    texts_2 = {k: v["message"]["content"] for k, v in results_of_text(b).items()}
    assert texts_1 == texts_2  # same params, same answer
    order = [json.loads(line)["custom_id"] for line in a1.splitlines()]
    assert order != sorted(order, key=lambda c: int(c.split("-")[1]))  # no promised order


async def test_invalid_params_end_errored_under_the_batch_version(
    http: httpx.AsyncClient, clock: ManualClock
) -> None:
    good = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    requests = [
        {"custom_id": "ok", "params": good},
        {"custom_id": "hot", "params": {**good, "temperature": 0.5}},
        {"custom_id": "no-model", "params": {"max_tokens": 5, "messages": good["messages"]}},
        {"custom_id": "zero", "params": {**good, "max_tokens": 0}},
        {"custom_id": "no-messages", "params": {"model": "m", "max_tokens": 5}},
    ]
    new = (await http.post(BATCHES, json={"requests": requests})).json()["id"]
    old_headers = {**HEADERS, "anthropic-version": "2023-06-01"}
    old = (await http.post(BATCHES, json={"requests": requests}, headers=old_headers)).json()
    clock.advance(1)
    new_results = results_of(await http.get(f"{BATCHES}/{new}/results"))
    errors = {cid: r["error"]["error"] for cid, r in new_results.items() if r["type"] == "errored"}
    assert set(errors) == {"hot", "no-model", "zero", "no-messages"}
    assert all(e["type"] == "invalid_request_error" for e in errors.values())
    assert "temperature" in errors["hot"]["message"]
    assert "max_tokens" in errors["zero"]["message"]
    counts = (await http.get(f"{BATCHES}/{new}")).json()["request_counts"]
    assert (counts["succeeded"], counts["errored"]) == (1, 4)
    # the same temperature is fine for a batch created under 2023-06-01
    old_results = results_of(await http.get(f"{BATCHES}/{old['id']}/results", headers=old_headers))
    assert old_results["hot"]["type"] == "succeeded"
    assert old_results["zero"]["type"] == "errored"


async def test_max_tokens_cuts_the_answer(http: httpx.AsyncClient, clock: ManualClock) -> None:
    long = "word " * 400
    params = {"model": "m", "max_tokens": 3, "messages": [{"role": "user", "content": long}]}
    batch_id = (
        await http.post(BATCHES, json={"requests": [{"custom_id": "a", "params": params}]})
    ).json()["id"]
    clock.advance(1)
    message = results_of(await http.get(f"{BATCHES}/{batch_id}/results"))["a"]["message"]
    assert message["stop_reason"] == "max_tokens"
    assert message["usage"]["output_tokens"] <= 3


async def test_cancel_moves_to_canceling_then_ends_with_canceled_requests(
    http: httpx.AsyncClient, clock: ManualClock, body: Body
) -> None:
    batch_id = (await http.post(BATCHES, json=body(10))).json()["id"]
    clock.advance(0.5)  # half of the requests are done when the cancel comes
    response = await http.post(f"{BATCHES}/{batch_id}/cancel")
    assert response.status_code == 200
    canceling = response.json()
    assert canceling["processing_status"] == "canceling"
    assert canceling["cancel_initiated_at"] == "2026-11-02T09:00:00.500000Z"
    assert canceling["request_counts"]["processing"] == 10
    again = await http.post(f"{BATCHES}/{batch_id}/cancel")  # canceling twice is harmless
    assert again.status_code == 200
    assert again.json()["cancel_initiated_at"] == canceling["cancel_initiated_at"]
    clock.advance(0.2)
    ended = (await http.get(f"{BATCHES}/{batch_id}")).json()
    assert ended["processing_status"] == "ended"
    assert ended["request_counts"] == {
        "processing": 0,
        "succeeded": 5,
        "errored": 0,
        "canceled": 5,
        "expired": 0,
    }
    results = results_of(await http.get(f"{BATCHES}/{batch_id}/results"))
    kinds = sorted(r["type"] for r in results.values())
    assert kinds == ["canceled"] * 5 + ["succeeded"] * 5
    assert all(r == {"type": "canceled"} for r in results.values() if r["type"] == "canceled")

    late = await http.post(f"{BATCHES}/{batch_id}/cancel")
    assert late.status_code == 400
    assert late.json()["error"]["type"] == "invalid_request_error"
    assert "already ended" in late.json()["error"]["message"]


async def test_cancel_at_once_cancels_everything(
    http: httpx.AsyncClient, clock: ManualClock, body: Body
) -> None:
    batch_id = (await http.post(BATCHES, json=body(4))).json()["id"]
    await http.post(f"{BATCHES}/{batch_id}/cancel")
    clock.advance(5)
    counts = (await http.get(f"{BATCHES}/{batch_id}")).json()["request_counts"]
    assert counts["canceled"] == 4 and counts["succeeded"] == 0


async def test_expiry_ends_what_is_left_as_expired(body: Body) -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, process_seconds=2 * DAY)  # half done at expiry
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        batch = (await http.post(BATCHES, json=body(8))).json()
        clock.advance(DAY - 1)
        assert (await http.get(f"{BATCHES}/{batch['id']}")).json()["processing_status"] == (
            "in_progress"
        )
        clock.advance(1)
        ended = (await http.get(f"{BATCHES}/{batch['id']}")).json()
        assert ended["processing_status"] == "ended"
        assert ended["ended_at"] == batch["expires_at"]
        assert ended["request_counts"]["expired"] == 4
        assert ended["request_counts"]["succeeded"] == 4
        results = results_of(await http.get(f"{BATCHES}/{batch['id']}/results"))
        assert sum(r == {"type": "expired"} for r in results.values()) == 4


async def test_results_are_kept_29_days(
    http: httpx.AsyncClient, clock: ManualClock, body: Body
) -> None:
    batch_id = (await http.post(BATCHES, json=body(1))).json()["id"]
    clock.advance(29 * DAY - 1)
    assert (await http.get(f"{BATCHES}/{batch_id}/results")).status_code == 200
    assert (await http.get(f"{BATCHES}/{batch_id}")).json()["archived_at"] is None
    clock.advance(1)
    batch = (await http.get(f"{BATCHES}/{batch_id}")).json()
    assert batch["archived_at"] == "2026-12-01T09:00:00.000000Z"
    assert batch["processing_status"] == "ended"
    response = await http.get(f"{BATCHES}/{batch_id}/results")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    assert "29 days" in response.json()["error"]["message"]


async def test_delete_only_once_ended(
    http: httpx.AsyncClient, clock: ManualClock, body: Body
) -> None:
    batch_id = (await http.post(BATCHES, json=body(1))).json()["id"]
    refused = await http.delete(f"{BATCHES}/{batch_id}")
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert "cancel it first" in refused.json()["error"]["message"]
    await http.post(f"{BATCHES}/{batch_id}/cancel")
    still = await http.delete(f"{BATCHES}/{batch_id}")  # canceling is not ended
    assert still.status_code == 400
    clock.advance(1)
    deleted = await http.delete(f"{BATCHES}/{batch_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": batch_id, "type": "message_batch_deleted"}
    for response in [
        await http.get(f"{BATCHES}/{batch_id}"),
        await http.get(f"{BATCHES}/{batch_id}/results"),
        await http.delete(f"{BATCHES}/{batch_id}"),
        await http.post(f"{BATCHES}/{batch_id}/cancel"),
    ]:
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "not_found_error"
    assert (await http.get(BATCHES)).json()["data"] == []


@pytest.mark.parametrize("version", ["2023-06-01", "2026-10-21"])
@pytest.mark.parametrize("how", ["x-api-key", "bearer"])
async def test_both_versions_and_both_key_headers(
    http: httpx.AsyncClient, body: Body, version: str, how: str
) -> None:
    headers = {"anthropic-version": version}
    if how == "x-api-key":
        headers["x-api-key"] = "key-z"
    else:
        headers["authorization"] = "Bearer key-z"
    http.headers.pop("x-api-key")
    created = await http.post(BATCHES, json=body(1), headers=headers)
    assert created.status_code == 200
    listed = (await http.get(BATCHES, headers=headers)).json()
    assert [b["id"] for b in listed["data"]] == [created.json()["id"]]


async def test_x_api_key_wins_over_bearer(http: httpx.AsyncClient, body: Body) -> None:
    both = {"x-api-key": "key-a", "authorization": "Bearer key-b"}
    batch_id = (await http.post(BATCHES, json=body(1), headers=both)).json()["id"]
    assert (await http.get(f"{BATCHES}/{batch_id}")).status_code == 200  # key-a owns it
    only_b = {"x-api-key": "", "authorization": "Bearer key-b"}
    assert (await http.get(f"{BATCHES}/{batch_id}", headers=only_b)).status_code == 404


async def test_batches_are_scoped_to_their_key(http: httpx.AsyncClient, body: Body) -> None:
    mine = (await http.post(BATCHES, json=body(1))).json()["id"]
    other = {"x-api-key": "key-b"}
    theirs = (await http.post(BATCHES, json=body(1), headers=other)).json()["id"]
    assert [b["id"] for b in (await http.get(BATCHES)).json()["data"]] == [mine]
    assert [b["id"] for b in (await http.get(BATCHES, headers=other)).json()["data"]] == [theirs]
    for method, path in [
        ("GET", f"{BATCHES}/{mine}"),
        ("POST", f"{BATCHES}/{mine}/cancel"),
        ("DELETE", f"{BATCHES}/{mine}"),
        ("GET", f"{BATCHES}/{mine}/results"),
    ]:
        response = await http.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["type"] == "not_found_error"
    assert (await http.get(f"{BATCHES}/{mine}")).json()["processing_status"] == "in_progress"


async def test_configured_keys_refuse_others(body: Body) -> None:
    emulator = Emulator(clock=ManualClock(), api_keys=["good-1", "good-2"])
    transport = httpx.ASGITransport(app=create_app(emulator))
    version = {"anthropic-version": "2026-10-21"}
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=version) as http:
        for headers in [
            {},
            {"x-api-key": "bad"},
            {"authorization": "Bearer bad"},
            {"authorization": "Basic good-1"},
        ]:
            response = await http.post(BATCHES, json=body(1), headers=headers)
            assert response.status_code == 401
            error = response.json()
            assert error["type"] == "error"
            assert error["error"]["type"] == "authentication_error"
            assert error["request_id"] == response.headers["request-id"]
        assert emulator.stats.batches_created == 0
        assert (
            await http.post(BATCHES, json=body(1), headers={"x-api-key": "good-2"})
        ).status_code == 200
        bearer = {"authorization": "Bearer good-1"}
        assert (await http.get(BATCHES, headers=bearer)).status_code == 200


async def test_a_key_is_required_even_when_none_are_configured(http: httpx.AsyncClient) -> None:
    http.headers.pop("x-api-key")
    for headers in [{}, {"x-api-key": " "}, {"authorization": "Bearer "}]:
        response = await http.get(BATCHES, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"


@pytest.mark.parametrize("version", [None, "", "2024-01-01", "2023-06-01 "])
async def test_missing_or_unknown_version_is_refused(
    http: httpx.AsyncClient, version: str | None
) -> None:
    headers = {"x-api-key": "k"}
    if version is not None:
        headers["anthropic-version"] = version
    http.headers.pop("anthropic-version")
    response = await http.get(BATCHES, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "anthropic-version" in response.json()["error"]["message"]


async def test_timestamps_are_rfc3339_utc(http: httpx.AsyncClient, body: Body) -> None:
    data = (await http.post(BATCHES, json=body(1))).json()
    created = datetime.fromisoformat(data["created_at"])
    offset = created.utcoffset()
    assert offset is not None and offset.total_seconds() == 0
    assert TIMESTAMP.fullmatch(data["created_at"]) and TIMESTAMP.fullmatch(data["expires_at"])


async def test_stats_count_what_was_asked(
    emulator: Emulator, http: httpx.AsyncClient, body: Body
) -> None:
    batch_id = (await http.post(BATCHES, json=body(1))).json()["id"]
    await http.get(f"{BATCHES}/{batch_id}")
    await http.get(BATCHES)
    await http.post(BATCHES, content=b"nope", headers={"content-type": "application/json"})
    await http.get("/elsewhere")
    assert emulator.stats.requests == 5
    assert emulator.stats.create_calls == 2
    assert emulator.stats.batches_created == 1
    assert emulator.stats.calls["get"] == 1
    assert emulator.stats.calls["list"] == 1
    assert emulator.stats.calls["other"] == 1
    assert emulator.batch_ids(KEY_A) == [batch_id]
    assert len(emulator) == 1


KEY_A = HEADERS["x-api-key"]


@pytest.mark.parametrize("process_seconds", [0.3, 0.1, 1 / 3, 7.7])
async def test_a_batch_that_ends_normally_processes_every_request(
    process_seconds: float, body: Body
) -> None:
    # creation times like wall time's: float rounding must not leave a request unprocessed
    clock = ManualClock(1_764_000_000.123457)
    emulator = Emulator(clock=clock, process_seconds=process_seconds)
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        batch_id = (await http.post(BATCHES, json=body(7))).json()["id"]
        clock.advance(process_seconds)
        counts = (await http.get(f"{BATCHES}/{batch_id}")).json()["request_counts"]
    assert counts["succeeded"] == 7 and counts["expired"] == 0
