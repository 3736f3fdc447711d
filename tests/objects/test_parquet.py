"""Parquet output: one row per result, columns for the text, usage and error, and the whole
result kept, so it reads back to the same results as the JSON Lines output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from helpers import hide_module, result_line

from anthropic_batches import BatchResult, OutputError, PartsOutput, read_parquet_results
from anthropic_batches import _parquet as parquet_module
from anthropic_batches._jsonl import parse_result


def succeeded_with_cache(custom_id: str) -> bytes:
    line = json.loads(result_line(custom_id, text="first"))
    message = line["result"]["message"]
    message["content"].append({"type": "tool_use", "id": "t1", "name": "f", "input": {}})
    message["content"].append({"type": "text", "text": " second"})
    message["usage"] = {
        "input_tokens": 11,
        "output_tokens": 7,
        "cache_creation_input_tokens": 5,
        "cache_read_input_tokens": 3,
        "service_tier": "batch",
    }
    message["stop_reason"] = "max_tokens"
    line["result"]["a_field_of_tomorrow"] = {"kept": True}
    return json.dumps(line).encode()


def mixed() -> list[BatchResult]:
    lines = [
        succeeded_with_cache("s0"),
        result_line("s1", text="plain"),
        result_line("e0", kind="errored"),
        result_line("c0", kind="canceled"),
        result_line("x0", kind="expired"),
    ]
    return [parse_result(i + 1, line) for i, line in enumerate(lines)]


def write(output: PartsOutput, index: int, items: list[BatchResult]) -> None:
    with output.open_part(index) as writer:
        for item in items:
            writer.write(item)
        writer.commit()


def test_a_parquet_part_reads_back_to_the_same_results_as_the_jsonl_part(
    tmp_path: Path,
) -> None:
    items = mixed()
    as_jsonl = PartsOutput(str(tmp_path / "jsonl"))
    as_parquet = PartsOutput(str(tmp_path / "parquet"), format="parquet")
    as_parquet.check()
    write(as_jsonl, 0, items)
    write(as_parquet, 0, items)
    jsonl = (tmp_path / "jsonl" / "part-00000.jsonl").read_bytes().splitlines()
    back = list(read_parquet_results(str(tmp_path / "parquet" / "part-00000.parquet")))
    assert [r.json_line() for r in back] == jsonl
    assert back == items
    assert sorted(p.name for p in (tmp_path / "parquet").iterdir()) == ["part-00000.parquet"]


def test_the_columns_hold_what_each_result_says(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path), format="parquet")
    write(output, 0, mixed())
    table = pq.read_table(tmp_path / "part-00000.parquet")
    assert table.column_names == [
        "custom_id",
        "result_type",
        "model",
        "stop_reason",
        "text",
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "error_type",
        "error_message",
        "result",
    ]
    rows: dict[str, dict[str, Any]] = {row["custom_id"]: row for row in table.to_pylist()}
    assert [rows[c]["result_type"] for c in ("s0", "s1", "e0", "c0", "x0")] == [
        "succeeded",
        "succeeded",
        "errored",
        "canceled",
        "expired",
    ]
    s0 = rows["s0"]
    assert s0["text"] == "first second"  # the text blocks joined, the tool call left out
    assert (s0["model"], s0["stop_reason"]) == ("claude-opus-5", "max_tokens")
    usage = [s0[n] for n in parquet_module.COLUMNS[5:9]]
    assert usage == [11, 7, 5, 3]
    assert json.loads(s0["result"])["result"]["a_field_of_tomorrow"] == {"kept": True}
    s1 = rows["s1"]
    assert (s1["text"], s1["input_tokens"], s1["output_tokens"]) == ("plain", 3, 5)
    assert s1["cache_read_input_tokens"] is None  # not reported, not zero
    e0 = rows["e0"]
    assert (e0["error_type"], e0["error_message"]) == ("invalid_request_error", "bad")
    assert e0["text"] is None and e0["input_tokens"] is None
    for unanswered in (rows["c0"], rows["x0"]):
        assert unanswered["model"] is None and unanswered["error_type"] is None


def test_a_large_part_is_written_in_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet_module, "ROW_GROUP", 4)
    items = [parse_result(i + 1, result_line(f"r{i}")) for i in range(10)]
    output = PartsOutput(str(tmp_path), format="parquet")
    write(output, 0, items)
    source = pq.ParquetFile(tmp_path / "part-00000.parquet")
    assert [source.metadata.row_group(g).num_rows for g in range(source.num_row_groups)] == [
        4,
        4,
        2,
    ]
    assert list(read_parquet_results(str(tmp_path / "part-00000.parquet"))) == items


def test_combine_makes_one_parquet_file_of_the_parts_in_order(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path), format="parquet")
    first, second = mixed(), [parse_result(1, result_line("z"))]
    write(output, 1, second)
    write(output, 0, first)
    combined = output.combine([0, 1])
    assert combined == str(tmp_path / "combined.parquet")
    assert list(read_parquet_results(combined)) == [*first, *second]


def test_parquet_parts_on_s3_read_back(s3: Any, bucket: str) -> None:
    url = f"s3://{bucket}/runs/pq"
    output = PartsOutput(url, format="parquet")
    output.check()
    write(output, 0, mixed())
    assert list(read_parquet_results(f"{url}/part-00000.parquet")) == mixed()
    assert list(read_parquet_results(output.combine([0]))) == mixed()


def test_without_pyarrow_the_check_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module(monkeypatch, "pyarrow")
    with pytest.raises(OutputError) as caught:
        PartsOutput(str(tmp_path), format="parquet").check()
    assert "anthropic-batches[parquet]" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_parquet_part_that_cannot_be_converted_leaves_no_object_and_no_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = PartsOutput(str(tmp_path), format="parquet")
    output.check()
    with output.open_part(0) as writer:
        writer.write(mixed()[0])
        hide_module(monkeypatch, "pyarrow")  # gone since the check
        with pytest.raises(OutputError) as caught:
            writer.commit()
    assert str(caught.value).startswith(f"output {tmp_path}: ")
    assert os.listdir(tmp_path) == []
