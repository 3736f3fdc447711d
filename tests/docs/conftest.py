"""Fixtures for the documentation tests: an emulator served on loopback, and an environment
pointing the documented code at it (`ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anthropic_batches.emulator import EmulatorServer

DOCS_KEY = "sk-ant-docs-examples"


@pytest.fixture(scope="module")
def docs_emulator() -> Iterator[EmulatorServer]:
    """The emulator on 127.0.0.1, on the wall clock: a batch ends 50 ms after its create."""
    with EmulatorServer(process_seconds=0.05, api_keys=[DOCS_KEY]) as server:
        yield server


@pytest.fixture
def api_env(
    docs_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> EmulatorServer:
    """Point the documented code at the emulator, and run it in an empty directory."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", DOCS_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", docs_emulator.base_url)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return docs_emulator
