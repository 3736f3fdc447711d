"""S3 for the object-storage tests: moto's standalone server on loopback, reached through
s3fs with dummy credentials from the environment (as a user's would come)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from objects.s3server import RecordingMotoServer

KEY_ID = "AKIAOBJECTSTESTS0000"
SECRET = "objects-tests-secret-key"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[RecordingMotoServer]:
    """moto on 127.0.0.1 (a free port), with s3fs pointed at it through the environment:
    dummy credentials, the endpoint, no AWS config files."""
    server = RecordingMotoServer()
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
        env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ENDPOINT_URL_S3", f"http://{host}:{port}")
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield server
    server.stop()


@pytest.fixture
def s3(s3_server: RecordingMotoServer) -> Any:
    """The s3fs filesystem the package's URLs resolve to (the same cached instance)."""
    from anthropic_batches._urls import filesystem

    fs, _ = filesystem("s3://any")
    fs.invalidate_cache()
    return fs


@pytest.fixture
def bucket(s3: Any) -> str:
    """A new, empty bucket's name."""
    name = f"objects-{secrets.token_hex(6)}"
    s3.mkdir(name)
    return name
