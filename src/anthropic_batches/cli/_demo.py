"""`demo`: the sample job, run against the emulator served on loopback. No key, no network."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from importlib.resources import as_file, files
from pathlib import Path

from rich.markup import escape

from .._usage import DEFAULT_PRICES
from ..emulator import EmulatorServer, ResponderError, ResponderOutput, ResponderRequest
from ..emulator import default_responder as _default
from ._common import Settings
from ._run import run_job

#: Small enough that the sample's 36 requests make three batches, to show the splitting.
DEMO_MAX_REQUESTS = 15


def known_model(model: object) -> bool:
    """Whether the demo's emulator knows the model: one with a price."""
    return isinstance(model, str) and any(model.startswith(p) for p in DEFAULT_PRICES)


def demo_responder(request: ResponderRequest) -> ResponderOutput:
    """The emulator's default answers, but a model with no known price is "not found", as
    the API answers for a model that does not exist (the sample has a few on purpose)."""
    model = request.params.get("model", "")
    if not known_model(model):
        return ResponderError("not_found_error", f"model: {model}")
    return _default(request)


def unknown_model_requests(sample: Path) -> int:
    """How many of the sample's requests ask for a model that does not exist."""
    with sample.open(encoding="utf-8") as f:
        return sum(not known_model(json.loads(line)["params"].get("model")) for line in f)


async def run_demo(settings: Settings, output: Path | None) -> int:
    """Serve the emulator, run the sample job through it, print the summary."""
    if output is None:
        output = Path(tempfile.mkdtemp(prefix="anthropic-batches-demo-")) / "results.jsonl"
    state = output.with_name(output.name + ".state.json")
    state.unlink(missing_ok=True)
    async with EmulatorServer(process_seconds=1.0, responder=demo_responder) as server:
        local = dataclasses.replace(
            settings, api_key="demo-key", base_url=server.base_url, argv=["demo"]
        )
        local.info(f"emulator serving on {server.base_url} (local, no key, no network)")
        with as_file(files("anthropic_batches") / "data" / "sample_requests.jsonl") as sample:
            local.info(f"running the sample job: {escape(str(sample))}")
            code = await run_job(
                local,
                sample,
                str(output),
                state,
                max_requests=DEMO_MAX_REQUESTS,
                max_bytes=256_000_000,
                poll_interval=0.25,
                timeout=120.0,
                cancel_on_interrupt=True,
            )
            unknown = unknown_model_requests(sample)
    if code == 0 and unknown:
        settings.info(
            f"(the sample asks for a model that does not exist in {unknown} requests, on "
            "purpose: they are the not_found_error failures, to show how failures are reported)"
        )
    return code
