"""The public surface: one sorted, complete `__all__`, and a light import."""

from __future__ import annotations

import inspect
import subprocess
import sys

import anthropic_batches


def test_all_is_sorted_and_complete() -> None:
    names = anthropic_batches.__all__
    assert names == sorted(names)
    assert len(names) == len(set(names))
    public = {
        name
        for name, value in vars(anthropic_batches).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", "anthropic_batches").startswith("anthropic_batches")
    }
    assert public <= set(names), public - set(names)
    for name in names:
        assert hasattr(anthropic_batches, name), name


def test_contract_names_exist() -> None:
    for name in [
        "AsyncClient",
        "Client",
        "AsyncBatches",
        "Batches",
        "MessageBatch",
        "RequestCounts",
        "BatchResult",
        "SucceededResult",
        "ErroredResult",
        "CanceledResult",
        "ExpiredResult",
        "Message",
        "Usage",
        "DeletedMessageBatch",
        "Page",
        "BatchRequest",
        "BatchesError",
        "APIError",
        "APIStatusError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "RequestTooLargeError",
        "RateLimitError",
        "InternalServerError",
        "OverloadedError",
        "APIConnectionError",
        "APITimeoutError",
        "BatchValidationError",
        "ResultsDecodeError",
        "WaitTimeoutError",
    ]:
        assert name in anthropic_batches.__all__, name
    assert issubclass(anthropic_batches.BatchValidationError, ValueError)
    assert issubclass(anthropic_batches.WaitTimeoutError, TimeoutError)
    assert issubclass(anthropic_batches.APITimeoutError, anthropic_batches.APIConnectionError)
    assert issubclass(anthropic_batches.OverloadedError, anthropic_batches.APIStatusError)


def test_sync_and_async_twins_have_the_same_methods() -> None:
    for sync_cls, async_cls in [
        (anthropic_batches.Batches, anthropic_batches.AsyncBatches),
        (anthropic_batches.Client, anthropic_batches.AsyncClient),
    ]:
        sync_methods = {n for n in dir(sync_cls) if not n.startswith("_")}
        async_methods = {
            n.replace("aclose", "close") for n in dir(async_cls) if not n.startswith("_")
        }
        assert sync_methods == async_methods
        for name in sync_methods:
            s, a = getattr(sync_cls, name), getattr(async_cls, name.replace("close", "aclose"))
            if callable(s):
                assert list(inspect.signature(s).parameters) == list(
                    inspect.signature(a).parameters
                ), name


def test_import_pulls_in_neither_emulator_nor_cli() -> None:
    code = (
        "import sys, anthropic_batches; "
        "bad = [m for m in sys.modules if m.startswith(('anthropic_batches.emulator', "
        "'anthropic_batches.cli', 'starlette', 'uvicorn', 'typer'))]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
