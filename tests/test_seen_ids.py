"""The custom_ids a job has seen: past `exact` ids they are kept as hashes, and a duplicate is
still found with the position of its first use, however many ids came between."""

from __future__ import annotations

from anthropic_batches._seen_ids import SeenIds


def test_duplicates_found_before_and_after_the_switch_to_hashes() -> None:
    seen = SeenIds(exact=10)
    assert [seen.add(f"id-{i}", i) for i in range(10)] == [None] * 10
    assert seen.add("id-3", 10) == 3  # still exact
    # Enough ids for every shard's table to grow more than once.
    count = 300_000
    assert all(seen.add(f"id-{i}", i) is None for i in range(11, count))
    assert seen.add("id-3", count) == 3  # kept from before the switch
    assert seen.add("id-150000", count + 1) == 150_000
    assert seen.add(f"id-{count - 1}", count + 2) == count - 1
    assert seen.add("never-seen", count + 3) is None
    assert seen.add("never-seen", count + 4) == count + 3
