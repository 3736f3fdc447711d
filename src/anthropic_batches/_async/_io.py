"""The one place the twins differ in how they wait: an event-loop sleep here, a blocking one
in the generated twin."""

from __future__ import annotations

import asyncio


async def sleep(seconds: float) -> None:
    """Pause for `seconds` without blocking the event loop."""
    await asyncio.sleep(seconds)
