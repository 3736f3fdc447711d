"""The reliability suite: fast versions run in every test run; the long ones (marked `slow`)
run only with `RELIABILITY_LONG=1` (see `scripts/reliability` and docs/reliability.md)."""

from __future__ import annotations

import pytest
from reliability.support import LONG


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LONG:
        return
    skip = pytest.mark.skip(reason="long reliability run: set RELIABILITY_LONG=1")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
