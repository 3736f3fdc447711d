"""A job's output folder on a local disk: part objects written whole, a manifest, combine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import result_line

from anthropic_batches import BatchResult, OutputError, PartsOutput
from anthropic_batches._jsonl import parse_result


def results(prefix: str, n: int) -> list[BatchResult]:
    return [parse_result(i + 1, result_line(f"{prefix}{i}", text=f"t{i}")) for i in range(n)]


def write_part(output: PartsOutput, index: int, items: list[BatchResult]) -> None:
    with output.open_part(index) as writer:
        for item in items:
            writer.write(item)
        writer.commit()


def test_parts_are_written_as_named_objects_holding_the_results(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path / "out"))
    output.check()
    first, second = results("a", 3), results("b", 2)
    write_part(output, 0, first)
    write_part(output, 1, second)
    assert sorted(os.listdir(tmp_path / "out")) == ["part-00000.jsonl", "part-00001.jsonl"]
    lines = (tmp_path / "out" / "part-00000.jsonl").read_bytes().splitlines()
    assert lines == [r.json_line() for r in first]
    assert output.has_part(1) and not output.has_part(2)
    assert output.part_name(12) == "part-00012.jsonl"


def test_a_part_written_twice_is_one_object_with_the_results_once(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    items = results("a", 4)
    write_part(output, 3, items)
    write_part(output, 3, items)  # a worker that died before its state was saved, redone
    assert os.listdir(tmp_path) == ["part-00003.jsonl"]
    lines = (tmp_path / "part-00003.jsonl").read_bytes().splitlines()
    assert lines == [r.json_line() for r in items]


def test_a_part_not_committed_leaves_no_object_and_no_spool(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    write_part(output, 0, results("a", 2))
    before = (tmp_path / "part-00000.jsonl").read_bytes()
    with pytest.raises(RuntimeError), output.open_part(0) as writer:
        writer.write(results("z", 1)[0])
        raise RuntimeError("the worker stopped mid-part")
    with output.open_part(1) as writer:
        writer.write(results("y", 1)[0])
        writer.discard()
    assert os.listdir(tmp_path) == ["part-00000.jsonl"]
    assert (tmp_path / "part-00000.jsonl").read_bytes() == before


def test_the_manifest_is_written_whole_and_read_back(tmp_path: Path) -> None:
    output = PartsOutput(f"file://{tmp_path}")
    assert output.read_manifest() is None
    output.write_manifest({"parts": [{"index": 0, "count": 3}], "done": False})
    output.write_manifest({"parts": [{"index": 0, "count": 3}], "done": True})
    assert output.read_manifest() == {"parts": [{"index": 0, "count": 3}], "done": True}
    assert json.loads((tmp_path / "_manifest.json").read_text())["done"] is True
    assert os.listdir(tmp_path) == ["_manifest.json"]


def test_a_manifest_that_is_not_an_object_is_one_line_naming_the_output(tmp_path: Path) -> None:
    (tmp_path / "_manifest.json").write_text("[1, 2")
    with pytest.raises(OutputError) as caught:
        PartsOutput(str(tmp_path)).read_manifest()
    assert str(tmp_path) in str(caught.value) and "\n" not in str(caught.value)


def test_combine_writes_the_parts_in_the_order_given(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    parts = {0: results("a", 2), 1: results("b", 3), 2: results("c", 1)}
    for index in (2, 0, 1):
        write_part(output, index, parts[index])
    combined = output.combine([0, 1, 2])
    assert combined == str(tmp_path / "combined.jsonl")
    lines = Path(combined).read_bytes().splitlines()
    assert lines == [r.json_line() for i in (0, 1, 2) for r in parts[i]]


def test_combine_with_a_part_missing_names_it_and_writes_nothing(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    write_part(output, 0, results("a", 1))
    with pytest.raises(OutputError, match=r"part-00001\.jsonl is missing"):
        output.combine([0, 1])
    assert os.listdir(tmp_path) == ["part-00000.jsonl"]


def test_an_output_that_cannot_be_written_fails_the_check_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    url = str(blocker / "out")
    with pytest.raises(OutputError) as caught:
        PartsOutput(url).check()
    assert caught.value.url == url
    assert str(caught.value).startswith(f"output {url}: ")
    assert "\n" not in str(caught.value)


def test_the_check_leaves_no_probe_behind(tmp_path: Path) -> None:
    PartsOutput(str(tmp_path / "new" / "out")).check()
    assert os.listdir(tmp_path / "new" / "out") == []


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        PartsOutput("out", format="csv")  # type: ignore[arg-type]


def test_an_unknown_protocol_is_one_line_naming_the_output() -> None:
    url = "nosuch://bucket/out"
    output = PartsOutput(url)
    for step in (output.check, lambda: output.has_part(0), output.read_manifest):
        with pytest.raises(OutputError) as caught:
            step()
        assert str(caught.value) == f"output {url}: unknown protocol nosuch://"
    assert repr(output) == f"<PartsOutput {url!r} format='jsonl'>"


def test_an_output_folder_gone_before_a_commit_is_one_line_and_no_object(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    output = PartsOutput(str(folder))
    with output.open_part(0) as writer:
        writer.write(results("a", 1)[0])
        assert repr(writer) == "<PartWriter 'part-00000.jsonl' count=1>"
        for name in os.listdir(folder):
            os.unlink(folder / name)
        folder.rmdir()
        with pytest.raises(OutputError) as caught:
            writer.commit()
    assert str(caught.value).startswith(f"output {folder}: not found")
    assert not folder.exists()


def test_a_part_is_committed_once(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    with output.open_part(0) as writer:
        writer.commit()
        with pytest.raises(ValueError, match=r"part-00000\.jsonl was already committed"):
            writer.commit()
    assert (tmp_path / "part-00000.jsonl").read_bytes() == b""


def test_no_spool_can_be_made_where_the_output_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    output = PartsOutput(str(blocker))
    with pytest.raises(OutputError) as caught:
        output.open_part(0)
    assert str(caught.value).startswith(f"output {blocker}: ")
    with pytest.raises(OutputError):
        output.write_manifest({"parts": []})
    assert blocker.read_text() == "not a folder"


def test_a_part_that_cannot_be_read_stops_combine_with_nothing_left(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    write_part(output, 0, results("a", 2))
    (tmp_path / "part-00001.jsonl").mkdir()  # there, but not a file to read
    with pytest.raises(OutputError) as caught:
        output.combine([0, 1])
    assert "part-00001.jsonl" in str(caught.value) and "\n" not in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["part-00000.jsonl", "part-00001.jsonl"]


def test_a_manifest_that_cannot_be_read_is_one_line_naming_the_output(tmp_path: Path) -> None:
    output = PartsOutput(str(tmp_path))
    assert output.read_manifest() is None
    (tmp_path / "_manifest.json").mkdir()
    with pytest.raises(OutputError) as caught:
        output.read_manifest()
    assert str(caught.value).startswith(f"output {tmp_path}: ")
