"""The public surface: one sorted, complete `__all__`, and a light import."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import traceback
from importlib import metadata

import pydantic

import anthropic_batches
from anthropic_batches import CanceledResult, UnknownResult


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


def test_public_classes_and_functions_report_the_package_as_their_module() -> None:
    # what reprs, tracebacks and pickles name: `anthropic_batches.Client`, no private module
    for name in anthropic_batches.__all__:
        value = getattr(anthropic_batches, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == "anthropic_batches", name
    assert repr(anthropic_batches.Client) == "<class 'anthropic_batches.Client'>"
    try:
        raise anthropic_batches.APITimeoutError()
    except anthropic_batches.APITimeoutError:
        assert traceback.format_exc().splitlines()[-1] == (
            "anthropic_batches.APITimeoutError: Request timed out."
        )


def test_types_of_public_signatures_are_exported() -> None:
    from anthropic_batches import AsyncBatches, AsyncJob, Batches, BatchResult, split_requests

    # the annotations are strings (postponed evaluation): each names an exported type
    hints = [
        (inspect.signature(AsyncBatches.get).parameters["timeout"].annotation, "TimeoutTypes"),
        (inspect.signature(Batches.results).parameters["timeout"].annotation, "TimeoutTypes"),
        (inspect.signature(split_requests).parameters["requests"].annotation, "RequestLike"),
        (inspect.signature(AsyncJob).parameters["requests"].annotation, "RequestLike"),
        (inspect.signature(AsyncJob).parameters["on_progress"].annotation, "ProgressCallback"),
        (BatchResult.__annotations__["result"], "Result"),
    ]
    for annotation, name in hints:
        assert re.search(rf"\b{name}\b", str(annotation)), annotation
        assert name in anthropic_batches.__all__
    # `Result` is the union a result's `result` field takes, unknown types included
    adapter = pydantic.TypeAdapter(anthropic_batches.Result)
    assert isinstance(adapter.validate_python({"type": "canceled"}), CanceledResult)
    assert isinstance(adapter.validate_python({"type": "new_kind"}), UnknownResult)


def test_errors_are_caught_by_the_builtin_bases_users_expect() -> None:
    assert issubclass(anthropic_batches.BatchValidationError, ValueError)
    assert issubclass(anthropic_batches.WaitTimeoutError, TimeoutError)
    assert issubclass(anthropic_batches.APITimeoutError, anthropic_batches.APIConnectionError)
    assert issubclass(anthropic_batches.OverloadedError, anthropic_batches.APIStatusError)


def test_only_the_declared_extras_are_published() -> None:
    extras = metadata.metadata("anthropic-batches").get_all("Provides-Extra")
    published = ["cli", "emulator", "objects", "otel", "parquet", "postgres", "s3"]
    assert sorted(extras or []) == published


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
        "'anthropic_batches.cli', 'starlette', 'uvicorn', 'typer', 'fsspec', 's3fs', "
        "'pyarrow', 'psycopg'))]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
