"""The PostgreSQL job store against a real server: schema, races, leases, refusals."""

from __future__ import annotations

import threading
import time

import pytest
from cli_helpers import request
from helpers import hide_module
from postgres_cluster import PostgresCluster

from anthropic_batches._split import split_requests
from anthropic_batches._state import JobState
from anthropic_batches._stores import (
    SCHEMA_VERSION,
    JobStoreError,
    LeaseLost,
    PostgresStore,
    open_store,
)


def _state(n: int = 6, per_part: int = 2) -> JobState:
    requests = [request(f"r{i}", f"hi {i}") for i in range(n)]
    parts = split_requests(requests, max_requests=per_part)
    state = JobState.for_parts(parts, "2023-06-01", base_url="http://x", key_fingerprint="k")
    state.source = "/data/requests.jsonl"
    state.source_size = 1234
    return state


def test_schema_created_once_and_versioned(pg_url: str, postgres_cluster: PostgresCluster) -> None:
    with PostgresStore(pg_url), PostgresStore(pg_url):
        pass
    db = pg_url.rsplit("/", 1)[1]
    assert postgres_cluster.psql("SELECT version FROM anthropic_batches_schema", db) == repr(
        [(SCHEMA_VERSION,)]
    )
    tables = postgres_cluster.psql(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'anthropic_batches_%' "
        "ORDER BY tablename",
        db,
    )
    assert "anthropic_batches_jobs" in tables and "anthropic_batches_parts" in tables


def test_a_newer_schema_is_refused(pg_url: str, postgres_cluster: PostgresCluster) -> None:
    PostgresStore(pg_url).close()
    db = pg_url.rsplit("/", 1)[1]
    postgres_cluster.psql(f"UPDATE anthropic_batches_schema SET version = {SCHEMA_VERSION + 1}", db)
    with pytest.raises(JobStoreError) as caught:
        PostgresStore(pg_url)
    message = str(caught.value)
    assert "upgrade anthropic-batches" in message and "\n" not in message
    assert message.startswith(pg_url)


def test_a_job_round_trips(pg_url: str) -> None:
    state = _state()
    with open_store(pg_url) as store:
        assert store.load("j") is None
        stored = store.create("j", state)
        assert stored.digest == state.digest and stored.source_size == 1234
        assert [p.digest for p in stored.parts] == [p.digest for p in state.parts]
        assert [(p.first_line, p.last_line, p.size) for p in stored.parts] == [
            (p.first_line, p.last_line, p.size) for p in state.parts
        ]
        [summary] = store.jobs()
        assert (summary.name, summary.parts, summary.downloaded, summary.requests) == ("j", 3, 0, 6)


def test_two_stores_racing_to_create_one_job_agree(pg_url: str) -> None:
    states = [_state(6, 2), _state(6, 3)]  # two different plans under one name
    results: list[JobState] = []
    barrier = threading.Barrier(2)

    def create(state: JobState) -> None:
        with PostgresStore(pg_url) as store:
            barrier.wait()
            results.append(store.create("race", state))

    threads = [threading.Thread(target=create, args=(s,)) for s in states]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    assert results[0].digest == results[1].digest
    assert len(results[0].parts) == len(results[1].parts)


def test_leases_are_exclusive_expire_and_count_takeovers(pg_url: str) -> None:
    with PostgresStore(pg_url) as a, PostgresStore(pg_url) as b:
        a.create("j", _state())
        got_a = a.lease("j", "wa", 0.5, 2)
        got_b = b.lease("j", "wb", 30, 5)
        assert [p.index for p in got_a] == [0, 1]
        assert [p.index for p in got_b] == [2]  # only what a does not hold
        assert b.lease("j", "wb", 30, 5) == []
        time.sleep(0.7)  # a's leases expire
        taken = b.lease("j", "wb", 30, 5)
        assert [p.index for p in taken] == [0, 1]
        assert a.renew("j", "wa", 30, [0, 1]) == []
        [summary] = b.jobs()
        assert summary.takeovers == 2 and summary.leases == 3
        b.release("j", "wb", [0])
        assert [p.index for p in a.lease("j", "wa", 30, 5)] == [0]
        assert b.jobs()[0].takeovers == 2  # a released part is not taken over


