"""The single route table: each operation is served, counted and faulted under its route's name;
an unknown path is a 404 and a method a path does not serve a 405."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from emulator.support import BATCHES, HEADERS, make_body
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anthropic_batches.emulator import Emulator, ManualClock, _routes, create_app

OPERATIONS = {"create", "list", "get", "delete", "cancel", "results", "count_tokens"}
COUNT_BODY = {"model": "claude-opus-5", "messages": [{"role": "user", "content": "Hi"}]}


def client(emulator: Emulator) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(emulator))
    return httpx.AsyncClient(transport=transport, base_url="http://e", headers=HEADERS)


@pytest.fixture
async def ended() -> AsyncIterator[tuple[Emulator, httpx.AsyncClient, str]]:
    """An emulator on a manual clock, a client, and the id of a batch that has ended."""
    emulator = Emulator(clock=ManualClock(), process_seconds=0, seed=5)
    async with client(emulator) as http:
        batch_id = (await http.post(BATCHES, json=make_body(1))).json()["id"]
        emulator.stats.calls.clear()
        yield emulator, http, batch_id


def calls_of(batch_id: str) -> list[tuple[str, str, str]]:
    """One call of each operation: (method, path, operation)."""
    return [
        ("GET", BATCHES, "list"),
        ("GET", f"{BATCHES}/{batch_id}", "get"),
        ("GET", f"{BATCHES}/{batch_id}/results", "results"),
        ("POST", f"{BATCHES}/{batch_id}/cancel", "cancel"),
        ("DELETE", f"{BATCHES}/{batch_id}", "delete"),
        ("POST", BATCHES, "create"),
        ("POST", "/v1/messages/count_tokens", "count_tokens"),
    ]


def test_the_table_names_every_operation_once() -> None:
    names = [route.name for route in _routes.ROUTES]
    assert sorted(names) == sorted(OPERATIONS)


async def test_each_operation_is_counted_under_its_name(
    ended: tuple[Emulator, httpx.AsyncClient, str],
) -> None:
    emulator, http, batch_id = ended
    for method, path, operation in calls_of(batch_id):
        body = {"create": make_body(1), "count_tokens": COUNT_BODY}.get(operation)
        response = await http.request(method, path, json=body)
        # cancel of an ended batch is refused, but still counted as a cancel
        assert response.status_code == (400 if operation == "cancel" else 200), operation
        assert emulator.stats.calls[operation] == 1, operation
    assert sum(emulator.stats.calls.values()) == len(OPERATIONS)


async def test_faults_are_counted_under_the_operation_they_hit(
    ended: tuple[Emulator, httpx.AsyncClient, str],
) -> None:
    emulator, http, batch_id = ended
    emulator.fault_rate = 1.0
    for method, path, operation in calls_of(batch_id):
        response = await http.request(method, path, json=make_body(1))
        assert response.status_code in (429, 500, 529), operation
        assert response.headers["retry-after"] == "0"
        assert emulator.stats.calls[operation] == 1, operation
    assert sum(emulator.stats.faults.values()) == len(OPERATIONS)
    emulator.fault_rate = 0.0
    # Faulted calls changed nothing: the batch is still there, and no batch was made.
    assert (await http.get(f"{BATCHES}/{batch_id}")).status_code == 200
    assert emulator.batch_ids(HEADERS["x-api-key"]) == [batch_id]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", BATCHES, "GET, HEAD, POST"),
        ("PATCH", f"{BATCHES}/msgbatch_x", "DELETE, GET, HEAD"),
        ("DELETE", f"{BATCHES}/msgbatch_x/cancel", "POST"),
        ("POST", f"{BATCHES}/msgbatch_x/results", "GET, HEAD"),
    ],
)
async def test_a_method_the_path_does_not_serve_is_405(
    ended: tuple[Emulator, httpx.AsyncClient, str], method: str, path: str, allowed: str
) -> None:
    emulator, http, _ = ended
    response = await http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == f"Method {method} is not allowed on {path}; use {allowed}"
    assert emulator.stats.calls == {"other": 1}


@pytest.mark.parametrize(
    "path", ["/", "/v1/messages", f"{BATCHES}/", f"{BATCHES}/msgbatch_x/cancel/now"]
)
async def test_an_unknown_path_is_404(
    ended: tuple[Emulator, httpx.AsyncClient, str], path: str
) -> None:
    emulator, http, _ = ended
    response = await http.get(path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "not_found_error"
    assert error["message"] == f"Not found: GET {path} is not an API path"
    assert emulator.stats.calls == {"other": 1}


async def test_an_unknown_path_still_needs_a_key(
    ended: tuple[Emulator, httpx.AsyncClient, str],
) -> None:
    _, http, _ = ended
    response = await http.get("/elsewhere", headers={"x-api-key": ""})
    assert response.status_code == 401


async def test_head_is_served_by_the_get_route(
    ended: tuple[Emulator, httpx.AsyncClient, str],
) -> None:
    emulator, http, batch_id = ended
    listed = await http.head(BATCHES)
    results = await http.head(f"{BATCHES}/{batch_id}/results")
    assert (listed.status_code, results.status_code) == (200, 200)
    assert results.headers["content-type"] == "application/x-jsonl"
    assert results.content == b""
    assert emulator.stats.calls == {"list": 1, "results": 1}


async def test_a_route_added_to_the_table_is_served_counted_and_faulted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def usage(request: Request) -> Response:
        return JSONResponse({"owner": request.state.owner})

    extra = Route(f"{BATCHES}/usage/{{day}}", usage, methods=["GET"], name="usage")
    monkeypatch.setattr(_routes, "ROUTES", (extra, *_routes.ROUTES))
    emulator = Emulator(clock=ManualClock(), seed=2)
    async with client(emulator) as http:
        response = await http.get(f"{BATCHES}/usage/today")
        assert response.json() == {"owner": HEADERS["x-api-key"]}
        assert (await http.post(f"{BATCHES}/usage/today")).headers["allow"] == "GET, HEAD"
        emulator.fault_rate = 1.0
        assert (await http.get(f"{BATCHES}/usage/today")).status_code in (429, 500, 529)
    assert emulator.stats.calls == {"usage": 2, "other": 1}
