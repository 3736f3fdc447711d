"""The emulator under hostile input: fuzzed methods, paths, ids, query parameters, headers and
bodies sent to its ASGI app in-process. Never a 5xx, never an exception out of the app, the
documented error shape on every error, and still serving afterwards."""

from __future__ import annotations

import asyncio
import json
import string
from collections import Counter
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import given
from hypothesis import strategies as st
from reliability.strategies import custom_ids, encode, json_values, text
from reliability.support import examples, record

from anthropic_batches.emulator import Emulator, ManualClock, create_app

BATCHES = "/v1/messages/batches"
KEYS = ["key-a", "key-b"]
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
}
STATUSES: Counter[int] = Counter()

CLOCK = ManualClock()
EMULATOR = Emulator(clock=CLOCK, process_seconds=5.0, max_body_bytes=20_000)
APP = create_app(EMULATOR)
KNOWN_IDS: list[str] = []

header_bytes = st.binary(max_size=40).map(
    lambda b: bytes(c for c in b if c not in b"\r\n\x00").strip()
)
known = st.integers(0, 10**6).map(lambda i: KNOWN_IDS[i % len(KNOWN_IDS)] if KNOWN_IDS else "x")
ids = st.one_of(
    known,
    st.sampled_from(["msgbatch_", "msgbatch_01", "..", ".", "%", "%2F", "null", "0"]),
    text,
    custom_ids.map(lambda s: "msgbatch_" + s),
    st.integers(0, len(KEYS) * 1000).map(
        lambda i: KNOWN_IDS[i % len(KNOWN_IDS)] if KNOWN_IDS else "x"
    ),
)
suffixes = st.sampled_from(["", "/cancel", "/results"])
rare_paths = st.one_of(
    st.sampled_from([BATCHES + "/", "/", "/v1", "/v1/messages", BATCHES + "//cancel"]),
    st.tuples(
        ids, st.sampled_from(["", "/cancel", "/results", "/results/", "/x", "/cancel/1"])
    ).map(lambda t: f"{BATCHES}/{quote(t[0], safe='')}{t[1]}"),
    st.lists(st.text(string.printable, max_size=10), max_size=5).map(
        lambda parts: "/" + "/".join(quote(p, safe="") for p in parts)
    ),
)
queries = st.dictionaries(
    st.sampled_from(["limit", "before_id", "after_id", "x", "limit[]"]),
    st.one_of(
        st.integers(-5, 2000).map(str),
        text,
        ids,
        st.sampled_from(["", " 5", "1e3", "0x10", "9" * 40, "٣"]),
    ),
    max_size=3,
)
request_items = st.one_of(
    st.fixed_dictionaries(
        {
            "custom_id": custom_ids,
            "params": st.fixed_dictionaries(
                {
                    "model": st.just("claude-opus-5"),
                    "max_tokens": st.integers(-2, 100) | json_values,
                    "messages": st.just([{"role": "user", "content": "hi"}]) | json_values,
                },
                optional={"temperature": json_values, "x": json_values},
            ),
        },
        optional={"extra": json_values},
    ),
    json_values,
)
good_bodies = st.lists(custom_ids, min_size=1, max_size=4, unique=True).map(
    lambda cids: encode(
        {
            "requests": [
                {
                    "custom_id": c,
                    "params": {
                        "model": "m",
                        "max_tokens": 5,
                        "messages": [{"role": "user", "content": c}],
                    },
                }
                for c in cids
            ]
        }
    )
)
bodies = st.one_of(
    st.none(),
    good_bodies,
    good_bodies,
    st.binary(max_size=300),
    json_values.map(encode),
    st.lists(request_items, max_size=5).map(lambda r: encode({"requests": r})),
    st.lists(request_items, max_size=5).map(lambda r: encode({"requests": r, **({"x": 1})})),
    st.integers(20_001, 40_000).map(lambda n: b'{"requests": "' + b"a" * n + b'"}'),
)


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` four times in five, else `rare`: most requests get past the first checks."""
    return st.integers(0, 4).flatmap(lambda n: usual if n else rare)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(
        mostly(
            st.sampled_from(["GET", "POST", "DELETE"]),
            st.sampled_from(["PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"]),
        )
    )
    headers: list[tuple[bytes, bytes]] = []
    key = draw(mostly(st.sampled_from(KEYS), st.none() | header_bytes))
    if key is not None:
        name = draw(st.sampled_from([b"x-api-key", b"X-Api-Key", b"authorization"]))
        value = key if isinstance(key, bytes) else key.encode()
        if name == b"authorization" and draw(st.booleans()):
            value = b"Bearer " + value
        headers.append((name, value))
    version = draw(
        mostly(st.sampled_from([b"2026-10-21", b"2023-06-01"]), st.none() | header_bytes)
    )
    if version is not None:
        headers.append((b"anthropic-version", version))
    content_type = draw(
        mostly(
            st.sampled_from([b"application/json", b"application/json; charset=utf-8"]),
            st.none() | header_bytes,
        )
    )
    if content_type is not None:
        headers.append((b"content-type", content_type))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([b"host", b"range", b"accept", b"x-should-retry", b"x-a"]))
        headers.append((name, draw(header_bytes)))
    return {
        "method": method,
        "path": draw(
            mostly(
                st.just(BATCHES)
                | st.tuples(known, suffixes).map(lambda t: f"{BATCHES}/{t[0]}{t[1]}"),
                rare_paths,
            )
        ),
        "params": draw(queries),
        "headers": headers,
        "content": draw(bodies),
    }


def check_answer(response: httpx.Response, method: str) -> None:
    """What every answer must be: below 500, and an error in the documented shape."""
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, response.text
    assert response.headers["request-id"].startswith("req_")
    if method == "HEAD":
        return
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/json"
        data = response.json()
        assert set(data) == {"type", "error", "request_id"}
        assert data["type"] == "error"
        assert data["request_id"] == response.headers["request-id"]
        assert data["error"]["type"] == ERROR_TYPES[response.status_code]
        assert isinstance(data["error"]["message"], str)
        assert data["error"]["message"]
    elif response.headers["content-type"] == "application/x-jsonl":
        for line in response.text.splitlines():
            assert json.loads(line)["custom_id"]
    else:
        data = response.json()
        assert "data" in data or data["type"] in ("message_batch", "message_batch_deleted")
        if data.get("type") == "message_batch":
            KNOWN_IDS.append(data["id"])


async def _send(request: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)  # raises anything the app lets out
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
        built = http.build_request(
            request["method"],
            "http://emulator.test" + request["path"],
            params=request["params"],
            content=request["content"],
            headers=request["headers"],
        )
        return await http.send(built)


@examples(fast=400, long=30_000)
@given(requests())
def test_fuzzed_requests(request: dict[str, Any]) -> None:
    response = asyncio.run(_send(request))
    check_answer(response, request["method"])
    CLOCK.advance(0.5)


def test_still_serving_and_keys_apart() -> None:
    async def scenario() -> None:
        transport = httpx.ASGITransport(app=APP)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
            headers = {"x-api-key": "key-a", "anthropic-version": "2026-10-21"}
            body = {
                "requests": [
                    {
                        "custom_id": "after-fuzz",
                        "params": {
                            "model": "m",
                            "max_tokens": 5,
                            "messages": [{"role": "user", "content": "x"}],
                        },
                    }
                ]
            }
            created = await http.post(BATCHES, json=body, headers=headers)
            assert created.status_code == 200
            batch_id = created.json()["id"]
            got = await http.get(f"{BATCHES}/{batch_id}", headers=headers)
            assert got.json()["id"] == batch_id
            other = await http.get(
                f"{BATCHES}/{batch_id}", headers={**headers, "x-api-key": "key-b"}
            )
            assert other.status_code == 404
            listed = await http.get(
                BATCHES, params={"limit": 1000}, headers={**headers, "x-api-key": "key-b"}
            )
            assert batch_id not in {b["id"] for b in listed.json()["data"]}

    asyncio.run(scenario())
    record(
        "emulator_fuzz",
        requests=sum(STATUSES.values()),
        statuses=dict(sorted(STATUSES.items())),
        server_errors=sum(n for s, n in STATUSES.items() if s >= 500),
        batches_created=EMULATOR.stats.batches_created,
    )
