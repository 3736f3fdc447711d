"""The durable state of a job: which requests went to which batch, and what was downloaded.

A small JSON file, rewritten whole after every change by writing a temporary file next to it,
`fsync`-ing it and `os.replace`-ing it over the old one, so a crash or Ctrl-C at any moment
leaves either the old state or the new one, never a torn file. A re-run with the same file
resumes: parts with a batch id are never submitted again, parts marked downloaded are never
downloaded again. A digest of the inputs is kept, so a re-run with different input is refused
instead of mixing two jobs' results.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._exceptions import BatchesError
from ._facts import ENDED
from ._joins import FailedRequest, failure_record
from ._models import BatchResult
from ._resume import UnrecordedBatchMatch, cut_off_since, refusal_may_mean_ended
from ._split import JobPart, job_digest
from ._usage import UsageSummary

__all__ = [
    "STATE_FORMAT",
    "JobState",
    "JobStateError",
    "PartDownload",
    "PartState",
    "UnrecordedBatchMatch",
    "atomic_write",
    "cut_off_since",
    "refusal_may_mean_ended",
]

#: The version of the file format; bumped if it ever changes incompatibly.
STATE_FORMAT = 1


class JobStateError(BatchesError):
    """A job state file that cannot be read, or that belongs to a different job.

    Attributes:
        path: The state file.
    """

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class PartState:
    """What is known of one part of a job.

    Attributes:
        index: The part's position in the job.
        start: The input position of its first request.
        stop: The input position just after its last request.
        first_custom_id: The `custom_id` of its first request.
        last_custom_id: The `custom_id` of its last request.
        digest: The digest of its serialized requests.
        offset: Where its first line starts in the job's input file (bytes).
        end: Where its last line ends (bytes).
        batch_id: The batch it was submitted as, once the API has answered the create.
        submitting_at: When a create was started, set before the create and kept after it;
            set with no `batch_id`, it means a create was cut off before its answer came.
        newest_before: The newest batch id the key could see just before that create (`""`
            when there was none): a batch made by a cut-off create is one listed after it.
        status: The batch's last seen `processing_status`.
        downloaded: Whether its results were all handed out.
        usage: The usage summary of its results (`UsageSummary.to_dict()`), once downloaded.
        failed: Its errored and expired results, once downloaded (for resubmitting).
        bound: The most its requests can cost at batch prices, in US dollars, recorded under
            a cost cap (committed once its create starts).
        size: The size in bytes of its create body.
        first_line: The 1-based number of its first line in the job's input file.
        last_line: The number of its last line.
        verbatim: Whether its lines are exactly its encoded requests (see `JobPart`).

    The last four, with the byte range, let a worker rebuild the part from the state alone
    (`JobPart`), without reading the whole input; states written before they were kept
    have `None` there.
    """

    index: int
    start: int
    stop: int
    first_custom_id: str
    last_custom_id: str
    digest: str
    offset: int | None = None
    end: int | None = None
    batch_id: str | None = None
    submitting_at: str | None = None
    newest_before: str | None = None
    status: str | None = None
    downloaded: bool = False
    usage: dict[str, Any] | None = None
    failed: list[FailedRequest] = field(default_factory=list)
    bound: float | None = None
    size: int | None = None
    first_line: int | None = None
    last_line: int | None = None
    verbatim: bool | None = None

    @classmethod
    def for_part(cls, part: JobPart) -> PartState:
        """A fresh state for a part not submitted yet."""
        return cls(
            index=part.index,
            start=part.start,
            stop=part.stop,
            first_custom_id=part.first_custom_id,
            last_custom_id=part.last_custom_id,
            digest=part.digest,
            offset=part.offset,
            end=part.end,
            size=part.size,
            first_line=part.first_line,
            last_line=part.last_line,
            verbatim=part.verbatim,
        )

    @property
    def ended(self) -> bool:
        """Whether the batch was last seen ended."""
        return self.status == ENDED


class PartDownload:
    """What downloading one part's results leaves in its state (I/O-free): its usage and its
    failed requests, recorded once every result has been handed out.

    A batch taken on resume is recognised by its size and time only, and a state file can
    be edited by hand: a result of a request not in the part shows the batch is not the
    part's, and it is refused before anyone joins it to the wrong input.

    Args:
        part: The part being downloaded.
        batch_id: Its batch.
        path: The state file, for the error message.
        custom_ids: The part's `custom_id`s; by default read back from its byte range.
    """

    def __init__(
        self,
        part: JobPart,
        batch_id: str,
        path: str | os.PathLike[str] | None = None,
        *,
        custom_ids: Iterable[str] | None = None,
    ) -> None:
        self.part, self.batch_id, self.path = part, batch_id, path
        ids = custom_ids if custom_ids is not None else part.read_custom_ids()
        self.expected = frozenset(ids)
        self.usage = UsageSummary()
        self.failed: list[FailedRequest] = []

    def add(self, result: BatchResult) -> None:
        """Count one result.

        Raises:
            JobStateError: The result is of a request that is not the part's.
        """
        if result.custom_id not in self.expected:
            raise JobStateError(
                self.path or "(no state file)",
                f"part {self.part.index}'s batch {self.batch_id} holds a result for custom_id "
                f"{result.custom_id!r}, which is not one of the part's requests: it is not "
                "this part's batch. Check the batch list, and set the part's batch_id in the "
                "state file right (or to null to submit the part again)",
            )
        self.usage.add(result)
        record = failure_record(result)
        if record is not None:
            self.failed.append(record)

    def record(self, saved: PartState) -> None:
        """Mark the part downloaded, with its usage and failed requests."""
        saved.downloaded, saved.usage, saved.failed = True, self.usage.to_dict(), self.failed


@dataclass
class JobState:
    """The durable state of a job; see the module documentation.

    Attributes:
        digest: A digest of the job's requests and how they were split.
        api_version: The API version the job was submitted with.
        requests: The number of requests in the job.
        parts: One `PartState` per part, in order.
        created_at: When the job state was first written (RFC 3339).
        updated_at: When it was last written.
        source: The file the parts are byte ranges of (the requests file, or a spool file).
        base_url: The API address the job was submitted to.
        key_fingerprint: A short SHA-256 of the credential it was submitted with (never the
            credential itself): a job resumed with another key is refused before any call.
        source_size: The size of `source` in bytes, when a shared store keeps the job (its
            workers check they read the same input).
    """

    digest: str
    api_version: str
    requests: int
    parts: list[PartState]
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    source: str | None = None
    base_url: str | None = None
    key_fingerprint: str | None = None
    source_size: int | None = None

    @classmethod
    def for_parts(
        cls,
        parts: Sequence[JobPart],
        api_version: str,
        *,
        base_url: str | None = None,
        key_fingerprint: str | None = None,
    ) -> JobState:
        """A fresh state for a job that has not been submitted."""
        return cls(
            digest=job_digest(parts),
            api_version=api_version,
            requests=sum(len(p) for p in parts),
            parts=[PartState.for_part(p) for p in parts],
            source=parts[0].source.path if parts else None,
            base_url=base_url,
            key_fingerprint=key_fingerprint,
        )

    @property
    def finished(self) -> bool:
        """Whether every part was downloaded: nothing is left to ask the API."""
        return all(p.downloaded for p in self.parts)

    def check_account(
        self, base_url: str, key_fingerprint: str, path: str | os.PathLike[str]
    ) -> None:
        """Refuse to resume, before any call, a job submitted to another server or with
        another credential (its batches cannot be seen from here). A finished job needs no
        call, and is let through.

        Raises:
            JobStateError: The base URL or the credential differ from the state's.
        """
        if self.finished:
            return
        if self.base_url is not None and self.base_url != base_url:
            reason = f"its batches are on another server ({self.base_url}, not {base_url})"
        elif self.key_fingerprint is not None and self.key_fingerprint != key_fingerprint:
            reason = (
                "its batches were created with another API key (fingerprint "
                f"{self.key_fingerprint}, this key's is {key_fingerprint}): another account"
            )
        else:
            return
        raise JobStateError(
            path, f"this state belongs to another account or server: {reason}; nothing was sent"
        )

    def refresh_places(self, parts: Sequence[JobPart]) -> None:
        """Record where the parts are now (the same requests, which may sit elsewhere in a
        file rewritten with other spacing)."""
        self.source = parts[0].source.path if parts else self.source
        for saved, part in zip(self.parts, parts, strict=True):
            saved.offset, saved.end = part.offset, part.end
            saved.first_line, saved.last_line = part.first_line, part.last_line
            saved.size, saved.verbatim = part.size, part.verbatim

    def check_matches(
        self, parts: Sequence[JobPart], api_version: str, path: str | os.PathLike[str]
    ) -> None:
        """Refuse to resume a different job.

        Raises:
            JobStateError: The requests, their split or the API version differ from the ones
                the state was written for.
        """
        if self.digest == job_digest(parts) and self.api_version == api_version:
            return
        if self.api_version != api_version:
            reason = f"it was written with api_version {self.api_version!r}, not {api_version!r}"
        elif self.requests != sum(len(p) for p in parts):
            total = sum(len(p) for p in parts)
            reason = f"it is for a job of {self.requests} requests, this one has {total}"
        elif len(self.parts) != len(parts) or any(
            s.start != p.start or s.stop != p.stop for s, p in zip(self.parts, parts, strict=False)
        ):
            reason = "the requests are split differently (other --max-requests or --max-bytes?)"
        else:
            changed = next(
                s.index for s, p in zip(self.parts, parts, strict=True) if s.digest != p.digest
            )
            reason = f"the requests differ (first in part {changed})"
        raise JobStateError(
            path, f"this state file belongs to a different job: {reason}; nothing was submitted"
        )

    def to_json(self) -> str:
        """The file's text."""
        data = {"format": STATE_FORMAT, **asdict(self)}
        for saved, part in zip(self.parts, data["parts"], strict=True):
            part["failed"] = [[f.custom_id, f.result_type, f.error_type] for f in saved.failed]
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, path: str | os.PathLike[str] = "<state>") -> JobState:
        """Read a state file's text.

        Raises:
            JobStateError: The text is not a job state this version can read.
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
                raise ValueError(f"not a job state file of format {STATE_FORMAT}")
            del data["format"]
            # Written by earlier versions for the command line's output file, which now
            # keeps that record itself.
            data.pop("output_bytes", None)
            parts = []
            for p in data["parts"]:
                failed = [FailedRequest.from_saved(f) for f in p.pop("failed", [])]
                parts.append(PartState(**p, failed=failed))
            data["parts"] = parts
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise JobStateError(path, f"cannot read the job state: {exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> JobState | None:
        """Read a state file, or `None` when there is none yet.

        Raises:
            JobStateError: The file exists but cannot be read as a job state.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise JobStateError(path, f"cannot read the job state: {exc}") from None
        return cls.from_json(text, path)

    def usage(self) -> UsageSummary:
        """Counts, tokens and cost of every part downloaded so far."""
        total = UsageSummary()
        for part in self.parts:
            if part.usage is not None:
                total.merge(UsageSummary.from_dict(part.usage))
        return total

    def failed_custom_ids(self, *, retryable_only: bool = False) -> set[str]:
        """The `custom_id`s of the failed requests of the parts downloaded so far."""
        return {
            record.custom_id
            for part in self.parts
            for record in part.failed
            if record.retryable or not retryable_only
        }

    def known_batch_ids(self) -> set[str]:
        """The batch ids of every part submitted."""
        return {p.batch_id for p in self.parts if p.batch_id is not None}

    def unanswered_creates(self, besides: int) -> list[int]:
        """The parts other than `besides` whose create was started and whose answer is not
        recorded: on its way (another worker's), or cut off."""
        return [
            p.index
            for p in self.parts
            if p.index != besides and p.submitting_at is not None and p.batch_id is None
        ]

    def encode(self) -> bytes:
        """Stamp `updated_at` and return the file's bytes, ready for `atomic_write`."""
        self.updated_at = _now()
        return self.to_json().encode("utf-8")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state atomically: the file holds the old or the new state, never a mix.

        It blocks while the file and its folder are synced to disk.
        """
        atomic_write(Path(path), self.encode())


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` through a synced temporary file in the same directory."""
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)
