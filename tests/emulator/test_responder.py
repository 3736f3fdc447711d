"""Responders: the default answer, and users' own scripted answers and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body, results_of

from anthropic_batches import Message
from anthropic_batches.emulator import (
    Emulator,
    ManualClock,
    Responder,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
    create_app,
    default_responder,
)


async def run(
    responder: Responder, body: dict[str, Any], version: str = "2026-10-21"
) -> dict[str, Any]:
    clock = ManualClock()
    emulator = Emulator(clock=clock, responder=responder)
    transport = httpx.ASGITransport(app=create_app(emulator))
    headers = {**HEADERS, "anthropic-version": version}
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as http:
        batch_id = (await http.post(BATCHES, json=body)).json()["id"]
        clock.advance(1)
        return results_of(await http.get(f"{BATCHES}/{batch_id}/results"))


async def test_each_output_form_becomes_a_result() -> None:
    seen: list[ResponderRequest] = []

    def responder(request: ResponderRequest) -> ResponderOutput:
        seen.append(request)
        kind = request.custom_id.split("-")[0]
        if kind == "text":
            return "plain text"
        if kind == "dict":
            return {
                "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}],
                "stop_reason": "tool_use",
                "usage": {"output_tokens": 7},
            }
        if kind == "model":
            return Message.model_validate(
                {
                    "id": "msg_custom",
                    "model": "other",
                    "content": [{"type": "text", "text": "m"}],
                    "usage": {"input_tokens": 1, "output_tokens": 2},
                }
            )
        if kind == "returned":
            return ResponderError("overloaded_error", "busy", {"retry": True})
        if kind == "raised":
            raise ResponderError("invalid_request_error", "prompt is too long")
        if kind == "bug":
            raise KeyError("oops")
        return 42  # type: ignore[return-value]

    kinds = ["text", "dict", "model", "returned", "raised", "bug", "wrong"]
    body = {
        "requests": [
            {"custom_id": f"{k}-1", "params": make_body(1)["requests"][0]["params"]} for k in kinds
        ]
    }
    results = await run(responder, body)
    assert sorted(r.custom_id for r in seen) == sorted(f"{k}-1" for k in kinds)  # once each
    assert all(r.api_version == "2026-10-21" and r.batch_id.startswith("msgbatch_") for r in seen)

    text = results["text-1"]["message"]
    assert text["content"] == [{"type": "text", "text": "plain text", "citations": None}]
    assert text["container"] is None and text["stop_details"] is None
    assert text["model"] == "claude-opus-5" and text["id"].startswith("msg_")
    tool = results["dict-1"]["message"]
    assert tool["stop_reason"] == "tool_use" and tool["usage"]["output_tokens"] == 7
    assert tool["usage"]["input_tokens"] > 0  # filled in
    assert results["model-1"]["message"]["id"] == "msg_custom"
    assert results["model-1"]["message"]["model"] == "other"
    returned = results["returned-1"]["error"]
    assert returned["error"] == {"type": "overloaded_error", "message": "busy", "retry": True}
    assert results["raised-1"]["error"]["error"]["type"] == "invalid_request_error"
    bug = results["bug-1"]["error"]["error"]
    assert bug["type"] == "api_error" and "KeyError" in bug["message"]
    assert "int" in results["wrong-1"]["error"]["error"]["message"]


async def test_a_responder_never_sees_invalid_params() -> None:
    calls: list[str] = []

    def responder(request: ResponderRequest) -> ResponderOutput:
        calls.append(request.custom_id)
        return "ok"

    body = make_body(1)
    body["requests"].append({"custom_id": "bad", "params": {"model": "m", "max_tokens": 0}})
    results = await run(responder, body)
    assert calls == ["req-0"]
    assert results["bad"]["type"] == "errored"


def test_default_responder_is_deterministic_and_quotes_the_prompt() -> None:
    params = {
        "model": "m",
        "max_tokens": 9,
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "reply"},
            {"role": "user", "content": [{"type": "text", "text": "second   question"}]},
        ],
    }
    request = ResponderRequest("a", params, "msgbatch_x", "2026-10-21", 0)
    answer = default_responder(request)
    assert answer == default_responder(ResponderRequest("b", params, "msgbatch_y", "2023-06-01", 3))
    assert isinstance(answer, str) and "second question" in answer and "first" not in answer
    long = {"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "x" * 999}]}
    assert len(str(default_responder(ResponderRequest("a", long, "b", "v", 0)))) < 300
    empty = {"model": "m", "max_tokens": 9, "messages": [{"role": "assistant", "content": "x"}]}
    assert "Hello" in str(default_responder(ResponderRequest("a", empty, "b", "v", 0)))


def test_responder_error_reads_well() -> None:
    error = ResponderError("rate_limit_error", "slow down")
    assert str(error) == "rate_limit_error: slow down"
    assert repr(error) == "ResponderError('rate_limit_error', 'slow down')"
    assert ResponderError().type == "api_error"


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"process_seconds": -1}, "process_seconds"),
        ({"fault_rate": 2}, "fault_rate"),
        ({"drop_results_after": -1}, "drop_results_after"),
        ({"max_requests": 0}, "max_requests"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Emulator(**settings)


def test_manual_clock() -> None:
    from datetime import UTC, datetime

    clock = ManualClock(datetime(2030, 1, 1, tzinfo=UTC), tick=0.5)
    start = clock.now()
    assert clock.now() == start + 0.5
    assert clock.advance(10) == start + 11
    clock.set(start + 20)
    assert clock.now() == start + 20
    for bad in (lambda: clock.advance(-1), lambda: clock.set(0)):
        with pytest.raises(ValueError, match="forward"):
            bad()
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="tick"):
        ManualClock(tick=-1)
    assert "ManualClock" in repr(clock)


def test_create_app_takes_an_emulator_or_settings() -> None:
    app = create_app(process_seconds=3)
    assert app.emulator.process_seconds == 3
    with pytest.raises(TypeError):
        create_app(app.emulator, seed=1)
