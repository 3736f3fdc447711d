"""A job's response cache over loopback: hits are not sent, and come back as the same
answers with the new requests' `custom_id`s; only `succeeded` results are stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import FAST, numbered_requests

from anthropic_batches import Client, Job
from anthropic_batches._cache import SQLiteCache, cache_key
from anthropic_batches.emulator import Emulator, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC), tick=10)


def test_hits_are_served_with_the_new_custom_ids_and_misses_are_sent(
    client: Client, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite"
    first = Job(client, numbered_requests(2, "a"), cache=path, **FAST)
    answers = {r.custom_id: r.json_line() for r in first.results()}
    assert first.cached == 0

    again = Job(client, numbered_requests(3, "b"), cache=path, **FAST)
    sent = [r.custom_id for r in again.results()]
    served = {r.custom_id: r.json_line() for r in again.cached_results()}

    assert sent == ["b2"]  # the only miss
    assert again.cached == 2
    assert emulator.stats.create_calls == 2
    for i in range(2):
        assert served[f"b{i}"] == answers[f"a{i}"].replace(b'"a%d"' % i, b'"b%d"' % i, 1)


def test_the_key_ignores_key_order_but_not_the_api_version() -> None:
    params = {"model": "m", "max_tokens": 1, "messages": []}
    reordered = dict(reversed(list(params.items())))
    assert cache_key("2023-06-01", params) == cache_key("2023-06-01", reordered)
    assert cache_key("2023-06-01", params) != cache_key("2099-01-01", params)
    assert cache_key("2023-06-01", params) != cache_key("2023-06-01", {**params, "max_tokens": 2})


def test_the_sqlite_cache_keeps_what_it_was_given(tmp_path: Path) -> None:
    cache = SQLiteCache(tmp_path / "c.sqlite")
    cache.put_many([("k", b"line")])
    cache.close()
    reopened = SQLiteCache(tmp_path / "c.sqlite")
    assert reopened.get("k") == b"line"
    assert reopened.get("other") is None
    reopened.close()
