"""Settings, headers, URLs, the retry policy and error mapping."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

import httpx
import pytest

from anthropic_batches import (
    APIStatusError,
    BatchesError,
    InternalServerError,
    NotFoundError,
    OverloadedError,
    RateLimitError,
)
from anthropic_batches._shared import (
    Settings,
    batch_path,
    error_from_response,
    is_retryable_response,
    results_url,
    retry_after,
    retry_delay,
    same_origin,
)


class SettingsArgs(TypedDict, total=False):
    api_key: str | None
    auth_token: str | None
    base_url: str | None
    api_version: str
    max_retries: int
    default_headers: Mapping[str, str] | None


def settings(**kw: Unpack[SettingsArgs]) -> Settings:
    """`Settings.resolve` with a test key and the defaults, overridden by `kw`."""
    return Settings.resolve(
        api_key=kw.get("api_key", "sk-test"),
        auth_token=kw.get("auth_token"),
        base_url=kw.get("base_url"),
        api_version=kw.get("api_version", "2026-10-21"),
        max_retries=kw.get("max_retries", 2),
        default_headers=kw.get("default_headers"),
    )


def test_env_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/")
    s = settings(api_key=None)
    assert s.api_key == "env-key"
    assert s.base_url == "http://127.0.0.1:9"


def test_no_credential_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with pytest.raises(BatchesError, match="No credential"):
        settings(api_key=None)


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="api_version='2024-01-01'"):
        settings(api_version="2024-01-01")
    with pytest.raises(ValueError, match="max_retries"):
        settings(max_retries=-1)
    with pytest.raises(ValueError, match="not an http"):
        settings(base_url="ftp://x")


def test_headers_key_token_and_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    h = settings(default_headers={"anthropic-beta": "x"}).headers()
    assert h["x-api-key"] == "sk-test"
    assert "authorization" not in h
    assert h["anthropic-version"] == "2026-10-21"
    assert h["user-agent"].startswith("anthropic-batches/")
    assert h["anthropic-beta"] == "x"
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    t = settings(api_key=None, auth_token="tok-secret-123")
    assert t.headers()["authorization"] == "Bearer tok-secret-123"
    assert "tok-secret-123" not in repr(t)
    assert "sk-test" not in repr(settings())


def test_batch_path_escapes_and_rejects_empty() -> None:
    assert batch_path("msgbatch_1", "/results") == "/v1/messages/batches/msgbatch_1/results"
    assert batch_path("a/../b?c") == "/v1/messages/batches/a%2F..%2Fb%3Fc"
    with pytest.raises(ValueError, match="non-empty"):
        batch_path(" ")
    with pytest.raises(TypeError):
        batch_path(None)  # type: ignore[arg-type]


def test_same_origin() -> None:
    assert same_origin("https://api.anthropic.com/x", "https://API.anthropic.com:443/y")
    assert not same_origin("https://api.anthropic.com", "http://api.anthropic.com")
    assert not same_origin("https://api.anthropic.com", "https://evil.example")
    assert not same_origin("http://127.0.0.1:1", "http://127.0.0.1:2")


def test_results_url_only_trusts_own_origin() -> None:
    s = settings(base_url="https://api.anthropic.com")
    own = "https://api.anthropic.com/v1/messages/batches/b1/results?x=1"
    assert results_url(s, "b1", own) == own
    canonical = "https://api.anthropic.com/v1/messages/batches/b1/results"
    assert results_url(s, "b1", "https://evil.example/steal") == canonical
    assert results_url(s, "b1", None) == canonical


def resp(
    status: int,
    headers: dict[str, str] | None = None,
    *,
    json: Any = None,
    text: str | None = None,
) -> httpx.Response:
    request = httpx.Request("GET", "http://x/")
    return httpx.Response(status, headers=headers, request=request, json=json, text=text)


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (408, {}, True),
        (409, {}, True),
        (429, {}, True),
        (500, {}, True),
        (529, {}, True),
        (400, {}, False),
        (404, {}, False),
        (400, {"x-should-retry": "true"}, True),
        (503, {"x-should-retry": "false"}, False),
    ],
)
def test_retryable(status: int, headers: dict[str, str], expected: bool) -> None:
    assert is_retryable_response(resp(status, headers)) is expected


def test_a_429_is_left_to_a_caller_that_waits_for_room_itself() -> None:
    """A job's create: a 429 is never tried again by the client, whatever its headers say;
    every other answer is decided as for any call."""
    for headers in ({}, {"retry-after": "1"}, {"x-should-retry": "true"}):
        assert is_retryable_response(resp(429, headers))
        assert not is_retryable_response(resp(429, headers), rate_limit=False)
    for status in (408, 409, 500, 529):
        assert is_retryable_response(resp(status, {}), rate_limit=False)
    assert not is_retryable_response(resp(400, {}), rate_limit=False)


def test_retry_after_forms() -> None:
    assert retry_after(httpx.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after(httpx.Headers({"retry-after": "3"})) == 3.0
    date = email.utils.formatdate(time.time() + 10, usegmt=True)
    got = retry_after(httpx.Headers({"retry-after": date}))
    assert got is not None
    assert 8 < got <= 10
    assert retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after(httpx.Headers({"retry-after-ms": "x", "retry-after": "2"})) == 2.0
    assert retry_after(None) is None
    assert retry_after(httpx.Headers({})) is None


def test_retry_delay_honours_server_within_cap_else_backs_off() -> None:
    assert retry_delay(0, httpx.Headers({"retry-after": "2"})) == 2.0
    for attempt, cap in [(0, 0.5), (1, 1.0), (5, 8.0), (30, 8.0)]:
        d = retry_delay(attempt, httpx.Headers({"retry-after": "3600"}))
        assert 0.75 * cap <= d <= cap


def test_error_mapping_json_body() -> None:
    body = {
        "type": "error",
        "error": {"type": "not_found_error", "message": "no such batch"},
        "request_id": "req_body",
    }
    err = error_from_response(resp(404, {"request-id": "req_hdr"}, json=body))
    assert isinstance(err, NotFoundError)
    assert (err.status_code, err.type, err.message, err.request_id) == (
        404,
        "not_found_error",
        "no such batch",
        "req_hdr",
    )
    assert err.body == body
    assert str(err) == "404 not_found_error: no such batch (request-id: req_hdr)"
    assert error_from_response(resp(404, json=body)).request_id == "req_body"


def test_error_mapping_html_502_and_others() -> None:
    err = error_from_response(resp(502, text="<html><body>Bad gateway</body></html>"))
    assert isinstance(err, InternalServerError)
    assert err.message == "Bad Gateway (non-JSON body: <html><body>Bad gateway</body></html>)"
    assert isinstance(error_from_response(resp(529)), OverloadedError)
    assert isinstance(error_from_response(resp(429)), RateLimitError)
    assert type(error_from_response(resp(418))) is APIStatusError  # as the official SDK
    assert type(error_from_response(resp(302))) is APIStatusError
    assert error_from_response(resp(500)).message == "Internal Server Error"
