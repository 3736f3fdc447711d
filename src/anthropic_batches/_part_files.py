"""Reading a job's part back from its byte range of the requests (or spool) file.

A part is planned in one pass over the file (`_requests_file`) and kept as a byte range; when
it is submitted, joined to its results or resubmitted, its lines are read back here and
checked against the digest recorded when it was planned, so a file changed since is refused
(naming the part and its lines) before anything of it is sent. A local file is read from its
offset; a file named by URL (`_urls`: `s3://`, `gs://`, ...) is fetched with one ranged read
of the part's bytes, so a worker reads only the parts it sends.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Collection, Iterator
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, BinaryIO

from ._encoding import EncodedRequests, body_from_encoded, encode_json
from ._facts import BODY_CLOSE, BODY_OPEN
from ._lines import LineDecoder, parse_line
from ._requests_file import FileProblem, RequestsFileError
from ._split import JobPart
from ._urls import StorageError, is_url, local_path, read_range

__all__ = ["part_body", "part_custom_ids", "part_encoded", "part_matching", "part_requests"]

#: How much of a verbatim part is read at a time: its body is built of pieces this size.
_PIECE = 1 << 20

_NEWLINE_TO_COMMA = bytes.maketrans(b"\n", b",")


def _changed(part: JobPart, reason: str) -> RequestsFileError:
    path = part.source.path
    where = f"lines {part.first_line}-{part.last_line} (part {part.index})"
    message = f"{where} {reason} since the job was checked; nothing of the part was sent"
    return RequestsFileError(path, [FileProblem(path, part.first_line, message)])


def _open_part(part: JobPart) -> BinaryIO:
    path = part.source.path
    if is_url(path) and local_path(path) is None:
        try:
            return io.BytesIO(read_range(path, part.offset, part.end))
        except StorageError as exc:
            raise _changed(part, f"cannot be read ({exc})") from None
    try:
        f = open(local_path(path) or path, "rb")  # noqa: SIM115 - the callers close it
    except OSError as exc:
        raise _changed(part, f"cannot be read ({exc.strerror or exc})") from None
    f.seek(part.offset)
    return f


def part_body(part: JobPart) -> EncodedRequests:
    """A part's create body, read back from its byte range (see `JobPart.body`)."""
    if not part.verbatim:
        return body_from_encoded(part_encoded(part))
    # The lines are the encoded requests, each followed by a line end: with the line ends
    # turned into commas (JSON text has no raw newline), they are the body's requests.
    pieces, digest, left = [BODY_OPEN], hashlib.sha256(), part.end - part.offset
    with _open_part(part) as f:
        while left > 0:
            piece = f.read(min(left, _PIECE))
            if not piece:
                break
            left -= len(piece)
            digest.update(piece)
            pieces.append(piece.translate(_NEWLINE_TO_COMMA))
    if left or digest.hexdigest() != part.digest:
        raise _changed(part, "changed")
    pieces[-1] = pieces[-1][:-1]  # the last request's line end
    pieces.append(BODY_CLOSE)
    return EncodedRequests(pieces, part.size)


def _part_lines(part: JobPart) -> Iterator[bytes]:
    with _open_part(part) as f:
        data = f.read(part.end - part.offset)
    if len(data) != part.end - part.offset:
        raise _changed(part, "changed")
    lines = (raw.rstrip(b"\r") for raw in data.split(b"\n"))
    return (line for line in lines if line.strip())


def part_encoded(part: JobPart) -> list[bytes]:
    """A part's requests encoded as they are sent, read back from its byte range, checked
    against its digest (see `JobPart.read_encoded`)."""
    digest, encoded, decoder = hashlib.sha256(), [], LineDecoder()
    for raw in _part_lines(part):
        if part.verbatim:
            item = raw
        else:
            data, _ = parse_line(raw, decoder)
            if data is None:
                raise _changed(part, "changed")
            item = encode_json(data, plain=not decoder.floats)
        digest.update(item)
        digest.update(b"\n")
        encoded.append(item)
    if len(encoded) != part.count or digest.hexdigest() != part.digest:
        raise _changed(part, "changed")
    return encoded


def part_requests(part: JobPart) -> list[dict[str, Any]]:
    """A part's requests as dicts, read back from its byte range (`JobPart.read_requests`)."""
    return [json.loads(item) for item in part_encoded(part)]


#: How an encoded request starts when `custom_id` is its first field.
_CID_FIRST = b'{"custom_id":"'


def _custom_id_of(encoded: bytes) -> str:
    """The `custom_id` of an encoded request, without decoding the rest of it when it comes
    first (as it does in requests written `{"custom_id": ..., "params": ...}`)."""
    if encoded.startswith(_CID_FIRST):
        text = encoded.decode("utf-8")
        return str(scanstring(text, len(_CID_FIRST))[0])
    return str(json.loads(encoded)["custom_id"])


def part_custom_ids(part: JobPart) -> list[str]:
    """The `custom_id`s of a part's requests, in order, read back from its byte range and
    checked against its digest; the requests are not decoded (`JobPart.read_custom_ids`)."""
    return [_custom_id_of(item) for item in part_encoded(part)]


def part_matching(part: JobPart, custom_ids: Collection[str]) -> Iterator[dict[str, Any]]:
    """The part's requests whose `custom_id` is one of `custom_ids`, decoded, in order."""
    for item in part_encoded(part):
        if _custom_id_of(item) in custom_ids:
            yield json.loads(item)
