"""The current shape of a succeeded result's message: typed by the models, sent by the
emulator as the API sends it."""

from __future__ import annotations

import json

from anthropic_batches import (
    BatchResult,
    CacheCreation,
    Container,
    ServerToolUsage,
    SucceededResult,
    TextBlock,
)
from anthropic_batches.emulator._responder import ResponderRequest, build_message

#: A succeeded line with every field the current API schema lists for a message (the
#: documented example, with the fields added since).
CURRENT_LINE = json.dumps(
    {
        "custom_id": "my-second-request",
        "result": {
            "type": "succeeded",
            "message": {
                "id": "msg_014VwiXbi91y3JMjcpyGBHX5",
                "type": "message",
                "role": "assistant",
                "model": "claude-opus-5",
                "content": [
                    {
                        "type": "text",
                        "text": "Hello again!",
                        "citations": [{"type": "char_location", "cited_text": "Hi"}],
                    }
                ],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "stop_details": {"type": "refusal", "category": "cyber"},
                "container": {"id": "container_011", "expires_at": "2026-12-04T18:00:00Z"},
                "usage": {
                    "input_tokens": 11,
                    "output_tokens": 36,
                    "cache_creation_input_tokens": 5,
                    "cache_read_input_tokens": 7,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 2,
                        "ephemeral_1h_input_tokens": 3,
                    },
                    "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
                    "service_tier": "batch",
                    "inference_geo": "us",
                    "speed": "standard",
                    "output_tokens_details": {"thinking_tokens": 4},
                },
            },
        },
    }
)


def test_the_models_type_a_current_succeeded_line() -> None:
    result = BatchResult.model_validate_json(CURRENT_LINE).result
    assert isinstance(result, SucceededResult)
    message = result.message
    usage = message.usage
    assert usage.cache_creation == CacheCreation(
        ephemeral_5m_input_tokens=2, ephemeral_1h_input_tokens=3
    )
    assert usage.server_tool_use == ServerToolUsage(web_search_requests=1, web_fetch_requests=0)
    assert (usage.service_tier, usage.inference_geo, usage.speed) == ("batch", "us", "standard")
    assert usage.output_tokens_details == {"thinking_tokens": 4}
    assert isinstance(message.container, Container) and message.container.id == "container_011"
    assert message.container.expires_at is not None
    assert message.stop_details is not None and message.stop_details.type == "refusal"
    assert message.stop_details.model_extra == {"category": "cyber"}  # kept, not typed
    [block] = message.content
    assert isinstance(block, TextBlock) and block.citations is not None


def test_the_documented_older_line_still_reads_with_the_new_fields_empty() -> None:
    line = json.loads(CURRENT_LINE)
    message = line["result"]["message"]
    for name in ("stop_details", "container"):
        del message[name]
    message["usage"] = {"input_tokens": 11, "output_tokens": 36}
    result = BatchResult.model_validate(line).result
    assert isinstance(result, SucceededResult)
    assert result.message.container is None and result.message.stop_details is None
    assert result.message.usage.cache_creation is None
    assert result.message.usage.server_tool_use is None


def test_the_emulator_sends_the_current_fields_null_where_there_is_nothing() -> None:
    request = ResponderRequest("a", {"model": "m", "max_tokens": 50, "messages": []}, "b", "", 0)
    message = build_message(request, "hello")
    assert message["container"] is None and message["stop_details"] is None
    assert message["content"] == [{"type": "text", "text": "hello", "citations": None}]
    usage = message["usage"]
    assert usage["cache_creation"] == {
        "ephemeral_5m_input_tokens": 0,
        "ephemeral_1h_input_tokens": 0,
    }
    assert usage["service_tier"] == "batch" and usage["speed"] == "standard"
    assert usage["server_tool_use"] is None and usage["inference_geo"] is None
    line = json.dumps({"custom_id": "a", "result": {"type": "succeeded", "message": message}})
    parsed = BatchResult.model_validate_json(line).result
    assert isinstance(parsed, SucceededResult)
    assert parsed.message.usage.cache_creation == CacheCreation()
