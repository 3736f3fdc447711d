"""The names and shapes users of the official SDK expect: retrieve, a batch or its id
everywhere, a list that walks every page, timeouts as httpx reads them, workspace and betas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from helpers import BASE, KEY, batch_json

from anthropic_batches import NOT_GIVEN, AsyncClient, AsyncPager, BatchValidationError, Page

NO_TIMEOUT = {"connect": None, "read": None, "write": None, "pool": None}
REQ: dict[str, Any] = {
    "custom_id": "r1",
    "params": {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
}


class Recorder:
    """A mock API that records each request and pages through `count` batches."""

    def __init__(self, count: int = 7) -> None:
        self.ids = [f"b{i:02d}" for i in range(count)]  # newest first
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path.endswith("/batches") and request.method == "GET":
            q = request.url.params
            limit = int(q.get("limit", 20))
            if "before_id" in q:
                end = self.ids.index(q["before_id"])
                chunk, more = self.ids[max(0, end - limit) : end], end - limit > 0
            else:
                start = self.ids.index(q["after_id"]) + 1 if "after_id" in q else 0
                chunk, more = self.ids[start : start + limit], start + limit < len(self.ids)
            body = {
                "data": [batch_json(i) for i in chunk],
                "has_more": more,
                "first_id": chunk[0] if chunk else None,
                "last_id": chunk[-1] if chunk else None,
            }
            return httpx.Response(200, json=body)
        if request.method == "DELETE":
            return httpx.Response(200, json={"id": "b01", "type": "message_batch_deleted"})
        return httpx.Response(200, json=batch_json("b01", "ended"))

    def client(self, **kw: Any) -> AsyncClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return AsyncClient(api_key=KEY, base_url=BASE, http_client=http, **kw)


async def test_retrieve_is_get_and_every_per_batch_method_takes_a_batch_or_its_id() -> None:
    api = Recorder()
    async with api.client() as client:
        batches = client.messages.batches
        assert batches.get == batches.retrieve
        batch = await batches.retrieve("b01")
        assert (await batches.retrieve(batch)).id == "b01"
        await batches.cancel(batch)
        await batches.delete(batch)
        await batches.wait(batch.model_copy(update={"processing_status": "canceling"}))
        paths = [(r.method, r.url.path) for r in api.seen]
        assert paths == [
            ("GET", "/v1/messages/batches/b01"),
            ("GET", "/v1/messages/batches/b01"),
            ("POST", "/v1/messages/batches/b01/cancel"),
            ("DELETE", "/v1/messages/batches/b01"),
            ("GET", "/v1/messages/batches/b01"),
        ]
        with pytest.raises(TypeError, match="batch id \\(str\\) or a MessageBatch"):
            await batches.cancel(42)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="non-empty"):
            await batches.delete(" ")
        assert len(api.seen) == 5  # refused before any request


async def test_list_gives_the_first_page_and_walks_every_page_when_iterated() -> None:
    api = Recorder(7)
    async with api.client() as client:
        pager = client.messages.batches.list(limit=3)
        assert isinstance(pager, AsyncPager)
        page = await pager.first_page()
        assert isinstance(page, Page)
        assert [b.id for b in page.data] == api.ids[:3]
        assert (page.has_more, page.first_id, page.last_id) == (True, "b00", "b02")
        assert [b.id async for b in pager] == api.ids
        assert [b.id async for b in client.messages.batches.list(limit=2, before_id="b05")] == [
            "b03",
            "b04",
            "b01",
            "b02",
            "b00",
        ]
        listed = await client.messages.batches.list(limit=3, after_id="b05")
        assert [b.id for b in listed.data] == ["b06"] and not listed.has_more
        queries = [dict(r.url.params) for r in api.seen]
        assert queries[:4] == [
            {"limit": "3"},
            {"limit": "3", "after_id": "b02"},
            {"limit": "3", "after_id": "b05"},
            {"limit": "2", "before_id": "b05"},
        ]


async def test_the_list_of_no_batches_is_empty() -> None:
    api = Recorder(0)
    async with api.client() as client:
        assert [b async for b in client.messages.batches.list()] == []
        assert (await client.messages.batches.list()).data == []


async def test_timeout_none_means_no_timeout_and_not_given_the_clients() -> None:
    api = Recorder()
    async with api.client(timeout=httpx.Timeout(7.0, connect=2.0)) as client:
        assert client.timeout == httpx.Timeout(7.0, connect=2.0)
        await client.messages.batches.retrieve("b01")
        await client.messages.batches.retrieve("b01", timeout=NOT_GIVEN)
        await client.messages.batches.retrieve("b01", timeout=None)
        await client.messages.batches.retrieve("b01", timeout=3.0)
        await client.messages.batches.list(timeout=None)
        await client.messages.batches.create([REQ], timeout=None)
    client_default = {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    timeouts = [r.extensions["timeout"] for r in api.seen]
    assert timeouts[0] == client_default and timeouts[1] == client_default
    assert timeouts[2] == NO_TIMEOUT
    assert timeouts[3] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    assert timeouts[4] == NO_TIMEOUT and timeouts[5] == NO_TIMEOUT
    assert repr(NOT_GIVEN) == "NOT_GIVEN" and not NOT_GIVEN


async def test_a_client_without_a_timeout_sends_none() -> None:
    api = Recorder()
    async with api.client(timeout=None) as client:
        await client.messages.batches.retrieve("b01")
    assert api.seen[0].extensions["timeout"] == NO_TIMEOUT


async def test_workspace_id_and_betas_are_sent_on_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_WORKSPACE_ID", raising=False)
    api = Recorder()
    async with api.client(workspace_id="wrkspc_1", betas=["b-1"]) as client:
        assert client.workspace_id == "wrkspc_1"
        await client.messages.batches.retrieve("b01")
        await client.messages.batches.create([REQ], betas=["b-2", "b-1"])
        await client.messages.batches.create([REQ])
    headers = [r.headers for r in api.seen]
    assert all(h["anthropic-workspace-id"] == "wrkspc_1" for h in headers)
    assert [h["anthropic-beta"] for h in headers] == ["b-1", "b-1,b-2", "b-1"]
    with pytest.raises(TypeError, match="list of beta names"):
        api.client(betas="b-1")


async def test_workspace_from_the_environment_and_none_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = Recorder()
    monkeypatch.setenv("ANTHROPIC_WORKSPACE_ID", "wrkspc_env")
    async with api.client() as client:
        await client.messages.batches.retrieve("b01")
    monkeypatch.delenv("ANTHROPIC_WORKSPACE_ID")
    async with api.client() as client:
        assert client.workspace_id is None
        await client.messages.batches.create([REQ], betas=["only-here"])
    assert api.seen[0].headers["anthropic-workspace-id"] == "wrkspc_env"
    assert "anthropic-workspace-id" not in api.seen[1].headers
    assert api.seen[1].headers["anthropic-beta"] == "only-here"


async def test_sdk_only_keys_in_params_are_refused_before_sending() -> None:
    api = Recorder()
    bad = {**REQ, "params": {**REQ["params"], "betas": ["x"], "stream": True}}
    async with api.client() as client:
        with pytest.raises(BatchValidationError) as info:
            await client.messages.batches.create([REQ, {**bad, "custom_id": "r2"}])
    assert api.seen == []
    assert [(p.custom_id, p.code) for p in info.value.problems] == [
        ("r2", "sdk_only_key"),
        ("r2", "stream"),
    ]
    assert "put betas on create(betas=...)" in str(info.value)
