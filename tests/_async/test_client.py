"""The async client over mocked HTTP: headers, credentials, retries, errors, redirects."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from helpers import BASE, KEY, batch_json

from anthropic_batches import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BatchesError,
    BatchValidationError,
    DeletedMessageBatch,
    InternalServerError,
    MessageBatch,
    NotFoundError,
    OverloadedError,
)
from anthropic_batches._async import batches as batches_mod
from anthropic_batches._async import client as client_mod
from anthropic_batches._async import results as results_mod


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pauses instead of sleeping."""
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    for module in (client_mod, batches_mod, results_mod):
        monkeypatch.setattr(module, "sleep", fake_sleep)
    return delays


def make_client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> AsyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(api_key=KEY, base_url=BASE, http_client=http, **kw)


PARAMS = {
    "model": "claude-opus-5",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "hi"}],
}
REQ = {"custom_id": "r1", "params": PARAMS}


async def test_create_sends_headers_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=batch_json(processing=1))

    async with make_client(handler, default_headers={"anthropic-beta": "b1"}) as client:
        batch = await client.messages.batches.create([REQ])
    assert isinstance(batch, MessageBatch)
    assert batch.request_counts.processing == 1
    assert batch.created_at.tzinfo is not None
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/v1/messages/batches"
    assert request.headers["x-api-key"] == KEY
    assert "authorization" not in request.headers
    assert request.headers["anthropic-version"] == "2026-10-21"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("anthropic-batches/")
    assert request.headers["anthropic-beta"] == "b1"
    assert json.loads(request.content) == {"requests": [REQ]}


async def test_auth_token_goes_as_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=batch_json())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncClient(auth_token="oauth-tok", base_url=BASE, http_client=http)
    await client.messages.batches.get("msgbatch_01")
    assert seen[0].headers["authorization"] == "Bearer oauth-tok"
    assert "x-api-key" not in seen[0].headers


async def test_old_api_version_accepts_sampling_params() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["anthropic-version"] == "2023-06-01"
        return httpx.Response(200, json=batch_json())

    req = {"custom_id": "r1", "params": {**PARAMS, "temperature": 0.2}}
    client = make_client(handler, api_version="2023-06-01")
    assert (await client.messages.batches.create([req])).id == "msgbatch_01"
    strict = make_client(handler)
    with pytest.raises(BatchValidationError, match="temperature"):
        await strict.messages.batches.create([req])


async def test_validation_fails_before_any_request() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=batch_json())

    client = make_client(handler)
    with pytest.raises(BatchValidationError):
        await client.messages.batches.create([REQ, REQ])
    for bad in ("", "  "):
        with pytest.raises(ValueError, match="non-empty"):
            await client.messages.batches.get(bad)
        with pytest.raises(ValueError, match="non-empty"):
            await client.messages.batches.cancel(bad)
        with pytest.raises(ValueError, match="non-empty"):
            await client.messages.batches.delete(bad)
        with pytest.raises(ValueError, match="non-empty"):
            client.messages.batches.results(bad)
    assert calls == []


async def test_get_cancel_delete_paths_are_escaped() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.raw_path.decode()}")
        if request.method == "DELETE":
            return httpx.Response(200, json={"id": "a/b", "type": "message_batch_deleted"})
        return httpx.Response(200, json=batch_json())

    client = make_client(handler)
    await client.messages.batches.get("a/b")
    await client.messages.batches.cancel("a/b")
    deleted = await client.messages.batches.delete("a/b")
    assert isinstance(deleted, DeletedMessageBatch)
    assert seen == [
        "GET /v1/messages/batches/a%2Fb",
        "POST /v1/messages/batches/a%2Fb/cancel",
        "DELETE /v1/messages/batches/a%2Fb",
    ]