def test_a_write_after_the_lease_is_lost_is_refused(pg_url: str) -> None:
    with PostgresStore(pg_url) as a, PostgresStore(pg_url) as b:
        a.create("j", _state())
        [part] = a.lease("j", "wa", 0.3, 1)
        part.submitting_at = "2026-01-01T00:00:00+00:00"
        a.save_part("j", part, worker="wa", ttl=0.3)  # held: written
        time.sleep(0.5)
        part.batch_id = "msgbatch_x"
        with pytest.raises(LeaseLost) as caught:
            a.save_part("j", part, worker="wa", ttl=0.3)
        assert "part 0" in str(caught.value) and "\n" not in str(caught.value)
        stored = b.load("j")
        assert stored is not None
        assert stored.parts[0].submitting_at == part.submitting_at
        assert stored.parts[0].batch_id is None


def test_a_downloaded_part_is_never_leased_again(pg_url: str) -> None:
    with PostgresStore(pg_url) as store:
        store.create("j", _state(2, 1))
        [part] = store.lease("j", "w", 30, 1)
        part.downloaded = True
        store.save_part("j", part, worker="w", ttl=30)
        store.release("j", "w", [part.index])
        assert [p.index for p in store.lease("j", "w2", 30, 5)] == [1]
        assert store.leases("j")[0][3] == "w"


def test_an_unreachable_server_is_one_line(postgres_cluster: PostgresCluster) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://postgres:secret@127.0.0.1:{port}/x"
    with pytest.raises(JobStoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "cannot connect" in message
    assert "secret" not in message and f"127.0.0.1:{port}" in message


def test_a_wrong_password_is_one_line(postgres_cluster: PostgresCluster) -> None:
    postgres_cluster.psql("DROP ROLE IF EXISTS walter")
    postgres_cluster.psql("CREATE ROLE walter LOGIN PASSWORD 'right'")
    hba = f"{postgres_cluster.folder}/data/pg_hba.conf"
    # Only this role is asked for a password; the rest of the tests keep trust.
    with open(hba) as f:
        text = f.read()
    if "walter" not in text:
        with open(hba, "w") as f:
            f.write("host all walter 127.0.0.1/32 scram-sha-256\n" + text)
        postgres_cluster.psql("SELECT pg_reload_conf()")
    url = f"postgresql://walter:wrong@127.0.0.1:{postgres_cluster.port}/postgres"
    with pytest.raises(JobStoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "password" in message and "wrong" not in message


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(JobStoreError, match="not a job store URL"):
        open_store("mysql://x/y")


def test_a_whole_state_saved_is_what_a_later_load_reads(pg_url: str) -> None:
    with open_store(pg_url) as store:
        state = store.create("j", _state())
        state.parts[2].batch_id, state.parts[2].downloaded = "msgbatch_2", True
        store.save("j", state)
        assert store.renew("j", "w", 30, []) == []  # nothing held: no call
        store.release("j", "w", [])
    with open_store(pg_url) as store:
        loaded = store.load("j")
        assert loaded is not None
        assert [(p.batch_id, p.downloaded) for p in loaded.parts] == [
            (None, False),
            (None, False),
            ("msgbatch_2", True),
        ]
        with pytest.raises(JobStoreError, match="no job 'other' with a part 0"):
            store.save_part("other", loaded.parts[0])


def test_a_connection_lost_mid_job_is_one_line_saying_to_run_again(
    pg_url: str, postgres_cluster: PostgresCluster
) -> None:
    db = pg_url.rsplit("/", 1)[1]
    with open_store(pg_url) as store:
        store.create("j", _state())
        postgres_cluster.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        )
        with pytest.raises(JobStoreError) as caught:
            store.load("j")
    message = str(caught.value)
    assert "the job store's connection failed" in message and message.endswith("; run again")
    assert "\n" not in message


def test_without_psycopg_the_store_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_module(monkeypatch, "psycopg")
    with pytest.raises(JobStoreError) as caught:
        open_store("postgresql://u:pw@127.0.0.1/db")
    assert "pip install 'anthropic-batches[postgres]'" in str(caught.value)
    assert "pw" not in str(caught.value)
