"""Hostile and malformed input: a 4xx with the documented shape, never a 500, and the emulator
keeps serving afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, Body, make_body

from anthropic_batches.emulator import Emulator, ManualClock, create_app

JSON = {"content-type": "application/json"}
PARAMS = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}


async def assert_error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["type"] == "error"
    assert data["error"]["type"] == kind
    assert data["request_id"] == response.headers["request-id"]
    assert data["error"]["message"]
    return str(data["error"]["message"])


async def still_serving(http: httpx.AsyncClient, emulator: Emulator) -> None:
    before = emulator.stats.batches_created
    response = await http.post(BATCHES, json=make_body(1))
    assert response.status_code == 200
    assert emulator.stats.batches_created == before + 1


def req(custom_id: Any = "a", params: Any = None, **extra: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": PARAMS if params is None else params, **extra}


BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("empty body", b"", "not valid JSON"),
    ("malformed JSON", b'{"requests": [', "not valid JSON"),
    ("not UTF-8", b'{"requests": "\xff\xfe"}', "not valid JSON"),
    ("NaN", b'{"requests": NaN}', "not valid JSON"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("huge integer", b'{"requests": ' + b"9" * 10_000 + b"}", "not valid JSON"),
    ("a list", b"[]", "must be a JSON object"),
    ("a string", b'"requests"', "must be a JSON object"),
    ("null", b"null", "must be a JSON object"),
    ("no requests", b"{}", "requests: Field required"),
    ("extra field", b'{"requests": [], "model": "x"}', "model: Extra inputs"),
    ("requests not a list", b'{"requests": {"a": 1}}', "requests: must be a list"),
    ("requests null", b'{"requests": null}', "requests: must be a list"),
    ("no request", b'{"requests": []}', "at least 1 request"),
]


@pytest.mark.parametrize(("name", "content", "needle"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_bad_create_bodies(
    http: httpx.AsyncClient, emulator: Emulator, name: str, content: bytes, needle: str
) -> None:
    response = await http.post(BATCHES, content=content, headers=JSON)
    message = await assert_error(response, 400, "invalid_request_error")
    assert needle in message
    assert emulator.stats.batches_created == 0
    await still_serving(http, emulator)


BAD_REQUESTS: list[tuple[str, list[Any], str]] = [
    ("request not an object", [req(), "x"], "requests.1: must be an object"),
    ("missing custom_id", [{"params": PARAMS}], "requests.0.custom_id: Field required"),
    ("missing params", [{"custom_id": "a"}], "requests.0.params: Field required"),
    ("empty custom_id", [req("")], "requests.0.custom_id: must not be empty"),
    ("long custom_id", [req("a" * 65)], "requests.0.custom_id: is 65 characters"),
    ("bad characters", [req("a"), req("b/c")], "requests.1.custom_id: may only hold"),
    ("unicode custom_id", [req("caf\u00e9")], "requests.0.custom_id"),
    ("custom_id number", [req(7)], "requests.0.custom_id: must be a string"),
    ("custom_id null", [req(None)], "requests.0.custom_id: must be a string"),
    ("duplicate", [req("a"), req("b"), req("a")], "requests.2.custom_id: duplicate"),
    ("params a list", [req("a", [1])], "requests.0.params: must be an object"),
    ("params null", [req("a", None) | {"params": None}], "requests.0.params: must be an object"),
    ("params a string", [req("a", "hello")], "requests.0.params: must be an object"),
    ("extra request field", [req(method="POST")], "requests.0.method: Extra inputs"),
]


@pytest.mark.parametrize(
    ("name", "requests", "needle"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
async def test_bad_requests_name_where_the_problem_is(
    http: httpx.AsyncClient, emulator: Emulator, name: str, requests: list[Any], needle: str
) -> None:
    response = await http.post(BATCHES, json={"requests": requests})
    message = await assert_error(response, 400, "invalid_request_error")
    assert needle in message
    assert emulator.stats.batches_created == 0
    await still_serving(http, emulator)


async def test_too_many_requests(body: Body) -> None:
    emulator = Emulator(clock=ManualClock(), max_requests=3)
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        message = await assert_error(
            await http.post(BATCHES, json=body(4)), 400, "invalid_request_error"
        )
        assert "at most 3" in message
        assert (await http.post(BATCHES, json=body(3))).status_code == 200


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
async def test_wrong_content_type(
    http: httpx.AsyncClient, emulator: Emulator, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post(BATCHES, content=b'{"requests": []}', headers=headers)
    message = await assert_error(response, 400, "invalid_request_error")
    assert "content-type" in message
    await still_serving(http, emulator)


async def test_json_content_type_with_charset_is_accepted(http: httpx.AsyncClient) -> None:
    import json

    content = json.dumps(make_body(1)).encode()
    headers = {"content-type": "application/json; charset=utf-8"}
    assert (await http.post(BATCHES, content=content, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/", 404, "not_found_error"),
        ("GET", "/v1/messages", 404, "not_found_error"),
        ("GET", f"{BATCHES}/", 404, "not_found_error"),
        ("GET", f"{BATCHES}/a/b/c", 404, "not_found_error"),
        ("GET", f"{BATCHES}/msgbatch_nope", 404, "not_found_error"),
        ("GET", f"{BATCHES}/msgbatch_nope/results", 404, "not_found_error"),
        ("GET", f"{BATCHES}/%00%ff", 404, "not_found_error"),
        ("PUT", BATCHES, 405, "invalid_request_error"),
        ("DELETE", BATCHES, 405, "invalid_request_error"),
        ("PATCH", f"{BATCHES}/msgbatch_x", 405, "invalid_request_error"),
        ("GET", f"{BATCHES}/msgbatch_x/cancel", 405, "invalid_request_error"),
        ("POST", f"{BATCHES}/msgbatch_x/results", 405, "invalid_request_error"),
    ],
)
async def test_unknown_paths_and_methods(
    http: httpx.AsyncClient, emulator: Emulator, method: str, path: str, status: int, kind: str
) -> None:
    response = await http.request(method, path)
    await assert_error(response, status, kind)
    if status == 405:
        assert response.headers["allow"]
    await still_serving(http, emulator)


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("limit=-5", "limit"),
        ("limit=", "limit"),
        ("limit=1e3", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("after_id=nope", "after_id"),
        ("before_id=", "before_id"),
        ("before_id=msgbatch_a&after_id=msgbatch_b", "together"),
    ],
)
async def test_bad_list_queries(
    http: httpx.AsyncClient, emulator: Emulator, query: str, needle: str
) -> None:
    message = await assert_error(await http.get(f"{BATCHES}?{query}"), 400, "invalid_request_error")
    assert needle in message
    await still_serving(http, emulator)


async def test_hostile_headers(http: httpx.AsyncClient, emulator: Emulator) -> None:
    hostile: list[dict[str, str]] = [
        {"host": "evil host/with spaces"},
        {"content-length": "abc", "content-type": "application/json"},
        {"x-api-key": ("\u00ff" * 3000).encode("latin-1")},  # type: ignore[dict-item]
    ]
    for headers in hostile:
        response = await http.post(BATCHES, content=b"{}", headers=headers)
        assert 400 <= response.status_code < 500, (headers, response.text)
        assert response.json()["type"] == "error"
    weird_host = await http.post(BATCHES, json=make_body(1), headers={"host": "evil host/x"})
    assert weird_host.status_code == 200  # an unusable Host falls back to the server address
    await still_serving(http, emulator)


async def test_surrogates_and_odd_params_end_as_results(
    http: httpx.AsyncClient, clock: ManualClock
) -> None:
    odd = [
        req("s1", {**PARAMS, "messages": [{"role": "user", "content": "\ud800 lone"}]}),
        req("s2", {**PARAMS, "messages": [{"role": "user", "content": [{"type": "text"}]}]}),
        req("s3", {**PARAMS, "messages": "not a list"}),
        req("s4", {**PARAMS, "max_tokens": True}),
        req("s5", {**PARAMS, "messages": [1, None, {"role": "user"}]}),
        req("s6", {**PARAMS, "system": {"deep": [[[[["x"]]]]]}}),
    ]
    import json

    content = json.dumps({"requests": odd}).encode()  # "\\ud800" escaped, as JSON allows
    batch_id = (await http.post(BATCHES, content=content, headers=JSON)).json()["id"]
    clock.advance(1)
    response = await http.get(f"{BATCHES}/{batch_id}/results")
    assert response.status_code == 200
    types = {line.split('"custom_id":"')[1][:2]: line for line in response.text.splitlines()}
    assert set(types) == {"s1", "s2", "s3", "s4", "s5", "s6"}
    counts = (await http.get(f"{BATCHES}/{batch_id}")).json()["request_counts"]
    assert counts["errored"] == 2  # messages not a list; max_tokens a boolean
    assert counts["succeeded"] == 4


async def test_an_unexpected_failure_is_a_500_with_the_error_shape(
    http: httpx.AsyncClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(emulator, "page", broken)
    message = await assert_error(await http.get(BATCHES), 500, "api_error")
    assert "boom" not in message  # internals are not leaked
    monkeypatch.undo()
    assert (await http.get(BATCHES)).status_code == 200


# -- bodies over the size limit ---------------------------------------------------------------


@pytest.fixture
async def small(clock: ManualClock) -> AsyncIterator[tuple[httpx.AsyncClient, Emulator]]:
    emulator = Emulator(clock=clock, max_body_bytes=10_000)
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS) as http:
        yield http, emulator


async def test_declared_length_over_the_limit_is_refused_unread(
    small: tuple[httpx.AsyncClient, Emulator],
) -> None:
    http, emulator = small
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1_000_000):
            pulled += 1
            yield b" " * 1024

    headers = {**JSON, "content-length": str(10**12)}
    response = await http.post(BATCHES, content=endless(), headers=headers)
    await assert_error(response, 413, "request_too_large")
    assert pulled == 0
    assert emulator.stats.body_bytes_read == 0
    await still_serving(http, emulator)


async def test_streamed_body_over_the_limit_stops_being_read(
    small: tuple[httpx.AsyncClient, Emulator],
) -> None:
    http, emulator = small
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(10_000):  # 10 MB if it were all read
            pulled += 1
            yield b" " * 1000

    response = await http.post(BATCHES, content=chunks(), headers=JSON)
    message = await assert_error(response, 413, "request_too_large")
    assert "10000 bytes" in message
    assert pulled <= 12  # stopped just past the limit
    assert emulator.stats.body_bytes_read <= 11_000
    await still_serving(http, emulator)


async def test_body_exactly_at_the_limit_is_read(
    small: tuple[httpx.AsyncClient, Emulator],
) -> None:
    import json

    http, _ = small
    content = json.dumps(make_body(1)).encode()
    content += b" " * (10_000 - len(content))
    assert (await http.post(BATCHES, content=content, headers=JSON)).status_code == 200
    response = await http.post(BATCHES, content=content + b" ", headers=JSON)
    await assert_error(response, 413, "request_too_large")
