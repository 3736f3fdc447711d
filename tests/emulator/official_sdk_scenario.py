"""Run by the official-SDK tests in a subprocess: drives the emulator with the official
`anthropic` package found on the path (1.x or 2.x) and prints one JSON report.

Usage: python official_sdk_scenario.py BASE_URL API_KEY
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

import anthropic

if TYPE_CHECKING:
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming


def main(base_url: str, api_key: str) -> None:
    client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=0)
    params: MessageCreateParamsNonStreaming = {
        "model": "claude-opus-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hello, world"}],
    }
    created = client.messages.batches.create(
        requests=[
            {"custom_id": "first", "params": params},
            {"custom_id": "second", "params": {**params, "max_tokens": 0}},
        ]
    )
    report: dict[str, object] = {
        "sdk": anthropic.__version__,
        "created_status": created.processing_status,
        "created_processing": created.request_counts.processing,
    }
    doomed = client.messages.batches.create(requests=[{"custom_id": "x", "params": params}])
    canceled = client.messages.batches.cancel(doomed.id)
    report["cancel_status"] = canceled.processing_status
    report["cancel_initiated"] = canceled.cancel_initiated_at is not None

    deadline = time.monotonic() + 20
    batch = client.messages.batches.retrieve(created.id)
    while batch.processing_status != "ended" and time.monotonic() < deadline:
        time.sleep(0.1)
        batch = client.messages.batches.retrieve(created.id)
    report["ended"] = batch.processing_status == "ended"
    report["counts"] = batch.request_counts.model_dump()
    report["results_url"] = batch.results_url

    results: dict[str, str] = {}
    for entry in client.messages.batches.results(created.id):
        if entry.result.type == "succeeded":
            block = entry.result.message.content[0]
            results[entry.custom_id] = block.text if block.type == "text" else block.type
        elif entry.result.type == "errored":
            results[entry.custom_id] = "error:" + entry.result.error.error.type
        else:
            results[entry.custom_id] = entry.result.type
    report["results"] = results

    listed = [b.id for b in client.messages.batches.list(limit=1)]  # auto-paginates
    report["listed"] = listed
    report["list_order_ok"] = listed == [doomed.id, created.id]

    while client.messages.batches.retrieve(doomed.id).processing_status != "ended":
        time.sleep(0.1)
    deleted = client.messages.batches.delete(doomed.id)
    report["deleted"] = [deleted.id, deleted.type]
    try:
        client.messages.batches.retrieve(doomed.id)
    except anthropic.NotFoundError as exc:
        report["after_delete"] = [exc.status_code, exc.body["error"]["type"]]  # type: ignore[index]
    try:
        client.messages.batches.create(requests=[{"custom_id": "bad id!", "params": params}])
    except anthropic.BadRequestError as exc:
        report["bad_request"] = [exc.status_code, exc.request_id is not None]
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