async def test_retries_then_succeeds_honouring_retry_after(sleeps: list[float]) -> None:
    answers = [
        httpx.Response(429, headers={"retry-after": "3"}, json={}),
        httpx.Response(529, headers={"retry-after-ms": "20"}, json={}),
        httpx.Response(200, json=batch_json()),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    client = make_client(handler)
    assert (await client.messages.batches.get("msgbatch_01")).id == "msgbatch_01"
    assert sleeps == [3.0, 0.02]


async def test_retries_exhausted_raise_the_mapped_error(sleeps: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        body = {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
            "request_id": "req_1",
        }
        return httpx.Response(529, json=body, headers={"request-id": "req_1"})

    client = make_client(handler, max_retries=3)
    with pytest.raises(OverloadedError) as info:
        await client.messages.batches.get("msgbatch_01")
    assert calls == 4
    assert len(sleeps) == 3
    assert info.value.request_id == "req_1"
    assert info.value.type == "overloaded_error"


async def test_x_should_retry_overrides(sleeps: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(500, headers={"x-should-retry": "false"})
        return httpx.Response(200, json=batch_json())

    client = make_client(handler)
    with pytest.raises(InternalServerError):
        await client.messages.batches.get("msgbatch_01")
    assert calls == 1


async def test_non_retryable_errors_are_raised_at_once(sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("missing"):
            return httpx.Response(
                404,
                json={"type": "error", "error": {"type": "not_found_error", "message": "nope"}},
            )
        return httpx.Response(
            401, json={"type": "error", "error": {"type": "authentication_error", "message": "x"}}
        )

    client = make_client(handler)
    with pytest.raises(NotFoundError, match="nope"):
        await client.messages.batches.get("missing")
    with pytest.raises(AuthenticationError):
        await client.messages.batches.get("other")
    assert sleeps == []


async def test_connection_errors_retry_then_raise_chained(sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = make_client(handler)
    with pytest.raises(APIConnectionError) as info:
        await client.messages.batches.get("msgbatch_01")
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 2


async def test_timeouts_become_api_timeout_error(sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = make_client(handler, max_retries=1)
    with pytest.raises(APITimeoutError):
        await client.messages.batches.get("msgbatch_01")
    assert len(sleeps) == 1


async def test_create_is_not_retried_when_it_may_have_reached_the_api(
    sleeps: list[float],
) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadError("connection reset", request=request)

    client = make_client(handler)
    with pytest.raises(APIConnectionError, match="may have reached the API"):
        await client.messages.batches.create([REQ])
    assert calls == 1


async def test_create_is_retried_when_the_api_did_not_act(sleeps: list[float]) -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.ConnectError("refused"),
        httpx.Response(529, json={}),
        httpx.Response(200, json=batch_json()),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = make_client(handler)
    assert (await client.messages.batches.create([REQ])).id == "msgbatch_01"
    assert answers == []


def _many(count: int) -> list[dict[str, Any]]:
    # Enough requests for a body of several parts, with non-ASCII text among them.
    return [
        {
            "custom_id": f"r{i}",
            "params": {
                "model": "claude-opus-5",
                "max_tokens": 8,
                "messages": [{"role": "user", "content": f"question {i}: caf\u00e9 \u6771\u4eac"}],
            },
        }
        for i in range(count)
    ]


async def test_create_body_is_sent_whole_with_its_length_on_every_attempt(
    sleeps: list[float],
) -> None:
    requests = _many(1000)
    bodies: list[bytes] = []
    heads: list[httpx.Headers] = []
    answers = [httpx.Response(529, json={}), httpx.Response(200, json=batch_json())]

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        heads.append(request.headers)
        return answers.pop(0)

    await make_client(handler).messages.batches.create(requests)
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert json.loads(bodies[0]) == {"requests": requests}
    assert "caf\u00e9".encode() in bodies[0]  # raw UTF-8, as json.dumps(ensure_ascii=False)
    for head, body in zip(heads, bodies, strict=True):
        assert head["content-length"] == str(len(body))
        assert "transfer-encoding" not in head


@pytest.mark.parametrize(("status", "method"), [(307, "POST"), (308, "POST"), (303, "GET")])
async def test_create_redirect_resends_the_body_or_drops_it(status: int, method: str) -> None:
    requests = _many(300)
    seen: list[tuple[str, str, bytes, httpx.Headers]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.content, request.headers))
        if request.url.path == "/v1/messages/batches":
            return httpx.Response(status, headers={"location": "/v1/elsewhere"})
        return httpx.Response(200, json=batch_json())

    await make_client(handler).messages.batches.create(requests)
    (_, _, first, _), (again, path, body, head) = seen
    assert (again, path) == (method, "/v1/elsewhere")
    if method == "POST":
        assert body == first
        assert json.loads(body) == {"requests": requests}
        assert head["content-length"] == str(len(body))
    else:
        assert body == b""
        assert "content-length" not in head


async def test_per_call_timeout_reaches_the_request() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=batch_json())

    client = make_client(handler, timeout=30.0)
    await client.messages.batches.get("msgbatch_01")
    await client.messages.batches.get("msgbatch_01", timeout=1.5)
    assert seen[0]["read"] == 30.0
    assert seen[1]["read"] == 1.5


async def test_redirects_keep_key_on_same_origin_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example.test" and request.url.path.endswith("/b1"):
            return httpx.Response(307, headers={"location": "/v1/messages/batches/b2"})
        if request.url.path.endswith("/b2"):
            return httpx.Response(302, headers={"location": "https://other.example/b3"})
        return httpx.Response(200, json=batch_json())

    client = make_client(handler)
    await client.messages.batches.get("b1")
    assert [r.url.host for r in seen] == ["api.example.test", "api.example.test", "other.example"]
    assert seen[1].headers["x-api-key"] == KEY
    assert "x-api-key" not in seen[2].headers
    assert "authorization" not in seen[2].headers
    assert seen[2].headers["host"] == "other.example"


async def test_redirect_loop_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/again"})

    client = make_client(handler)
    with pytest.raises(APIConnectionError, match="redirects"):
        await client.messages.batches.get("b1")


async def test_unexpected_answer_shape_is_a_clear_error() -> None:
    client = make_client(lambda request: httpx.Response(200, json={"id": 1}))
    with pytest.raises(BatchesError, match="unexpected answer from GET"):
        await client.messages.batches.get("b1")


async def test_list_and_iter_walk_pages_both_ways() -> None:
    ids = [f"b{i:02d}" for i in range(7)]  # newest first

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        limit = int(q.get("limit", "20"))
        if "before_id" in q:
            end = ids.index(q["before_id"])
            chunk = ids[max(0, end - limit) : end]
            more = end - limit > 0
        else:
            start = ids.index(q["after_id"]) + 1 if "after_id" in q else 0
            chunk = ids[start : start + limit]
            more = start + limit < len(ids)
        return httpx.Response(
            200,
            json={
                "data": [batch_json(i) for i in chunk],
                "has_more": more,
                "first_id": chunk[0] if chunk else None,
                "last_id": chunk[-1] if chunk else None,
            },
        )

    client = make_client(handler)
    page = await client.messages.batches.list(limit=3)
    assert [b.id for b in page.data] == ids[:3]
    assert page.has_more
    assert page.first_id == "b00"
    assert page.last_id == "b02"
    # Iterating the list walks every page, as the official SDK's lists do.
    assert [b.id async for b in client.messages.batches.list(limit=3)] == ids
    assert [b.id async for b in client.messages.batches.list(limit=3, after_id="b04")] == ids[5:]
    assert [b.id async for b in client.messages.batches.iter(limit=3)] == ids
    backward = [b.id async for b in client.messages.batches.iter(limit=2, before_id="b06")]
    assert sorted(backward) == ids[:6]
    assert len(backward) == 6
    with pytest.raises(ValueError, match="limit"):
        await client.messages.batches.list(limit=0)
    with pytest.raises(ValueError, match="not both"):
        await client.messages.batches.list(before_id="a", after_id="b")


async def test_client_owns_its_pool_but_not_a_given_one() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    async with AsyncClient(api_key=KEY, http_client=http):
        pass
    assert not http.is_closed
    await http.aclose()
    own = AsyncClient(api_key=KEY)
    await own.aclose()
    assert own._http.is_closed


async def test_secrets_never_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="anthropic_batches")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"type": "error", "error": {"type": "authentication_error", "message": "x"}}
        )

    client = make_client(handler)
    assert KEY not in repr(client)
    with pytest.raises(AuthenticationError) as info:
        await client.messages.batches.get("b1")
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    assert caplog.records, "requests are logged at debug level"
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_missing_credentials_fail_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with pytest.raises(BatchesError, match="ANTHROPIC_API_KEY"):
        AsyncClient()


async def test_get_with_respx_route() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/v1/messages/batches/b1").respond(
            200,
            json=batch_json("b1", "ended", results_url=f"{BASE}/v1/messages/batches/b1/results"),
        )
        async with AsyncClient(api_key=KEY, base_url=BASE) as client:
            batch = await client.messages.batches.get("b1")
    assert route.call_count == 1
    assert batch.ended
    assert batch.results_url is not None
    assert route.calls.last.request.headers["x-api-key"] == KEY
