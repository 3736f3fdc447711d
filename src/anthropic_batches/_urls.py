"""Files named by URL: local paths, `file://`, and any filesystem fsspec knows (`s3://`,
`gs://`, `az://`, ...).

A local path (or `file://` URL) is read and written with plain file calls, so it needs no
extra and keeps the speed of the local code; anything else goes through fsspec
(https://filesystem-spec.readthedocs.io/), an optional extra, with the protocol's own package
(s3fs for `s3://`, gcsfs for `gs://`, ...). Credentials and endpoints come from where that
package reads them (for s3fs, botocore's environment variables and config files:
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`, ...) plus `storage_options`.

A failure becomes `StorageError`: one line saying what is wrong and what to do, which the
input and output code turn into their own errors naming the URL.

`LocalFolder` and `RemoteFolder` are the two kinds of folder a job's output is written to,
an object at a time: each stores a finished local spool file as one whole object.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, BinaryIO

__all__ = [
    "LocalFolder",
    "RemoteFolder",
    "StorageError",
    "filesystem",
    "is_url",
    "local_path",
    "open_input",
    "read_range",
    "reason",
    "size",
]

#: A URL's scheme and `://`. One letter is a Windows drive (`C://...`), not a scheme.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")

#: The extra that brings a protocol's package, where this package has one for it.
_EXTRAS = {"s3": "s3", "s3a": "s3"}

#: The fsspec package of a protocol (its known implementations), named when it is missing.
_PACKAGES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
}


class StorageError(Exception):
    """A file or object that cannot be reached, read or written: `str()` is one line."""


def is_url(text: str) -> bool:
    """Whether `text` is a URL (`scheme://...`, `file://` included) rather than a local path."""
    return _SCHEME.match(text) is not None


def protocol(url: str) -> str:
    """The URL's scheme, lower-cased; `""` for a local path."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def local_path(url: str) -> str | None:
    """The local path a local path or `file://` URL names; `None` for any other URL."""
    if not is_url(url):
        return url
    if protocol(url) != "file":
        return None
    parsed = urllib.parse.urlsplit(url)
    if parsed.netloc not in ("", "localhost"):
        return None
    return urllib.request.url2pathname(parsed.path)


def _missing(url: str, name: str | None) -> StorageError:
    scheme = protocol(url)
    package = _PACKAGES.get(scheme)
    if scheme in _EXTRAS:
        what = f"anthropic-batches[{_EXTRAS[scheme]}]"
    else:
        what = "anthropic-batches[objects]" + (f" and {package}" if package else "")
    needed = name or package or "its fsspec package"
    return StorageError(f"{scheme}:// URLs need {needed}: install {what}")


