"""A job's output as a folder of objects: one per part, and a manifest.

```text
OUTPUT/part-00000.jsonl     the results of part 0 (or part-00000.parquet)
OUTPUT/part-00001.jsonl     ...
OUTPUT/_manifest.json       what the job wrote, rewritten whole as parts come in
OUTPUT/combined.jsonl       the parts in order, once all are in (on request)
```

OUTPUT is a local path, a `file://` URL or any fsspec URL (`_urls`). Each object is written
whole: the results are spooled to a local file, then stored in one step (a local file by a
temporary file, fsync and `os.replace`; an object store by one upload, which it makes visible
only once complete), so a part object is complete or absent, never half-written. A part
written twice (by a worker that died after writing it, before its state was saved) is
overwritten whole with the same results, never duplicated.

All methods block: call them from a worker thread in an event loop.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO, Literal, get_args

from ._exceptions import BatchesError
from ._models import BatchResult
from ._urls import LocalFolder, RemoteFolder, StorageError, local_path, reason

__all__ = ["OutputError", "OutputFormat", "PartWriter", "PartsOutput"]

OutputFormat = Literal["jsonl", "parquet"]
"""How a part's results are stored: JSON Lines as the API sent them, or Parquet."""

MANIFEST = "_manifest.json"


class OutputError(BatchesError):
    """An output that cannot be reached or written; one line naming it and what to do.

    Attributes:
        url: The output folder (path or URL).
        reason: What is wrong, and what to do.
    """

    url: str
    reason: str

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"output {url}: {reason}")


class PartsOutput:
    """A job's output folder: one object per part, `part-00000.jsonl` (or `.parquet`), and
    `_manifest.json`.

    Args:
        url: A local path, a `file://` URL, or any fsspec URL (`s3://bucket/prefix`,
            `gs://...`); fsspec URLs need the `objects` extra (`s3` for `s3://`).
        format: `"jsonl"` (the results as the API sent them) or `"parquet"` (one row per
            result, with columns for the text, usage and error; the `parquet` extra).
        storage_options: Passed to the fsspec filesystem (e.g. `{"endpoint_url": ...}`),
            besides what it reads from the environment.

    Raises:
        ValueError: An unknown format.
    """

    url: str
    format: str

    def __init__(
        self,
        url: str,
        *,
        format: OutputFormat = "jsonl",
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        if format not in get_args(OutputFormat):
            raise ValueError(f"format must be 'jsonl' or 'parquet', not {format!r}")
        self.url = os.fspath(url)
        self.format = format
        self.storage_options = dict(storage_options or {})
        self._place: LocalFolder | RemoteFolder | None = None

    def __repr__(self) -> str:
        return f"<PartsOutput {self.url!r} format={self.format!r}>"

    def _error(self, exc: BaseException) -> OutputError:
        return OutputError(self.url, reason(exc))

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        """Any failure of the storage inside the block as one `OutputError` naming it."""
        try:
            yield
        except OutputError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    @property
    def _target(self) -> LocalFolder | RemoteFolder:
        if self._place is None:
            path = local_path(self.url)
            try:
                self._place = (
                    LocalFolder(path)
                    if path is not None
                    else RemoteFolder(self.url, self.storage_options)
                )
            except StorageError as exc:
                raise self._error(exc) from None
        return self._place

    def check(self) -> None:
        """Check that the output can be written: reachable, the credentials good, a probe
        object written and removed; the `parquet` extra installed for Parquet.

        Raises:
            OutputError: It cannot be written (one line naming it and what to do).
        """
        if self.format == "parquet":
            from ._parquet import require_pyarrow

            with self._reaching():
                require_pyarrow()
        target = self._target
        probe = f".probe-{secrets.token_hex(8)}"
        with self._reaching():
            target.prepare()
            target.touch(probe)
            target.remove(probe)

    def part_name(self, index: int) -> str:
        """The object name of a part's results: `part-00000.jsonl` for part 0."""
        if index < 0:
            raise ValueError("a part index is not negative")
        return f"part-{index:05d}.{self.format}"

    def has_part(self, index: int) -> bool:
        """Whether a part's object is there (complete: objects are written whole).

        Raises:
            OutputError: The output cannot be reached.
        """
        with self._reaching():
            return self._target.exists(self.part_name(index))

    def open_part(self, index: int) -> PartWriter:
        """A writer of a part's results, spooled to a local file until `commit()`.

        Raises:
            OutputError: The spool cannot be made.
        """
        return PartWriter(self, index)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Write `_manifest.json` whole (replacing the one there).

        Raises:
            OutputError: It cannot be written.
        """
        data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        with self._spool() as (f, spool):
            f.write(data)
        self._store(spool, MANIFEST)

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest written last, or `None` when there is none.

        Raises:
            OutputError: The output cannot be reached, or its manifest is not a JSON object.
        """
        with self._reaching():
            data = self._target.read(MANIFEST)
        if data is None:
            return None
        try:
            manifest = json.loads(data)
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict):
            raise OutputError(self.url, f"{MANIFEST} is not a JSON object; remove it or fix it")
        return manifest

    def combine(self, indices: Sequence[int]) -> str:
        """Write the parts, in the order given, as one object `combined.jsonl` (or
        `combined.parquet`), streamed part by part; returns its path or URL.

        Raises:
            OutputError: A part is missing, or the output cannot be read or written.
        """
        name = f"combined.{self.format}"
        target = self._target
        for index in indices:
            if not self.has_part(index):
                what = f"{self.part_name(index)} is missing; write every part before combining"
                raise OutputError(self.url, what)
        with self._spool() as (f, spool), self._reaching():
            if self.format == "parquet":
                from ._parquet import combine_parquet

                combine_parquet([functools.partial(self._open, i) for i in indices], f)
            else:
                for index in indices:
                    with self._open(index) as part:
                        shutil.copyfileobj(part, f, 1 << 20)
        self._store(spool, name)
        if isinstance(target, LocalFolder):
            return target.path(name)
        return f"{self.url.rstrip('/')}/{name}"

    def _open(self, index: int) -> BinaryIO:
        return self._target.open_read(self.part_name(index))

    def _new_spool(self) -> tuple[BinaryIO, str]:
        """A local file to write an object to before it is stored, and its path."""
        with self._reaching():
            directory = self._target.spool_dir()
            fd, path = tempfile.mkstemp(prefix=".anthropic-batches-", suffix=".tmp", dir=directory)
        return open(fd, "wb"), path

    @contextlib.contextmanager
    def _spool(self) -> Iterator[tuple[BinaryIO, str]]:
        """`_new_spool()`, closed on leaving, removed on an error."""
        f, path = self._new_spool()
        try:
            with f:
                yield f, path
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise

    def _store(self, spool: str, name: str) -> None:
        try:
            self._target.put(spool, name)
        except Exception as exc:
            with contextlib.suppress(OSError):
                os.unlink(spool)
            raise self._error(exc) from None


