"""Testing code that uses batches, with the emulator's pytest fixtures.

Install `anthropic-batches[emulator]` and the fixtures are there: no import, no key, no
network, no waiting. The emulator's clock only moves when the test says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from anthropic_batches import AsyncClient, Client, SucceededResult
from anthropic_batches.emulator import (
    Emulator,
    ManualClock,
    ResponderError,
    ResponderOutput,
    ResponderRequest,
)


def question(custom_id: str, text: str) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "params": {
            "model": "claude-opus-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": text}],
        },
    }


# The code under test: it takes a client, so tests can hand it one wired to the emulator.
async def answer_all(client: AsyncClient, questions: dict[str, str]) -> dict[str, str]:
    batches = client.messages.batches
    batch = await batches.create(question(cid, text) for cid, text in questions.items())
    batch = await batches.wait(batch, poll_interval=0.01)
    answers = {}
    async with batches.results(batch) as results:
        async for item in results:
            if isinstance(item.result, SucceededResult):
                answers[item.custom_id] = item.result.message.text
    return answers


# `tick` moves the emulator's clock one second per HTTP request, so polling sees the batch end.
@pytest.mark.batches_emulator(clock=ManualClock(tick=1.0), process_seconds=2)
async def test_every_question_gets_an_answer(batches_async_client: AsyncClient) -> None:
    answers = await answer_all(batches_async_client, {"q1": "Hi", "q2": "Hello"})
    assert set(answers) == {"q1", "q2"}
    assert all(answers.values())


def scripted(request: ResponderRequest) -> ResponderOutput:
    """Answers what a test wants: an error for some requests, a fixed text for the rest."""
    if request.custom_id.startswith("bad"):
        return ResponderError("invalid_request_error", "prompt is too long")
    return f"echo: {request.params['messages'][-1]['content']}"


@pytest.mark.batches_emulator(responder=scripted, process_seconds=60)
def test_failed_requests_are_reported(
    batches_client: Client, batches_clock: ManualClock, batches_emulator: Emulator
) -> None:
    batches = batches_client.messages.batches
    batch = batches.create([question("good-1", "Hi"), question("bad-1", "Hi")])
    assert batch.processing_status == "in_progress"

    batches_clock.advance(60)  # the batch has now ended: no sleeping

    batch = batches.get(batch.id)
    assert batch.request_counts.succeeded == 1
    assert batch.request_counts.errored == 1
    by_id = {item.custom_id: item.result for item in batches.results(batch)}
    assert by_id["bad-1"].type == "errored"
    assert batches_emulator.stats.batches_created == 1


@pytest.mark.batches_emulator(process_seconds=60, drop_results_after=1)
def test_a_dropped_download_resumes(batches_client: Client, batches_clock: ManualClock) -> None:
    batches = batches_client.messages.batches
    batch = batches.create([question(f"q{i}", "Hi") for i in range(3)])
    batches_clock.advance(60)
    # The first download is cut after one line; the client picks up where it stopped.
    with batches.results(batch.id) as results:
        ids = sorted(item.custom_id for item in results)
        assert results.resumes == 1
    assert ids == ["q0", "q1", "q2"]
