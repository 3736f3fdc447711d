"""`POST /v1/messages/count_tokens`: the documented shapes, and the same count as the usage of
a result for the same request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body, results_of

from anthropic_batches.emulator import Emulator, ManualClock, create_app

COUNT = "/v1/messages/count_tokens"


def client(emulator: Emulator) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(emulator))
    return httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS)


PARAMS: list[dict[str, Any]] = [
    {"messages": [{"role": "user", "content": "Hello, world"}]},
    {
        "system": "You answer in one word.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Name a colour " * 40}]},
            {"role": "assistant", "content": "Blue"},
            {"role": "user", "content": "Another?"},
        ],
    },
]


@pytest.mark.parametrize("params", PARAMS)
async def test_the_count_is_the_usage_of_the_same_request(params: dict[str, Any]) -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, process_seconds=10)
    async with client(emulator) as http:
        counted = await http.post(COUNT, json={"model": "claude-opus-5", **params})
        assert counted.status_code == 200
        assert counted.headers["content-type"] == "application/json"
        answer = counted.json()
        assert list(answer) == ["input_tokens"]
        created = await http.post(BATCHES, json=make_body(1, **params))
        clock.advance(10)
        results = await http.get(f"{BATCHES}/{created.json()['id']}/results")
    usage = results_of(results)["req-0"]["message"]["usage"]
    assert answer["input_tokens"] == usage["input_tokens"] > 0
    assert emulator.stats.calls["count_tokens"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
            "max_tokens: Extra inputs are not permitted",
        ),
        ({"messages": [{"role": "user", "content": "x"}]}, "model: Field required"),
        ({"model": "m"}, "messages: Field required"),
        ([1, 2], "must be a JSON object"),
    ],
)
async def test_a_bad_body_is_a_400(body: Any, message: str) -> None:
    async with client(Emulator(clock=ManualClock())) as http:
        response = await http.post(COUNT, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]


async def test_a_body_that_is_not_json_is_a_400() -> None:
    async with client(Emulator(clock=ManualClock())) as http:
        response = await http.post(
            COUNT, content=b"{nope", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]
