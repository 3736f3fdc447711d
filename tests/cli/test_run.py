"""`anthropic-batches run`: results, summary, bad input files, resume without duplicates."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import KEY, Ran, request, write_requests

from anthropic_batches import BatchResult
from anthropic_batches._async.jobs import AsyncJob
from anthropic_batches._split import JobPart
from anthropic_batches.cli._run import OutputWriter
from anthropic_batches.emulator import Emulator, ManualClock


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_splits_writes_every_result_and_summarizes(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    reqs = [request(f"r{i:02d}") for i in range(11)] + [request("fail-1")]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    out = tmp_path / "out.jsonl"
    ran = cli("run", str(src), "-o", str(out), "--max-requests", "5", "--poll-interval", "0.01")
    assert ran.code == 0, ran.err
    got = lines(out)
    assert sorted(r["custom_id"] for r in got) == sorted(r["custom_id"] for r in reqs)
    assert emulator.stats.create_calls == 3
    assert "Results: 11 succeeded, 1 errored" in ran.err
    assert "invalid_request_error x1" in ran.err
    assert "Estimated cost: $" in ran.err
    assert ran.out == ""
    assert (tmp_path / "out.jsonl.state.json").exists()


def test_results_to_stdout_and_quiet(cli: Callable[..., Ran], tmp_path: Path) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a"), request("b")])
    ran = cli("run", str(src), "-o", "-", "--poll-interval", "0.01", "-q")
    assert ran.code == 0
    assert ran.err == ""
    assert sorted(json.loads(line)["custom_id"] for line in ran.out.splitlines()) == ["a", "b"]


def test_bad_input_file_is_reported_by_line_and_nothing_is_sent(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(
        json.dumps(request("a"))
        + "\n{oops\n"
        + json.dumps({"custom_id": "b"})
        + "\n"
        + json.dumps(request("a"))
        + "\n"
        + json.dumps(request("has space"))
        + "\n"
    )
    ran = cli("run", str(src), "-o", str(tmp_path / "out.jsonl"))
    assert ran.code == 3
    assert f"{src}:2: invalid JSON" in ran.err
    assert f"{src}:3: missing field 'params'" in ran.err
    assert f"{src}:4: duplicate custom_id 'a' (first used on line 1)" in ran.err
    assert f"{src}:5: custom_id 'has space'" in ran.err
    assert "Traceback" not in ran.err
    assert emulator.stats.requests == 0
    assert not (tmp_path / "out.jsonl").exists()


def test_missing_input_file_and_output_directory(cli: Callable[..., Ran], tmp_path: Path) -> None:
    ran = cli("run", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert ran.code == 3
    assert "cannot read" in ran.err
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    ran = cli("run", str(src), "-o", str(tmp_path / "no" / "dir" / "out.jsonl"))
    assert ran.code == 2
    assert "directory does not exist" in ran.err


def test_no_api_key_is_a_usage_error(cli: Callable[..., Ran], tmp_path: Path) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    ran = cli("run", str(src), "-o", str(tmp_path / "o.jsonl"), auth=False)
    assert ran.code == 2
    assert "ANTHROPIC_API_KEY" in ran.err


def test_rerun_after_an_interrupted_run_submits_nothing_twice(
    cli: Callable[..., Ran], emulator: Emulator, clock: ManualClock, tmp_path: Path
) -> None:
    reqs = [request(f"r{i}") for i in range(7)]
    src = write_requests(tmp_path / "in.jsonl", reqs)
    out = tmp_path / "out.jsonl"
    args = ("run", str(src), "-o", str(out), "--max-requests", "3", "--poll-interval", "0.01")
    emulator.process_seconds = 50_000
    first = cli(*args, "--timeout", "0.2")
    assert first.code == 4
    assert emulator.stats.create_calls == 3
    clock.advance(60_000)  # ended, well before the 24 h expiry
    second = cli(*args)
    assert second.code == 0, second.err
    assert "resuming" in second.err
    assert emulator.stats.create_calls == 3
    assert sorted(r["custom_id"] for r in lines(out)) == [f"r{i}" for i in range(7)]
    downloads = emulator.stats.results_downloads
    third = cli(*args)
    assert third.code == 0
    assert emulator.stats.create_calls == 3
    assert emulator.stats.results_downloads == downloads
    assert len(lines(out)) == 7
    assert "Results: 7 succeeded" in third.err


def test_partial_output_is_truncated_to_the_size_an_earlier_version_recorded(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    """Earlier versions kept the output's size in the state file (`output_bytes`)."""
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(6)])
    out = tmp_path / "out.jsonl"
    args = ("run", str(src), "-o", str(out), "--max-requests", "3", "--poll-interval", "0.01")
    assert cli(*args).code == 0
    assert not (tmp_path / "out.jsonl.partial.record").exists()  # gone with the partial file
    state_path = tmp_path / "out.jsonl.state.json"
    state = json.loads(state_path.read_text())
    # As if the run had stopped while writing the second batch's results.
    state["parts"][1]["downloaded"] = False
    first_size = len("".join(line + "\n" for line in out.read_text().splitlines()[:3]))
    state["output_bytes"] = first_size
    state_path.write_text(json.dumps(state))
    with out.open("ab") as f:
        f.write(b'{"custom_id": "torn')
    again = cli(*args)
    assert again.code == 0
    assert sorted(r["custom_id"] for r in lines(out)) == [f"r{i}" for i in range(6)]
    assert emulator.stats.create_calls == 2
    assert "downloading every batch again" not in again.err


