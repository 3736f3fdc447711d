"""Edges of the emulator: a client gone mid-upload, text that UTF-8 cannot encode, settings
changed while a batch runs."""

from __future__ import annotations

import json

import httpx
from emulator.support import BATCHES, HEADERS, make_body, results_of
from starlette.types import Message, Scope

from anthropic_batches.emulator import Emulator, ManualClock, WallClock, create_app


async def test_a_client_gone_mid_upload_gets_no_answer_and_changes_nothing() -> None:
    emulator = Emulator(clock=ManualClock())
    app = create_app(emulator)
    incoming: list[Message] = [
        {"type": "http.request", "body": b'{"requests": [', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": BATCHES,
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        + [(b"content-type", b"application/json")],
    }
    await app(scope, receive, send)
    assert sent == []  # nobody to answer
    assert emulator.stats.create_calls == 1
    assert emulator.stats.batches_created == 0


async def test_a_lone_surrogate_in_a_prompt_comes_back_escaped() -> None:
    emulator = Emulator(clock=ManualClock(), process_seconds=0)
    transport = httpx.ASGITransport(app=create_app(emulator))
    body = make_body(1, messages=[{"role": "user", "content": "half \ud800 a pair"}])
    content = json.dumps(body).encode()  # ASCII, with the surrogate as \ud800
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        created = await http.post(
            BATCHES, content=content, headers={"content-type": "application/json"}
        )
        batch = (await http.get(f"{BATCHES}/{created.json()['id']}")).json()
        response = await http.get(batch["results_url"])
    assert b"\\ud800" in response.content  # escaped: the line is still valid UTF-8
    [result] = results_of(response).values()
    assert "half \ud800 a pair" in result["message"]["content"][0]["text"]


async def test_processing_time_set_to_0_while_a_batch_is_canceling() -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, process_seconds=100, cancel_seconds=10)
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        batch_id = (await http.post(BATCHES, json=make_body(4))).json()["id"]
        clock.advance(50)
        await http.post(f"{BATCHES}/{batch_id}/cancel")
        emulator.process_seconds = 0
        clock.advance(10)
        batch = (await http.get(f"{BATCHES}/{batch_id}")).json()
    assert batch["processing_status"] == "ended"
    # With no processing time left to share out, every request counts as processed.
    assert batch["request_counts"]["succeeded"] == 4


def test_the_default_clock_is_the_wall_clock() -> None:
    clock = Emulator().clock
    assert isinstance(clock, WallClock)
    assert repr(clock) == "WallClock()"
