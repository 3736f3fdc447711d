"""Error answers mapped to the official SDK's classes, by status and by `error_code`; answers
that do not fit the models; and the code carried by an errored result."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import pytest
import respx
from helpers import BASE, KEY, batch_json

import anthropic_batches
from anthropic_batches import (
    APIResponseValidationError,
    APIStatusError,
    BatchResult,
    Client,
    ContentTooLargeError,
    EnforcedSpendLimitReachedError,
    ErroredResult,
    InternalServerError,
    RampLimitExceededError,
    RateLimitError,
    RequestTooLargeError,
)
from anthropic_batches._facts import STOP_ERROR_CODES
from anthropic_batches._shared import error_from_response

URL = f"{BASE}/v1/messages/batches/msgbatch_01"

#: Every status the official SDK names a class for, and some it does not.
STATUSES = [400, 401, 402, 403, 404, 408, 409, 412, 413, 418, 422, 429, 431, 451, 499]
STATUSES += [500, 501, 502, 503, 504, 529, 599]
CODES = [
    (429, "ramp_limit_exceeded"),
    (429, "enforced_spend_limit_reached"),
    (429, "contract_spend_limit_reached"),
    (402, "linked_organization_spend_limit_reached"),
    (400, "organization_on_hold"),
    (413, "request_body_too_large_after_decoding"),
    (429, "a_code_not_known_here"),
    (400, "ramp_limit_exceeded"),  # a known code under another status: the status decides
]


def error_body(status: int, code: str | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "some_error", "message": f"status {status}"}
    if code is not None:
        inner["details"] = {"error_code": code, "appeal_url": "https://example.test"}
    return {"type": "error", "error": inner, "request_id": "req_1"}


def official_class_name(status: int, body: object) -> str:
    """The class the official SDK raises for this answer."""
    httpx2 = pytest.importorskip("httpx2")
    from anthropic._error_classes import make_status_error

    request = httpx2.Request("GET", URL)
    response = httpx2.Response(status, content=json.dumps(body).encode(), request=request)
    return type(make_status_error("", body=body, response=response)).__name__


def raised(status: int, body: object, **headers: str) -> APIStatusError:
    with respx.mock(base_url=BASE) as mock, Client(api_key=KEY, base_url=BASE, max_retries=0) as c:
        mock.get("/v1/messages/batches/msgbatch_01").respond(status, json=body, headers=headers)
        with pytest.raises(APIStatusError) as info:
            c.messages.batches.retrieve("msgbatch_01")
    return info.value


@pytest.mark.parametrize("status", STATUSES)
def test_each_status_raises_the_official_sdks_class(status: int) -> None:
    body = error_body(status)
    error = raised(status, body)
    assert type(error).__name__ == official_class_name(status, body)
    assert getattr(anthropic_batches, type(error).__name__) is type(error)
    assert error.status_code == status and error.error_code is None
    assert error.request_id == "req_1" and error.message == f"status {status}"


def test_an_unknown_status_is_a_plain_api_status_error_and_5xx_an_internal_error() -> None:
    assert type(raised(418, error_body(418))) is APIStatusError
    assert type(raised(599, error_body(599))) is InternalServerError
    assert RequestTooLargeError is ContentTooLargeError  # the earlier name still works


@pytest.mark.parametrize(("status", "code"), CODES)
def test_an_error_code_picks_the_official_subclass(status: int, code: str) -> None:
    body = error_body(status, code)
    error = raised(status, body, **{"anthropic-workspace-id": "wrkspc_1"})
    assert type(error).__name__ == official_class_name(status, body)
    assert error.error_code == code
    assert error.details == body["error"]["details"]
    assert error.workspace_id == "wrkspc_1"
    assert f"[{code}]" in str(error)


def test_a_ramp_limit_is_waited_out_but_a_spend_limit_stops_at_once() -> None:
    def answers(code: str) -> respx.Route:
        with respx.mock(base_url=BASE) as mock:
            route = mock.get("/v1/messages/batches/msgbatch_01")
            route.side_effect = [
                httpx.Response(429, json=error_body(429, code), headers={"retry-after": "0"}),
                httpx.Response(200, json=batch_json()),
            ]
            with (
                Client(api_key=KEY, base_url=BASE, max_retries=2) as c,
                contextlib.suppress(EnforcedSpendLimitReachedError),
            ):
                c.messages.batches.retrieve("msgbatch_01")
        return route

    assert answers("ramp_limit_exceeded").call_count == 2
    assert answers("enforced_spend_limit_reached").call_count == 1
    assert "enforced_spend_limit_reached" in STOP_ERROR_CODES
    assert issubclass(RampLimitExceededError, RateLimitError)


def test_wait_stops_polling_on_a_spend_limit() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/v1/messages/batches/msgbatch_01")
        route.respond(429, json=error_body(429, "contract_spend_limit_reached"))
        with Client(api_key=KEY, base_url=BASE, max_retries=0) as c, pytest.raises(RateLimitError):
            c.messages.batches.wait("msgbatch_01", poll_interval=0.01, timeout=5)
    assert route.call_count == 1


@pytest.mark.parametrize("content", [b'{"id": 1}', b"<html>not json</html>", b'{"data": "x"}', b""])
def test_an_answer_that_does_not_fit_is_a_response_validation_error(content: bytes) -> None:
    with respx.mock(base_url=BASE) as mock, Client(api_key=KEY, base_url=BASE) as c:
        mock.get("/v1/messages/batches/msgbatch_01").respond(200, content=content)
        with pytest.raises(APIResponseValidationError) as info:
            c.messages.batches.retrieve("msgbatch_01")
    assert info.value.status_code == 200
    assert info.value.response.content == content
    assert "unexpected answer from GET" in str(info.value)


def test_an_errored_result_carries_its_error_code() -> None:
    line: dict[str, Any] = {
        "custom_id": "a",
        "result": {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": "too large",
                    "details": {"error_code": "request_body_too_large_after_decoding"},
                },
                "request_id": None,
            },
        },
    }
    result = BatchResult.model_validate_json(json.dumps(line))
    assert isinstance(result.result, ErroredResult)
    assert result.result.error.error.error_code == "request_body_too_large_after_decoding"
    plain = BatchResult.model_validate(
        {
            **line,
            "result": {
                **line["result"],
                "error": {"type": "error", "error": {"type": "api_error", "message": "x"}},
            },
        }
    )
    assert isinstance(plain.result, ErroredResult)
    assert plain.result.error.error.error_code is None


def test_a_non_json_error_body_keeps_its_status_class() -> None:
    request = httpx.Request("GET", URL)
    response = httpx.Response(503, text="<html>busy</html>", request=request)
    error = error_from_response(response)
    assert type(error).__name__ == "ServiceUnavailableError"
    assert error.error_code is None and error.details is None


def test_the_emulator_sends_an_error_code_in_an_errored_line() -> None:
    from anthropic_batches.emulator import ResponderError
    from anthropic_batches.emulator._responder import error_body

    code = "request_body_too_large_after_decoding"
    body = error_body(ResponderError("invalid_request_error", "too large", error_code=code))
    assert body["error"]["details"] == {"error_code": code}
    line = {"custom_id": "a", "result": {"type": "errored", "error": body}}
    result = BatchResult.model_validate(line).result
    assert isinstance(result, ErroredResult) and result.error.error.error_code == code
