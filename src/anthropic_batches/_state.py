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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._exceptions import BatchesError
from ._split import JobPart, job_digest

__all__ = ["STATE_FORMAT", "JobState", "JobStateError", "PartState"]

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
        batch_id: The batch it was submitted as, once the API has answered the create.
        submitting_at: When a create was started, set before the create and kept after it;
            set with no `batch_id`, it means a create was cut off before its answer came.
        newest_before: The newest batch id the key could see just before that create (`""`
            when there was none): a batch made by a cut-off create is one listed after it.
        status: The batch's last seen `processing_status`.
        downloaded: Whether its results were all handed out.
        usage: The usage summary of its results (`UsageSummary.to_dict()`), once downloaded.
        failed: `[custom_id, result type, error type or null]` of its errored and expired
            results, once downloaded (for resubmitting).
    """

    index: int
    start: int
    stop: int
    first_custom_id: str
    last_custom_id: str
    digest: str
    batch_id: str | None = None
    submitting_at: str | None = None
    newest_before: str | None = None
    status: str | None = None
    downloaded: bool = False
    usage: dict[str, Any] | None = None
    failed: list[list[str | None]] = field(default_factory=list)

    @classmethod
    def for_part(cls, part: JobPart) -> PartState:
        """A fresh state for a part not submitted yet."""
        return cls(
            index=part.index,
            start=part.start,
            stop=part.stop,
            first_custom_id=part.custom_ids[0],
            last_custom_id=part.custom_ids[-1],
            digest=part.digest,
        )

    @property
    def ended(self) -> bool:
        """Whether the batch was last seen ended."""
        return self.status == "ended"


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
        output_bytes: For a caller that writes results to a file: its size once every
            downloaded part was written (the command line truncates to it when resuming).
    """

    digest: str
    api_version: str
    requests: int
    parts: list[PartState]
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    output_bytes: int | None = None

    @classmethod
    def for_parts(cls, parts: Sequence[JobPart], api_version: str) -> JobState:
        """A fresh state for a job that has not been submitted."""
        return cls(
            digest=job_digest(parts),
            api_version=api_version,
            requests=sum(len(p) for p in parts),
            parts=[PartState.for_part(p) for p in parts],
        )

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
            data["parts"] = [PartState(**p) for p in data["parts"]]
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

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state atomically: the file holds the old or the new state, never a mix."""
        self.updated_at = _now()
        atomic_write(Path(path), self.to_json().encode("utf-8"))


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
