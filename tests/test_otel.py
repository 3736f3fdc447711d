"""OpenTelemetry spans of every call, read back from the OpenTelemetry SDK's in-memory
exporter; and nothing of OpenTelemetry imported when it is not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers import BASE, KEY, batch_json, result_line

from anthropic_batches import AsyncClient, Client, NotFoundError

trace = pytest.importorskip("opentelemetry.trace")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
export = pytest.importorskip("opentelemetry.sdk.trace.export")
in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")


@pytest.fixture
def spans() -> Iterator[Any]:
    """An in-memory exporter fed by a tracer provider of the test's own."""
    exporter = in_memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    exporter.provider = provider  # what the clients of the test send their spans to
    yield exporter
    provider.shutdown()


def client_of(handler: Any, exporter: Any) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(api_key=KEY, base_url=BASE, http_client=http, tracer_provider=exporter.provider)


def by_name(exporter: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for span in exporter.get_finished_spans():
        found.setdefault(span.name, []).append(span)
    return found


def test_each_call_is_a_span_named_as_the_official_sdk_names_it(spans: Any) -> None:
    answers = iter([429, 200, 200, 200, 200, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"request-id": f"req_{request.method}", "retry-after": "0"}
        if request.url.path.endswith("/batches") and request.method == "POST":
            return httpx.Response(200, json=batch_json("msgbatch_new"), headers=headers)
        if request.url.path.endswith("/batches"):
            page = {"data": [batch_json()], "has_more": False}
            return httpx.Response(200, json=page, headers=headers)
        if request.method == "DELETE":
            return httpx.Response(200, json={"id": "msgbatch_01", "type": "message_batch_deleted"})
        return httpx.Response(next(answers), json=batch_json(), headers=headers)

    request = {
        "custom_id": "a",
        "params": {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    }
    with client_of(handler, spans) as client:
        client.messages.batches.create([request])
        client.messages.batches.retrieve("msgbatch_01")
        list(client.messages.batches.list())
        client.messages.batches.cancel("msgbatch_01")
        client.messages.batches.delete("msgbatch_01")
    found = by_name(spans)
    assert sorted(found) == [
        "anthropic.messages.batches.cancel",
        "anthropic.messages.batches.create",
        "anthropic.messages.batches.delete",
        "anthropic.messages.batches.list",
        "anthropic.messages.batches.retrieve",
    ]
    [create] = found["anthropic.messages.batches.create"]
    assert create.kind == trace.SpanKind.CLIENT
    assert create.attributes["anthropic.message.batch.id"] == "msgbatch_new"
    assert create.attributes["http.request.method"] == "POST"
    assert create.attributes["anthropic.request.id"] == "req_POST"
    assert create.instrumentation_scope.name == "anthropic_batches"
    [retrieve] = found["anthropic.messages.batches.retrieve"]
    attributes = dict(retrieve.attributes)
    assert attributes["anthropic.message.batch.id"] == "msgbatch_01"
    assert attributes["http.response.status_code"] == 200
    assert attributes["http.request.resend_count"] == 1  # the 429 was retried once
    assert attributes["server.address"] == "api.example.test"
    assert (
        "http.request.resend_count" not in found["anthropic.messages.batches.cancel"][0].attributes
    )


def test_an_error_ends_its_span_as_an_error(spans: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"type": "error", "error": {"type": "not_found_error", "message": "no"}}
        return httpx.Response(404, json=body, headers={"request-id": "req_404"})

    with client_of(handler, spans) as client, pytest.raises(NotFoundError):
        client.messages.batches.retrieve("msgbatch_gone")
    [span] = spans.get_finished_spans()
    assert span.status.status_code == trace.StatusCode.ERROR
    assert span.attributes["error.type"] == "NotFoundError"
    assert span.attributes["http.response.status_code"] == 404
    assert span.attributes["anthropic.request.id"] == "req_404"


def test_a_wait_and_a_download_are_spans_around_their_calls(spans: Any) -> None:
    polls = iter(["in_progress", "ended"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/results"):
            return httpx.Response(200, content=b"\n".join(result_line(c) for c in "abc"))
        status = next(polls)
        url = f"{BASE}/v1/messages/batches/msgbatch_01/results" if status == "ended" else None
        return httpx.Response(200, json=batch_json(status=status, results_url=url))

    with client_of(handler, spans) as client:
        batch = client.messages.batches.wait("msgbatch_01", poll_interval=0.01)
        with client.messages.batches.results(batch) as results:
            assert [r.custom_id for r in results] == ["a", "b", "c"]
    found = by_name(spans)
    [wait] = found["anthropic_batches.wait"]
    polled = found["anthropic.messages.batches.retrieve"]
    assert len(polled) == 2
    assert all(p.parent is not None and p.parent.span_id == wait.context.span_id for p in polled)
    assert wait.attributes["anthropic_batches.batch.status"] == "ended"
    [download] = found["anthropic_batches.results"]
    assert download.attributes["anthropic_batches.results.lines"] == 3
    assert download.attributes["anthropic.message.batch.id"] == "msgbatch_01"
    assert download.status.status_code != trace.StatusCode.ERROR
    [call] = found["anthropic.messages.batches.results"]
    assert call.attributes["http.response.status_code"] == 200


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_importing_the_package_imports_nothing_of_opentelemetry() -> None:
    code = """
        import sys
        import anthropic_batches
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
    """
    assert run_python(code) == "[]"


def test_without_opentelemetry_calls_work_and_import_nothing() -> None:
    code = """
        import sys
        sys.modules["opentelemetry"] = None  # as if it were not installed
        import httpx
        from anthropic_batches import Client

        def handler(request):
            return httpx.Response(200, json={"data": [], "has_more": False})

        http = httpx.Client(transport=httpx.MockTransport(handler))
        with Client(api_key="k", base_url="https://x.test", http_client=http) as client:
            print(client.messages.batches.list().data)
        print([m for m in sys.modules if m.startswith("opentelemetry.")])
    """
    assert run_python(code).splitlines() == ["[]", "[]"]


async def test_under_asyncio_a_waits_polls_are_its_children(spans: Any) -> None:
    polls = iter(["in_progress", "ended"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=batch_json(status=next(polls)))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncClient(
        api_key=KEY, base_url=BASE, http_client=http, tracer_provider=spans.provider
    )
    async with http, client:
        await client.messages.batches.wait("msgbatch_01", poll_interval=0.01)
    found = by_name(spans)
    [wait] = found["anthropic_batches.wait"]
    assert [p.parent.span_id for p in found["anthropic.messages.batches.retrieve"]] == [
        wait.context.span_id
    ] * 2


def test_a_jobs_steps_are_spans(spans: Any, tmp_path: Any) -> None:
    """Each part's submit and download, and the wait for all parts, are spans of their own
    around the calls they make."""
    from anthropic_batches import Job
    from anthropic_batches.emulator import Emulator, EmulatorTransport, create_app

    emulator = Emulator(process_seconds=0)
    http = httpx.Client(transport=EmulatorTransport(create_app(emulator)))
    client = Client(api_key=KEY, base_url=BASE, http_client=http, tracer_provider=spans.provider)
    requests = [
        {
            "custom_id": f"r{i}",
            "params": {
                "model": "claude-opus-5",
                "max_tokens": 8,
                "messages": [{"role": "user", "content": "hi"}],
            },
        }
        for i in range(4)
    ]
    job = Job(client, requests, max_requests=2, poll_interval=0.01)
    assert len(list(job.results())) == 4
    found = by_name(spans)
    submits = found["anthropic_batches.job.submit_part"]
    downloads = found["anthropic_batches.job.download_part"]
    assert [s.attributes["anthropic_batches.job.part"] for s in submits] == [0, 1]
    assert [s.attributes["anthropic_batches.job.part"] for s in downloads] == [0, 1]
    assert {s.attributes["anthropic.message.batch.id"] for s in submits} == set(job.batch_ids)
    assert len(found["anthropic_batches.job.wait"]) == 1
    # The calls of a part's submit are its children.
    creates = found["anthropic.messages.batches.create"]
    assert {c.parent.span_id for c in creates} == {s.context.span_id for s in submits}
    # A part created already is answered from the state: no call, and no span.
    assert job.submit_part(0) == job.batch_ids[0]
    assert len(by_name(spans)["anthropic_batches.job.submit_part"]) == 2