def test_a_part_written_but_not_yet_counted_by_the_state_is_cut_off_and_downloaded_again(
    cli: Callable[..., Ran],
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run that stops after writing a part's results (and recording the output's size)
    but before the state marks the part downloaded: the re-run writes that part once."""
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(9)])
    out = tmp_path / "out.jsonl"
    args = ("run", str(src), "-o", str(out), "--max-requests", "3", "--poll-interval", "0.01")
    part_done = OutputWriter.part_done

    def then_stop(writer: OutputWriter, part: JobPart) -> None:
        part_done(writer, part)
        if part.index == 1:
            raise OSError("stopped before the state is saved")

    monkeypatch.setattr(OutputWriter, "part_done", then_stop)
    assert cli(*args).code == 1
    partial = tmp_path / "out.jsonl.partial"
    assert len(lines(partial)) == 6
    saved = json.loads((tmp_path / "out.jsonl.state.json").read_text())
    assert [p["downloaded"] for p in saved["parts"]] == [True, False, False]
    monkeypatch.undo()
    downloads = emulator.stats.results_downloads
    again = cli(*args)
    assert again.code == 0, again.err
    assert "downloading every batch again" not in again.err
    assert emulator.stats.results_downloads == downloads + 2
    written = [str(r["custom_id"]) for r in lines(out)]
    assert sorted(written) == [f"r{i}" for i in range(9)]  # each once
    assert not partial.exists() and not (tmp_path / "out.jsonl.partial.record").exists()


def test_the_output_appears_only_once_every_result_is_in_it(
    cli: Callable[..., Ran],
    emulator: Emulator,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a run that died while downloading left the output file
    half-written, with a torn last line and only some of the results."""
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(6)])
    out = tmp_path / "out.jsonl"
    out.write_text("an earlier output\n")
    args = ("run", str(src), "-o", str(out), "--max-requests", "3", "--poll-interval", "0.01")
    expect, part_done = OutputWriter.expect, OutputWriter.part_done

    def all_ended(writer: OutputWriter, parts: Sequence[JobPart]) -> None:
        clock.advance(60)  # both batches end before the first poll: read one after the other
        expect(writer, parts)

    def then_fail(writer: OutputWriter, part: JobPart) -> None:
        part_done(writer, part)
        emulator.fault_rate = 1.0  # every request from now on fails

    monkeypatch.setattr(OutputWriter, "expect", all_ended)
    monkeypatch.setattr(OutputWriter, "part_done", then_fail)
    failed = cli(*args)
    assert failed.code == 1
    assert out.read_text() == "an earlier output\n"
    partial = tmp_path / "out.jsonl.partial"
    assert len(lines(partial)) == 3  # the first batch, whole
    monkeypatch.undo()
    emulator.fault_rate = 0.0
    again = cli(*args)
    assert again.code == 0, again.err
    assert sorted(r["custom_id"] for r in lines(out)) == [f"r{i}" for i in range(6)]
    assert not partial.exists()
    assert emulator.stats.create_calls == 2
    assert "downloading every batch again" not in again.err


