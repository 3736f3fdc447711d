"""The fleet: an emulator on the wall clock over loopback, a throwaway PostgreSQL cluster,
and a requests file, for several workers on one job."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import S3, write_requests
from helpers import KEY
from postgres_cluster import PostgresCluster, postgres_cluster

from anthropic_batches.emulator import EmulatorServer

__all__ = [
    "fleet_server",
    "pg_url",
    "postgres_cluster",
    "requests_file",
    "s3",
]

_numbers = itertools.count()

#: How long the emulator takes to end a batch: short, so a job of a few parts takes seconds.
PROCESS_SECONDS = 0.6


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a new, empty database of the session's cluster."""
    return postgres_cluster.new_database(f"fleet_{next(_numbers)}")


@pytest.fixture
def fleet_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(api_keys=[KEY], process_seconds=PROCESS_SECONDS) as server:
        yield server


@pytest.fixture
def requests_file(tmp_path: Path) -> Path:
    return write_requests(tmp_path / "requests.jsonl", 24)


@pytest.fixture(scope="module")
def _moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(_moto: str) -> S3:
    import s3fs

    key, secret = "AKIAFLEETTESTS000000", "fleet-tests-secret"
    fs = s3fs.S3FileSystem(key=key, secret=secret, endpoint_url=_moto, skip_instance_cache=True)
    bucket = f"fleet-{secrets.token_hex(6)}"
    fs.mkdir(bucket)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": _moto,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return S3(fs, bucket, env)