class PartWriter:
    """A part's results being written: spooled to a local file, stored whole by `commit()`.

    Use it as a context manager: leaving it without a `commit()` discards the spool.

    Attributes:
        index: The part.
        count: How many results were written.
    """

    count: int

    def __init__(self, output: PartsOutput, index: int) -> None:
        self.output = output
        self.index = index
        self.name = output.part_name(index)
        self.count = 0
        self._done = False
        self._file, self._path = output._new_spool()

    def __repr__(self) -> str:
        return f"<PartWriter {self.name!r} count={self.count}>"

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._done:
            self.discard()

    def write(self, result: BatchResult) -> None:
        """Add one result (its JSON line, as the API sent it) to the spool."""
        self._file.write(result.json_line())
        self._file.write(b"\n")
        self.count += 1

    def commit(self) -> None:
        """Store the part as one whole object (converted to Parquet first if asked),
        replacing one written before; the spool is removed.

        Raises:
            OutputError: It cannot be written (the spool is removed all the same).
        """
        if self._done:
            raise ValueError(f"{self.name} was already committed or discarded")
        self._done = True
        self._file.close()
        spool = self._path
        if self.output.format == "parquet":
            spool = self._to_parquet()
        self.output._store(spool, self.name)

    def _to_parquet(self) -> str:
        from ._parquet import write_parquet

        output = self.output
        try:
            with output._reaching(), output._spool() as (f, converted):
                write_parquet(self._path, f)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
        return converted

    def discard(self) -> None:
        """Drop the spool; nothing is stored."""
        self._done = True
        self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self._path)
