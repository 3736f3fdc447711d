"""Results as Parquet: one row per result, for the data tools results are loaded into.

Columns (nullable where a result has no such field):

| column | from |
| --- | --- |
| `custom_id` | the request's `custom_id` |
| `result_type` | `result.type` |
| `model` | `result.message.model` |
| `stop_reason` | `result.message.stop_reason` |
| `text` | the message's text blocks, joined |
| `input_tokens`, `output_tokens`, `cache_creation_input_tokens`, `cache_read_input_tokens` | `result.message.usage` |
| `error_type`, `error_message` | `result.error.error` |
| `result` | the result's JSON line as the API sent it, so nothing is lost |

Written from a part's spool in row groups of `ROW_GROUP` results (flat memory); pyarrow
(https://arrow.apache.org/docs/python/parquet.html) is imported only here, when Parquet is
asked for: the `parquet` extra.
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

from ._jsonl import parse_result
from ._models import BatchResult, ErroredResult, SucceededResult
from ._urls import StorageError, local_path, open_input, reason

__all__ = ["COLUMNS", "read_parquet_results", "require_pyarrow", "row", "write_parquet"]

#: Results per row group: a group is built in memory, then written.
ROW_GROUP = 10_000

_TEXT = ("custom_id", "result_type", "model", "stop_reason", "text")
_TOKENS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
_ERROR = ("error_type", "error_message")

#: The columns, in order.
COLUMNS: tuple[str, ...] = (*_TEXT, *_TOKENS, *_ERROR, "result")


def require_pyarrow() -> Any:
    """`pyarrow.parquet`, imported now.

    Raises:
        StorageError: pyarrow is not installed (one line naming the extra).
    """
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise StorageError("Parquet needs pyarrow: install anthropic-batches[parquet]") from None
    return pq


def _schema() -> Any:
    import pyarrow as pa

    fields = [pa.field(name, pa.string()) for name in _TEXT]
    fields += [pa.field(name, pa.int64()) for name in _TOKENS]
    fields += [pa.field(name, pa.string()) for name in (*_ERROR, "result")]
    return pa.schema(fields)


def row(result: BatchResult) -> dict[str, Any]:
    """A result's row: its columns' values (`None` where the result has no such field)."""
    values: dict[str, Any] = dict.fromkeys(COLUMNS)
    inner = result.result
    values["custom_id"] = result.custom_id
    values["result_type"] = inner.type
    values["result"] = result.json_line().decode("utf-8")
    if isinstance(inner, SucceededResult):
        message, usage = inner.message, inner.message.usage
        values["model"] = message.model
        values["stop_reason"] = message.stop_reason
        values["text"] = message.text
        for name in _TOKENS:
            values[name] = getattr(usage, name)
    elif isinstance(inner, ErroredResult):
        values["error_type"] = inner.error.error.type
        values["error_message"] = inner.error.error.message
    return values


def _lines(spool: str) -> Iterator[BatchResult]:
    with open(spool, "rb") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip(b"\r\n")
            if line:
                yield parse_result(number, line)


def write_parquet(spool: str, out: BinaryIO) -> int:
    """Write a spool of result lines (JSON Lines) to `out` as Parquet, in row groups;
    returns how many rows were written."""
    pq = require_pyarrow()
    import pyarrow as pa

    schema = _schema()
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}

        def flush() -> None:
            writer.write_table(pa.table(columns, schema=schema))
            for values in columns.values():
                values.clear()

        for result in _lines(spool):
            for name, value in row(result).items():
                columns[name].append(value)
            count += 1
            if count % ROW_GROUP == 0:
                flush()
        if count % ROW_GROUP or count == 0:
            flush()
    return count


def combine_parquet(parts: Sequence[Callable[[], BinaryIO]], out: BinaryIO) -> None:
    """Write the row groups of Parquet parts (each opened by its callable), in order, to
    `out` as one Parquet file, one row group at a time."""
    pq = require_pyarrow()
    with pq.ParquetWriter(out, _schema()) as writer:
        for opener in parts:
            with opener() as f:
                source = pq.ParquetFile(f)
                for group in range(source.num_row_groups):
                    writer.write_table(source.read_row_group(group))


def read_parquet_results(
    url: str, *, storage_options: Mapping[str, Any] | None = None
) -> Iterator[BatchResult]:
    """The results of a Parquet output (a part or a combined file), from its `result`
    column, in order, one row group at a time.

    Args:
        url: A local path or any fsspec URL.
        storage_options: Passed to the fsspec filesystem.

    Raises:
        OSError: The file cannot be read (a one-line reason).
    """
    pq = require_pyarrow()
    path = local_path(url)
    try:
        f: BinaryIO = open(path, "rb") if path is not None else open_input(url, storage_options)  # noqa: SIM115
    except StorageError as exc:
        raise OSError(f"{url}: {exc}") from None
    except OSError as exc:
        raise OSError(f"{url}: {reason(exc)}") from None
    with f:
        source = pq.ParquetFile(f)
        number = 0
        for group in range(source.num_row_groups):
            for text in source.read_row_group(group, columns=["result"]).column(0).to_pylist():
                number += 1
                yield parse_result(number, text.encode("utf-8"))
