"""What a failed create means for a job's state, and the credential's fingerprint."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from anthropic_batches import AsyncClient
from anthropic_batches._exceptions import APIConnectionError, APIStatusError, APITimeoutError
from anthropic_batches._resume import key_fingerprint, nothing_created, spool_path

REQUEST = httpx.Request("POST", "https://api.example/v1/messages/batches")


def status_error(code: int) -> APIStatusError:
    return APIStatusError("refused", response=httpx.Response(code, request=REQUEST), body=None)


def connection_error(cause: Exception) -> APIConnectionError:
    try:
        raise APIConnectionError(request=REQUEST) from cause
    except APIConnectionError as exc:
        return exc


@pytest.mark.parametrize(
    ("code", "created"),
    [(400, False), (401, False), (429, False), (413, False), (500, None), (529, None)],
)
def test_a_refusal_made_no_batch_but_a_server_error_may_have(
    code: int, created: bool | None
) -> None:
    assert nothing_created(status_error(code)) is (created is False)


def test_a_connection_never_made_made_no_batch_but_a_timeout_may_have() -> None:
    assert nothing_created(connection_error(httpx.ConnectError("refused", request=REQUEST)))
    assert not nothing_created(connection_error(httpx.ReadError("reset", request=REQUEST)))
    assert not nothing_created(APITimeoutError(request=REQUEST))


def test_the_fingerprint_tells_keys_apart_without_holding_the_key() -> None:
    a = key_fingerprint(AsyncClient(api_key="sk-ant-one"))
    b = key_fingerprint(AsyncClient(api_key="sk-ant-two"))
    assert a != b
    assert a == key_fingerprint(AsyncClient(api_key="sk-ant-one"))
    assert "sk-ant" not in a
    assert a.startswith("sha256:")


def test_the_spool_sits_beside_the_state_file(tmp_path: Path) -> None:
    assert spool_path(tmp_path / "job.state.json") == tmp_path / "job.state.json.requests.jsonl"
