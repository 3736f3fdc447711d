"""Listing: newest first, cursors both ways, across more than 2,000 batches."""

from __future__ import annotations

import httpx
from emulator.support import BATCHES, Body

from anthropic_batches.emulator import Emulator, ManualClock

TOTAL = 2_100


async def create_many(http: httpx.AsyncClient, body: Body, n: int) -> list[str]:
    payload = body(1)
    ids = []
    for _ in range(n):
        response = await http.post(BATCHES, json=payload)
        assert response.status_code == 200
        ids.append(response.json()["id"])
    return ids


async def test_pages_walk_all_batches_both_ways(
    http: httpx.AsyncClient, emulator: Emulator, body: Body
) -> None:
    created = await create_many(http, body, TOTAL)
    newest_first = created[::-1]
    assert sorted(created) == created  # ids sort in creation order

    default = (await http.get(BATCHES)).json()
    assert [b["id"] for b in default["data"]] == newest_first[:20]
    assert default["has_more"] is True
    assert default["first_id"] == newest_first[0]
    assert default["last_id"] == newest_first[19]

    for limit in (1000, 97):
        seen: list[str] = []
        after: str | None = None
        pages = 0
        while True:
            query = f"?limit={limit}" + (f"&after_id={after}" if after else "")
            page = (await http.get(BATCHES + query)).json()
            pages += 1
            seen += [b["id"] for b in page["data"]]
            assert page["first_id"] == page["data"][0]["id"]
            assert page["last_id"] == page["data"][-1]["id"]
            if not page["has_more"]:
                break
            after = page["last_id"]
        assert seen == newest_first  # no duplicate, no gap
        assert pages == -(-TOTAL // limit)

    # backwards: from the oldest, each page is the `limit` batches just newer than the cursor
    back: list[str] = []
    before = created[0]
    back_pages = 0
    while True:
        page = (await http.get(f"{BATCHES}?limit=97&before_id={before}")).json()
        back_pages += 1
        ids = [b["id"] for b in page["data"]]
        assert ids == sorted(ids, reverse=True)  # still newest first within a page
        back = ids + back
        if not page["has_more"]:
            break
        before = page["first_id"]
    assert back == newest_first[:-1]  # everything newer than the oldest
    assert back_pages == -(-(TOTAL - 1) // 97)


async def test_cursor_edges(http: httpx.AsyncClient, body: Body) -> None:
    created = await create_many(http, body, 5)
    oldest, newest = created[0], created[-1]
    past_oldest = (await http.get(f"{BATCHES}?after_id={oldest}")).json()
    assert past_oldest == {"data": [], "has_more": False, "first_id": None, "last_id": None}
    past_newest = (await http.get(f"{BATCHES}?before_id={newest}")).json()
    assert past_newest["data"] == [] and past_newest["has_more"] is False
    exact = (await http.get(f"{BATCHES}?limit=4&after_id={newest}")).json()
    assert [b["id"] for b in exact["data"]] == created[-2::-1]
    assert exact["has_more"] is False
    short = (await http.get(f"{BATCHES}?limit=3&after_id={newest}")).json()
    assert short["has_more"] is True


async def test_a_deleted_batch_still_works_as_a_cursor(
    http: httpx.AsyncClient, clock: ManualClock, body: Body
) -> None:
    created = await create_many(http, body, 6)
    clock.advance(1)
    middle = created[3]
    assert (await http.delete(f"{BATCHES}/{middle}")).status_code == 200
    older = (await http.get(f"{BATCHES}?after_id={middle}")).json()
    assert [b["id"] for b in older["data"]] == created[2::-1]
    newer = (await http.get(f"{BATCHES}?before_id={middle}")).json()
    assert [b["id"] for b in newer["data"]] == created[:3:-1]
    everything = (await http.get(BATCHES)).json()
    assert middle not in [b["id"] for b in everything["data"]]
    assert len(everything["data"]) == 5


async def test_new_batches_do_not_disturb_a_forward_walk(
    http: httpx.AsyncClient, body: Body
) -> None:
    created = await create_many(http, body, 30)
    first = (await http.get(f"{BATCHES}?limit=10")).json()
    await create_many(http, body, 5)  # arrive while the walk is underway
    rest: list[str] = []
    after = first["last_id"]
    while after:
        page = (await http.get(f"{BATCHES}?limit=10&after_id={after}")).json()
        rest += [b["id"] for b in page["data"]]
        after = page["last_id"] if page["has_more"] else None
    assert [b["id"] for b in first["data"]] + rest == created[::-1]
