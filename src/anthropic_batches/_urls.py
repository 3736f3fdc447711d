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
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, BinaryIO

__all__ = [
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

#: Protocols whose package fsspec names when it is missing (its known implementations).
_PACKAGES = {"gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}


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
    extra = _EXTRAS.get(scheme, "objects")
    what = f"anthropic-batches[{extra}]"
    package = _PACKAGES.get(scheme)
    if package and name != "fsspec":
        what += f" and {package}"
    return StorageError(f"{scheme}:// URLs need {name or 'a package'}: install {what}")


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
    if isinstance(exc, PermissionError):
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
        return _one_line(exc.strerror)
    return detail


def _unreachable(exc: BaseException) -> bool:
    """A connection that failed (botocore's and aiohttp's errors are not `OSError`s)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    markers = ("EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError")
    return isinstance(exc, ConnectionError | TimeoutError) or bool(names & set(markers))


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