def test_a_device_as_the_output_is_written_directly(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    ran = cli(
        "run",
        str(src),
        "-o",
        "/dev/null",
        "--state",
        str(tmp_path / "s.json"),
        "--poll-interval",
        "0.01",
    )
    assert ran.code == 0, ran.err
    assert "Results: 1 succeeded" in ran.err


def test_different_input_with_the_same_state_is_refused(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    src = write_requests(tmp_path / "in.jsonl", [request("a"), request("b")])
    assert cli("run", str(src), "-o", str(out), "--poll-interval", "0.01").code == 0
    write_requests(src, [request("a"), request("b", "changed")])
    ran = cli("run", str(src), "-o", str(out))
    assert ran.code == 3
    assert "different job" in ran.err
    assert emulator.stats.create_calls == 1


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cancel_on_interrupt_goes_on_past_a_batch_that_ended_during_the_interrupt(
    cli: Callable[..., Ran],
    emulator: Emulator,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a batch that ended after the last poll made the API refuse its cancel
    (400), and `--cancel-on-interrupt` stopped there with an error, leaving the other
    batches running and billed."""
    src = write_requests(tmp_path / "in.jsonl", [request("a"), request("b")])
    out = tmp_path / "out.jsonl"
    emulator.process_seconds = 1000

    async def interrupted_results(
        job: AsyncJob, *, include_downloaded: bool = False, timeout: float | None = None
    ) -> AsyncIterator[BatchResult]:
        # The first batch has been created at least one request (5 s) before the second:
        # stop the clock where the first has just ended and the second has not.
        clock.tick = 0
        first, second = (emulator.get(KEY, i or "", clock.now()) for i in job.batch_ids)
        assert first.created_at < second.created_at
        clock.advance(first.created_at + emulator.process_seconds - clock.now())
        signal.raise_signal(signal.SIGINT)  # Ctrl-C
        await asyncio.sleep(30)
        none: tuple[BatchResult, ...] = ()
        for result in none:  # pragma: no cover (an async generator, as results() is)
            yield result

    monkeypatch.setattr(AsyncJob, "results", interrupted_results)
    args = ("run", str(src), "-o", str(out), "--max-requests", "1", "--cancel-on-interrupt")
    ran = cli(*args)
    assert ran.code == 130, ran.err
    ids = json.loads((tmp_path / "out.jsonl.state.json").read_text())["parts"]
    first_id, second_id = (p["batch_id"] for p in ids)
    assert f"canceled 1 batch(es): {second_id}" in ran.err
    assert "Traceback" not in ran.err
    assert [p["status"] for p in ids] == ["ended", "canceling"]
    assert emulator.get(KEY, first_id, clock.now()).cancel_at is None


def test_an_output_that_is_a_directory_is_refused_before_any_create(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    ran = cli("run", str(src), "-o", str(tmp_path), "--poll-interval", "0.01")
    assert ran.code != 0
    assert "is a directory" in ran.err
    assert emulator.stats.requests == 0
    assert emulator.stats.create_calls == 0
    assert list(tmp_path.iterdir()) == [src]  # and no state file


def test_a_state_file_in_a_missing_folder_is_refused_before_any_create(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    out = tmp_path / "out.jsonl"
    state = tmp_path / "nowhere" / "job.state.json"
    ran = cli("run", str(src), "-o", str(out), "--state", str(state))
    assert ran.code != 0
    assert "does not exist" in ran.err
    assert emulator.stats.requests == 0


def test_a_binary_input_is_refused_before_any_call(
    cli: Callable[..., Ran], emulator: Emulator, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\x00\x01\x02 not text\n")
    ran = cli("run", str(src), "-o", str(tmp_path / "out.jsonl"))
    assert ran.code != 0
    assert "not a text file" in ran.err
    assert emulator.stats.requests == 0


def test_a_run_refused_by_the_api_leaves_no_state_file(
    cli: Callable[..., Ran], emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    out = tmp_path / "out.jsonl"
    # The create is refused: the spend limit is reached (a 429 that no wait can fix).
    emulator.limits.spend_limit_requests = 0
    ran = cli("run", str(src), "-o", str(out))
    assert ran.code != 0
    assert emulator.stats.create_calls == 1
    assert emulator.stats.refused["spend_limit"] == 1
    assert not (tmp_path / "out.jsonl.state.json").exists()
    assert not out.exists()


def test_a_wrong_key_leaves_no_state_file(
    cli: Callable[..., Ran], server: Any, tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    out = tmp_path / "out.jsonl"
    ran = cli(
        "run",
        str(src),
        "-o",
        str(out),
        "--api-key",
        "sk-wrong",
        "--base-url",
        server.base_url,
        auth=False,
    )
    assert ran.code != 0
    assert "401" in ran.err or "authentication" in ran.err.lower()
    assert not (tmp_path / "out.jsonl.state.json").exists()


def test_a_run_with_a_connection_refused_leaves_no_state_file(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a")])
    out = tmp_path / "out.jsonl"
    argv = ["run", str(src), "-o", str(out), "--api-key", KEY]
    ran = cli(*argv, "--base-url", "http://127.0.0.1:9", auth=False)
    assert "onnect" in ran.err
    assert ran.code != 0, ran.err
    assert not (tmp_path / "out.jsonl.state.json").exists()


def test_resuming_with_another_key_is_refused_before_any_call_unless_finished(
    cli: Callable[..., Ran], emulator: Emulator, server: Any, tmp_path: Path
) -> None:
    src = write_requests(tmp_path / "in.jsonl", [request("a"), request("b")])
    out = tmp_path / "out.jsonl"
    state = tmp_path / "job.state.json"
    args = ["run", str(src), "-o", str(out), "--state", str(state), "--poll-interval", "0.01"]
    ran = cli(*args)
    assert ran.code == 0, ran.err
    saved = json.loads(state.read_text())
    assert saved["base_url"] == server.base_url
    assert KEY not in state.read_text()
    calls = emulator.stats.requests
    # Finished: its summary needs no call, under any key.
    other = [*args, "--api-key", "sk-other", "--base-url", server.base_url]
    ran = cli(*other, auth=False)
    assert ran.code == 0, ran.err
    assert "Job done" in ran.err
    assert emulator.stats.requests == calls
    # Unfinished: refused before any call, naming the other account.
    for part in saved["parts"]:
        part["downloaded"] = False
    state.write_text(json.dumps(saved))
    ran = cli(*other, auth=False)
    assert ran.code != 0
    assert "another account or server" in ran.err
    assert emulator.stats.requests == calls


def test_large_jobs_show_checking_and_uploading(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from anthropic_batches.cli import _display

    monkeypatch.setattr(_display, "LARGE_BYTES", 1)
    src = write_requests(tmp_path / "in.jsonl", [request(f"r{i}") for i in range(3)])
    ran = cli("run", str(src), "-o", str(tmp_path / "o.jsonl"), "--poll-interval", "0.01")
    assert ran.code == 0, ran.err
    assert f"checking {src}" in ran.err
    assert "checked 3 lines in" in ran.err
    assert "uploading part 1 of 1 (0.0 MB)" in ran.err
    assert "counts a batch's requests only when the whole batch ends" in ran.err
