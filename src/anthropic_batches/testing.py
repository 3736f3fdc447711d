"""A pytest plugin: a local Message Batches API emulator and clients wired to it.

Installed with the `emulator` extra, it is loaded by pytest through an entry point; nothing
needs to be imported. Fixtures (all function-scoped, all prefixed `batches_`):

- `batches_clock`: the `ManualClock` of the emulator; `batches_clock.advance(seconds)`.
- `batches_emulator`: the `Emulator` (state, settings, `stats`).
- `batches_emulator_app`: its ASGI app.
- `batches_async_client`: an `AsyncClient` calling the app in-process (no socket).
- `batches_client`: a `Client` calling the app in-process (no socket).
- `batches_emulator_server`: the app served over loopback (`.base_url`).
- `batches_server_client`: a `Client` talking to `batches_emulator_server` over loopback.
- `batches_async_server_client`: an `AsyncClient` over loopback (an async fixture: the test
  runs under pytest-asyncio, in its `strict` or `auto` mode, or under anyio).

Settings for the emulator come from a marker:

```python
@pytest.mark.batches_emulator(process_seconds=60, fault_rate=0.2, seed=3)
async def test_my_job(batches_async_client, batches_clock):
    batch = await batches_async_client.messages.batches.create(requests)
    batches_clock.advance(60)
    ...
```

Under pytest-asyncio's default `strict` mode, mark async tests `@pytest.mark.asyncio`; the
example above is written for `asyncio_mode = "auto"`.

The emulator and the clients are imported only when a fixture is used, so the plugin costs
next to nothing in test runs that do not use it.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the `batches_emulator` marker and the fixtures."""
    from . import _pytest_fixtures

    config.addinivalue_line(
        "markers",
        f"{_pytest_fixtures.MARKER}(**settings): settings for the batches_emulator fixture's "
        "Emulator (process_seconds, fault_rate, drop_results_after, responder, api_keys, ...)",
    )
    if not config.pluginmanager.is_registered(_pytest_fixtures):
        config.pluginmanager.register(_pytest_fixtures, "anthropic_batches.fixtures")
