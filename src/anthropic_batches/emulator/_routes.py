"""The API's operations: one table of routes, each a method, a path and an operation name.

`ROUTES` is the only list of what the emulator serves. The app finds the route of each request
in it before anything else, so the operation name (`route.name`) keys the per-operation
counters (`EmulatorStats.calls`) even for a request answered with an injected fault; a path
no route has is a 404, and a path served only for other methods a 405. The endpoints follow
https://docs.anthropic.com/en/api/creating-message-batches and the pages beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from .._facts import (
    BATCHES_PATH,
    COUNT_TOKENS_PATH,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LIST_LIMIT_MIN,
)
from ._count import count_tokens
from ._create import check_content_type, check_create_body, read_create_body
from ._errors import bad_request
from ._ids import BATCH_ID_PREFIX
from ._results import ResultsResponse
from ._store import Emulator

__all__ = ["ROUTES", "Found", "find_route"]


def _json(data: Any) -> Response:
    return Response(json.dumps(data).encode(), media_type="application/json")


def _state(request: Request) -> tuple[Emulator, str, float, str]:
    emulator: Emulator = request.scope["app"].emulator
    return emulator, request.state.owner, request.state.now, request.state.base_url


async def create_batch(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    check_content_type(request)
    body = await read_create_body(request, emulator)
    requests = check_create_body(body, emulator.max_requests)
    emulator.limits.check_create(owner, len(requests), *emulator.queued(owner, now), now)
    batch = emulator.create(owner, request.state.api_version, requests, now)
    emulator.limits.accepted(owner, len(requests))
    return _json(emulator.describe(batch, now, base_url))


def _cursor(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.startswith(BATCH_ID_PREFIX):
        raise bad_request(
            f"{name}: must be a message batch id ({BATCH_ID_PREFIX}...), not {value[:80]!r}"
        )
    return value


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(LIST_LIMIT_DEFAULT))
    limit = int(raw) if raw.strip().isdigit() and len(raw) < 12 else -1
    if not LIST_LIMIT_MIN <= limit <= LIST_LIMIT_MAX:
        raise bad_request(
            f"limit: must be a whole number from {LIST_LIMIT_MIN} to {LIST_LIMIT_MAX}, "
            f"not {raw[:80]!r}"
        )
    return limit


async def list_batches(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    limit = _limit(request)
    before_id, after_id = _cursor(request, "before_id"), _cursor(request, "after_id")
    if before_id is not None and after_id is not None:
        raise bad_request("before_id and after_id cannot be used together")
    batches, has_more = emulator.page(owner, now, limit, before_id, after_id)
    data = [emulator.describe(b, now, base_url) for b in batches]
    return _json(
        {
            "data": data,
            "has_more": has_more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    )


async def get_batch(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    batch = emulator.get(owner, request.path_params["batch_id"], now)
    return _json(emulator.describe(batch, now, base_url))


async def cancel_batch(request: Request) -> Response:
    emulator, owner, now, base_url = _state(request)
    batch = emulator.cancel(owner, request.path_params["batch_id"], now)
    return _json(emulator.describe(batch, now, base_url))


async def delete_batch(request: Request) -> Response:
    emulator, owner, now, _ = _state(request)
    batch_id = request.path_params["batch_id"]
    emulator.delete(owner, batch_id, now)
    return _json({"id": batch_id, "type": "message_batch_deleted"})


async def batch_results(request: Request) -> Response:
    emulator, owner, now, _ = _state(request)
    batch, chunks = emulator.result_chunks(owner, request.path_params["batch_id"], now)
    drop = emulator.drop_results_after if batch.downloads == 1 else None
    if drop is not None and drop >= batch.size:
        drop = None  # the cut would come after the last line: nothing to drop
    if drop is not None:
        emulator.stats.results_dropped += 1
    return ResultsResponse(chunks, drop_after=drop)


_BATCH = BATCHES_PATH + "/{batch_id}"

#: What the emulator serves; each route's name is its operation. A `GET` route answers
#: `HEAD` too.
ROUTES = (
    Route(BATCHES_PATH, create_batch, methods=["POST"], name="create"),
    Route(BATCHES_PATH, list_batches, methods=["GET"], name="list"),
    Route(_BATCH, get_batch, methods=["GET"], name="get"),
    Route(_BATCH, delete_batch, methods=["DELETE"], name="delete"),
    Route(_BATCH + "/cancel", cancel_batch, methods=["POST"], name="cancel"),
    Route(_BATCH + "/results", batch_results, methods=["GET"], name="results"),
    Route(COUNT_TOKENS_PATH, count_tokens, methods=["POST"], name="count_tokens"),
)


@dataclass(frozen=True)
class Found:
    """Where a request goes.

    Attributes:
        route: The route serving the request's method and path, or `None`.
        scope: What the route adds to the request's scope (its path parameters).
        allowed: Without a route: the methods served on the path (empty for an unknown path).
    """

    route: Route | None
    scope: Scope
    allowed: tuple[str, ...] = ()

    @property
    def operation(self) -> str:
        """The operation's name, or `other` for a request no route serves."""
        return self.route.name if self.route is not None else "other"


def find_route(scope: Scope) -> Found:
    """The route of an HTTP request's scope, from `ROUTES`."""
    allowed: set[str] = set()
    for route in ROUTES:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return Found(route, child)
        if match is Match.PARTIAL:
            allowed.update(route.methods or ())
    return Found(None, {}, tuple(sorted(allowed)))