def filesystem(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem of `url` and the path within it (`fsspec.core.url_to_fs`).

    Raises:
        StorageError: fsspec, or the protocol's package, is not installed, or the protocol
            is unknown.
    """
    try:
        import fsspec.core
    except ImportError:
        raise _missing(url, "fsspec") from None
    try:
        fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as exc:
        raise _missing(url, getattr(exc, "name", None)) from None
    except ValueError as exc:
        if "Protocol not known" in str(exc):
            raise StorageError(f"unknown protocol {protocol(url)}://") from None
        raise StorageError(reason(exc)) from None
    return fs, str(path)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reason(exc: BaseException) -> str:
    """What an error of a filesystem means for the user, in one line, with what to do."""
    if isinstance(exc, StorageError):
        return str(exc)
    detail = _one_line(str(exc) or type(exc).__name__)
    if isinstance(exc, FileNotFoundError):
        return f"not found ({detail}); check the URL, and that its bucket or folder exists"
    if isinstance(exc, PermissionError) or _named(exc, "NoCredentialsError"):
        return (
            f"access denied ({detail}); check the credentials (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY for s3://, or storage_options) and the permissions"
        )
    if _unreachable(exc):
        return (
            f"the storage cannot be reached ({detail}); check the endpoint "
            "(AWS_ENDPOINT_URL for s3://, or storage_options) and the network"
        )
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return _one_line(f"{exc.strerror}{where}")
    return detail


def _named(exc: BaseException, *names: str) -> bool:
    """Whether the error is of a class of one of these names (botocore's and aiohttp's
    errors, checked without importing them)."""
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def _unreachable(exc: BaseException) -> bool:
    """A connection that failed (botocore's and aiohttp's errors are not `OSError`s)."""
    markers = ("EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError")
    return isinstance(exc, ConnectionError | TimeoutError) or _named(exc, *markers)


def size(url: str, storage_options: Mapping[str, Any] | None = None) -> int:
    """The size of a file or object in bytes.

    Raises:
        StorageError: It cannot be reached.
    """
    fs, path = filesystem(url, storage_options)
    try:
        return int(fs.size(path))
    except Exception as exc:
        raise StorageError(reason(exc)) from None


def read_range(
    url: str, start: int, end: int, storage_options: Mapping[str, Any] | None = None
) -> bytes:
    """Bytes `start` to `end` (exclusive) of a file or object, in one ranged read.

    Raises:
        StorageError: It cannot be read.
    """
    fs, path = filesystem(url, storage_options)
    try:
        return bytes(fs.cat_file(path, start=start, end=end))
    except Exception as exc:
        raise StorageError(reason(exc)) from None


def open_input(url: str, storage_options: Mapping[str, Any] | None = None) -> BinaryIO:
    """A file or object opened for a streaming read (the caller closes it).

    Raises:
        StorageError: It cannot be opened.
    """
    fs, path = filesystem(url, storage_options)
    try:
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    except Exception as exc:
        raise StorageError(reason(exc)) from None


# -- folders of objects, written whole ---------------------------------------------------

#: Protocols of object stores: a "folder" there is a key prefix, created by writing under it
#: (making one would create a bucket).
_OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss"})


def _fsync_directory(directory: str) -> None:
    with contextlib.suppress(OSError):  # not every platform opens directories
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class LocalFolder:
    """A folder on a local disk."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def prepare(self) -> None:
        os.makedirs(self.directory, exist_ok=True)

    def spool_dir(self) -> str:
        """Where spools are made: beside the objects, so a commit is a rename."""
        self.prepare()
        return self.directory

    def exists(self, name: str) -> bool:
        return os.path.exists(self.path(name))

    def read(self, name: str) -> bytes | None:
        try:
            with open(self.path(name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def put(self, spool: str, name: str) -> None:
        """Store a finished spool (in `spool_dir()`) as `name`, and remove the spool."""
        with open(spool, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(spool, self.path(name))
        _fsync_directory(self.directory)

    def open_read(self, name: str) -> BinaryIO:
        return open(self.path(name), "rb")

    def touch(self, name: str) -> None:
        """Write an empty object (a probe)."""
        with open(self.path(name), "xb"):
            pass

    def remove(self, name: str) -> None:
        os.unlink(self.path(name))


#: How a large object is uploaded, where the filesystem lets it be said (s3fs): in pieces
#: of 16 MiB, two at a time, so an upload holds about 32 MiB, not s3fs's default of ten
#: pieces of 50 MiB (https://s3fs.readthedocs.io/en/latest/api.html).
_UPLOAD = {"chunksize": 16 << 20, "max_concurrency": 2}


def _upload_options(fs: Any) -> dict[str, int]:
    try:
        parameters = inspect.signature(fs._put_file).parameters
    except (AttributeError, TypeError, ValueError):
        return {}
    return {name: value for name, value in _UPLOAD.items() if name in parameters}


class RemoteFolder:
    """A folder of an fsspec filesystem (a key prefix of an object store)."""

    def __init__(self, url: str, storage_options: Mapping[str, Any]) -> None:
        self.fs, root = filesystem(url, storage_options)
        self.root = root.rstrip("/")
        self.folders = protocol(url) not in _OBJECT_STORES
        self.upload = _upload_options(self.fs)

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def prepare(self) -> None:
        if self.folders:
            self.fs.makedirs(self.root, exist_ok=True)

    def spool_dir(self) -> str | None:
        return None

    def exists(self, name: str) -> bool:
        # Asked of the store, not of a listing cached by this process: another worker may
        # have written the object since.
        self.fs.invalidate_cache(self.path(name))
        return bool(self.fs.exists(self.path(name)))

    def read(self, name: str) -> bytes | None:
        try:
            return bytes(self.fs.cat_file(self.path(name)))
        except FileNotFoundError:
            return None

    def put(self, spool: str, name: str) -> None:
        try:
            self.fs.put_file(spool, self.path(name), **self.upload)
        finally:
            os.unlink(spool)

    def open_read(self, name: str) -> BinaryIO:
        return self.fs.open(self.path(name), "rb")  # type: ignore[no-any-return]

    def touch(self, name: str) -> None:
        """Write an empty object (a probe)."""
        self.fs.pipe_file(self.path(name), b"")

    def remove(self, name: str) -> None:
        self.fs.rm_file(self.path(name))
