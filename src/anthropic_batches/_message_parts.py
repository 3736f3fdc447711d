"""The parts of a message that the API has grown over time: usage breakdowns, the container
of the code execution tool, and why a model stopped beyond `stop_reason`.

All optional and forward compatible (unknown fields kept), as the current API schema lists them
(https://docs.anthropic.com/en/api/messages); older answers leave them out or null.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = ["CacheCreation", "Container", "ServerToolUsage", "StopDetails", "Usage"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class CacheCreation(_Model):
    """Input tokens written to the prompt cache, by how long the entry lives."""

    ephemeral_5m_input_tokens: int = 0
    """Tokens written to the 5-minute cache."""
    ephemeral_1h_input_tokens: int = 0
    """Tokens written to the 1-hour cache."""


class ServerToolUsage(_Model):
    """How many server tool requests (web search, web fetch, ...) the message made."""

    web_search_requests: int = 0
    """Web search tool requests."""
    web_fetch_requests: int = 0
    """Web fetch tool requests."""


class Usage(_Model):
    """Token usage of one message."""

    input_tokens: int = 0
    """Input tokens billed."""
    output_tokens: int = 0
    """Output tokens billed."""
    cache_creation_input_tokens: int | None = None
    """Input tokens written to the prompt cache, when reported."""
    cache_read_input_tokens: int | None = None
    """Input tokens read from the prompt cache, when reported."""
    cache_creation: CacheCreation | None = None
    """The cache writes by time to live, when reported."""
    server_tool_use: ServerToolUsage | None = None
    """Server tool requests, when any were made."""
    service_tier: str | None = None
    """The service tier: `"standard"`, `"priority"` or `"batch"` (batch results say `"batch"`)."""
    inference_geo: str | None = None
    """Where inference ran (e.g. `"us"`), when reported."""
    speed: str | None = None
    """The inference speed mode, `"standard"` or `"fast"`, when reported."""
    output_tokens_details: dict[str, Any] | None = None
    """A breakdown of `output_tokens` (which stays the billed total), when reported."""


class Container(_Model):
    """The container the code execution tool used."""

    id: str
    """The container's id."""
    expires_at: AwareDatetime | None = None
    """When the container expires."""


class StopDetails(_Model):
    """More on why the model stopped (for example, a refusal's category)."""

    type: str | None = None
    """The kind of details."""
