"""The one checker of batch requests (I/O-free).

`create`, the job splitter and the requests-file reader all judge a request with
`RequestChecker`, before any network call, so a user learns in milliseconds what the API
would otherwise report after a day of processing; the emulator judges `params` with
`params_problems` when it processes a batch, so both apply the same rules. The rules follow
the API's documented limits and version changes (`_facts`). Each problem carries a code and a
field, so a caller words or sorts problems by them, never by a message's text. Encoding the
requests that pass is `_encoding`'s work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._exceptions import Problem
from ._facts import (
    BODY_FRAME_BYTES,
    CUSTOM_ID_MAX_LENGTH,
    CUSTOM_ID_PATTERN,
    DEFAULT_API_VERSION,
    OLD_API_VERSION,
    SDK_ONLY_PARAMS,
    VERSION_RULES,
    VersionRules,
)
from ._models import BatchRequest
from ._seen_ids import SeenIds

__all__ = [
    "Checked",
    "ParamProblem",
    "RequestChecker",
    "batch_problems",
    "custom_id_problem",
    "no_requests_problem",
    "not_iterable_problem",
    "params_problems",
    "request_size_problem",
]

ParamCode = Literal[
    "invalid_params", "missing_param", "invalid_param", "version_rule", "sdk_only_key", "stream"
]

#: What to do instead of `stream: true` in a batch request.
STREAM_ADVICE = "a batch request's answer is never streamed: leave stream out"

#: The top-level fields of a batch request.
REQUEST_FIELDS = ("custom_id", "params")


@dataclass(frozen=True)
class ParamProblem:
    """One problem in a request's `params`.

    Attributes:
        field: The path inside the request, e.g. `"params.temperature"`.
        message: The problem, worded as the API words it.
        code: `"invalid_params"` (not an object), `"missing_param"`, `"invalid_param"`,
            `"version_rule"` (refused by a newer API version only), `"sdk_only_key"` (an
            option of the SDKs' calls, such as `betas`, put in `params`), or `"stream"`.
    """

    field: str
    message: str
    code: ParamCode = "invalid_param"

    @property
    def version_rule(self) -> bool:
        """Whether it is a rule of a newer API version only."""
        return self.code == "version_rule"


def custom_id_problem(custom_id: object) -> str | None:
    """Why a `custom_id` is not acceptable, or `None` when it is."""
    if not isinstance(custom_id, str):
        return (
            f"must be a string of 1 to {CUSTOM_ID_MAX_LENGTH} characters, "
            f"not {type(custom_id).__name__}"
        )
    if not CUSTOM_ID_PATTERN.fullmatch(custom_id):
        if not custom_id:
            return "must not be empty"
        if len(custom_id) > CUSTOM_ID_MAX_LENGTH:
            return (
                f"is {len(custom_id)} characters long; at most {CUSTOM_ID_MAX_LENGTH} are allowed"
            )
        bad = sorted({c for c in custom_id if not CUSTOM_ID_PATTERN.fullmatch(c)})
        return "may only hold letters, digits, '_' and '-'; found " + ", ".join(
            repr(c) for c in bad[:5]
        )
    return None


def _rules(api_version: str) -> VersionRules:
    # A version this package does not know gets the latest rules: the strictest known.
    return VERSION_RULES.get(api_version, VERSION_RULES[DEFAULT_API_VERSION])


def params_problems(params: object, api_version: str) -> list[ParamProblem]:
    """What is wrong with one request's `params` under an API version."""
    if not isinstance(params, Mapping):
        kind = type(params).__name__
        return [ParamProblem("params", f"must be an object, not {kind}", "invalid_params")]
    found: list[ParamProblem] = []
    if not isinstance(params.get("model"), str) or not params.get("model"):
        found.append(ParamProblem("params.model", "model: Field required", "missing_param"))
    max_tokens = params.get("max_tokens")
    if max_tokens is None:
        found.append(
            ParamProblem("params.max_tokens", "max_tokens: Field required", "missing_param")
        )
    elif not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        found.append(
            ParamProblem("params.max_tokens", "max_tokens: Input should be a valid integer")
        )
    elif max_tokens < 1:
        found.append(ParamProblem("params.max_tokens", "max_tokens: must be at least 1"))
    messages = params.get("messages")
    if messages is None:
        found.append(ParamProblem("params.messages", "messages: Field required", "missing_param"))
    elif not isinstance(messages, list) or not messages:
        found.append(
            ParamProblem("params.messages", "messages: must be a non-empty list of messages")
        )
    found.extend(_sdk_only_problems(params))
    found.extend(_version_problems(params, _rules(api_version)))
    return found


def _streams(params: Mapping[str, Any]) -> bool:
    return params.get("stream", False) not in (False, None)


def _sdk_only_problems(params: Mapping[str, Any]) -> list[ParamProblem]:
    """Keys of the SDKs' calls put inside `params`, which the API refuses per request
    (https://github.com/anthropics/anthropic-sdk-python/issues/1118), and `stream: true`."""
    found = [
        ParamProblem(f"params.{name}", f"{name}: Extra inputs are not permitted", "sdk_only_key")
        for name in SDK_ONLY_PARAMS
        if name in params
    ]
    if _streams(params):
        found.append(
            ParamProblem("params.stream", "stream: batch requests cannot be streamed", "stream")
        )
    return found


def _version_problems(params: Mapping[str, Any], rules: VersionRules) -> list[ParamProblem]:
    found = [
        ParamProblem(f"params.{name}", f"{name}: Extra inputs are not permitted", "version_rule")
        for name in rules.removed_params
        if name in params
    ]
    messages = params.get("messages")
    if not isinstance(messages, list) or not (
        rules.document_in_assistant or rules.citations_in_user
    ):
        return found
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("content"), list):
            continue
        role = message.get("role")
        for j, block in enumerate(message["content"]):
            if not isinstance(block, Mapping):
                continue
            where = f"params.messages[{i}].content[{j}]"
            if (
                rules.document_in_assistant
                and role == "assistant"
                and block.get("type") == "document"
            ):
                message_text = "document blocks are not permitted in assistant messages"
            elif rules.citations_in_user and role == "user" and _has_citations(block):
                message_text = "citations are not permitted on text blocks in user messages"
            else:
                continue
            message_text = f"messages.{i}.content.{j}: {message_text}"
            found.append(ParamProblem(where, message_text, "version_rule"))
    return found


def _has_citations(block: Mapping[str, Any]) -> bool:
    kind = block.get("type")
    if kind == "text":
        return bool(block.get("citations"))
    if kind == "search_result" and isinstance(block.get("content"), list):
        return any(isinstance(b, Mapping) and _has_citations(b) for b in block["content"])
    return False


def _plain_and_valid(request: object, rules: VersionRules) -> bool:
    """Whether a request is a plain dict that passes every check, by a quick test that
    covers the common shape (creates of 100,000 requests). `False` means only "look
    closer": the full checks then decide, and word the problems. A property test holds
    both paths to the same verdict."""
    if type(request) is not dict or len(request) != 2:
        return False
    custom_id = request.get("custom_id")
    params = request.get("params")
    if (
        type(custom_id) is not str
        or type(params) is not dict
        or CUSTOM_ID_PATTERN.fullmatch(custom_id) is None
    ):
        return False
    model = params.get("model")
    max_tokens = params.get("max_tokens")
    messages = params.get("messages")
    if (
        type(model) is not str
        or not model
        or type(max_tokens) is not int
        or max_tokens < 1
        or type(messages) is not list
        or not messages
    ):
        return False
    if not params.keys().isdisjoint(SDK_ONLY_PARAMS) or _streams(params):
        return False
    if not rules.any:
        return True
    for name in rules.removed_params:
        if name in params:
            return False
    # Only list contents can break a block rule; plain string contents are fine.
    return all(type(m) is dict and type(m.get("content")) is str for m in messages)


def _as_mapping(request: object) -> Mapping[str, Any] | None:
    if isinstance(request, BatchRequest):
        return request.model_dump(mode="json", exclude_unset=False)
    if isinstance(request, Mapping):
        return request
    return None


@dataclass(frozen=True, slots=True)
class Checked:
    """What the checker found of one request.

    Attributes:
        custom_id: The request's `custom_id`, when it is a string.
        request: The request as a mapping (the dict to encode), when it is one.
        problems: The problems found; empty when the request may be sent.
        first: For a duplicate `custom_id`, the position of its first use.
    """

    custom_id: str | None
    request: Mapping[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    first: int | None = None


def python_version(version: str) -> str:
    """How the library says "under API version V" (the command line says it with its flag)."""
    return f'api_version="{version}"'


def _check(
    position: int,
    request: object,
    api_version: str | None,
    spell_version: Callable[[str], str] = python_version,
) -> Checked:
    """The full checks of one request, without the quick path; `params` are checked only
    when an API version is given."""
    mapping = _as_mapping(request)
    if mapping is None:
        what = type(request).__name__
        msg = f"must be a BatchRequest or a dict with custom_id and params, not {what}"
        return Checked(None, None, [Problem(position, None, None, msg, "not_a_request")])
    custom_id = mapping.get("custom_id")
    cid = custom_id if isinstance(custom_id, str) else None
    problems: list[Problem] = []
    if "custom_id" not in mapping:
        problems.append(Problem(position, None, "custom_id", "Field required", "missing_field"))
    else:
        reason = custom_id_problem(custom_id)
        if reason:
            problems.append(Problem(position, cid, "custom_id", reason, "invalid_custom_id"))
    extra = sorted(set(mapping) - set(REQUEST_FIELDS))
    if extra:
        message = "unknown field; a request has custom_id and params"
        problems.append(Problem(position, cid, extra[0], message, "unknown_field"))
    if "params" not in mapping:
        problems.append(Problem(position, cid, "params", "Field required", "missing_field"))
    elif api_version is None:
        params = mapping["params"]
        if not isinstance(params, Mapping):
            message = f"must be an object, not {type(params).__name__}"
            problems.append(Problem(position, cid, "params", message, "invalid_params"))
    else:
        for p in params_problems(mapping["params"], api_version):
            msg = _without_location(p)
            if p.version_rule:
                if p.field.count(".") == 1:  # a top-level param the version removed
                    msg = "not accepted"
                msg += (
                    f" under {spell_version(api_version)}; "
                    f"{spell_version(OLD_API_VERSION)} still accepts it"
                )
            elif p.code == "sdk_only_key":
                name = p.field.removeprefix("params.")
                msg += f" (an option of the SDK's calls, not of a request): {SDK_ONLY_PARAMS[name]}"
            elif p.code == "stream":
                msg += f"; {STREAM_ADVICE}"
            problems.append(Problem(position, cid, p.field, msg, p.code))
    return Checked(cid, mapping, problems)


def _without_location(problem: ParamProblem) -> str:
    """The message without the API's location prefix (`max_tokens: `): a `Problem` names
    its field already."""
    location = re.sub(r"\[(\d+)\]", r".\1", problem.field.removeprefix("params."))
    return problem.message.removeprefix(f"{location}: ")


class RequestChecker:
    """Checks the requests of one batch or job, one at a time, in a single pass.

    It remembers each `custom_id` it has seen (which must be unique across the batch or the
    job), so a duplicate is reported at its second use with the position of the first.

    Args:
        api_version: The API version whose rules apply; `None` checks the shape of each
            request (its fields, `custom_id`, that `params` is an object) but not what
            `params` holds, as the API does when it accepts a batch (it checks `params`
            when it processes each request).
        spell_version: How a message says "under API version V" (Python by default).
    """

    def __init__(
        self, api_version: str | None, *, spell_version: Callable[[str], str] = python_version
    ) -> None:
        self.api_version = api_version
        self.spell_version = spell_version
        self._rules = _rules(api_version) if api_version is not None else None
        self._seen = SeenIds()
        #: How many requests were checked.
        self.count = 0

    def check(self, position: int, request: object) -> Checked:
        """Check one request: the rules, and that its `custom_id` was not used before.

        Args:
            position: Where the request is (an index, or a line number): problems carry it,
                and a duplicate names the position of the first use.
            request: A `BatchRequest` or a mapping with `custom_id` and `params`.
        """
        self.count += 1
        if self._rules is not None and _plain_and_valid(request, self._rules):
            checked = Checked(request["custom_id"], request)  # type: ignore[index, arg-type]
        else:
            checked = _check(position, request, self.api_version, self.spell_version)
        cid = checked.custom_id
        if cid is None or any(p.code == "invalid_custom_id" for p in checked.problems):
            return checked
        first = self._seen.add(cid, position)
        if first is None:
            return checked
        message = f"duplicate of requests[{first}]"
        problem = Problem(position, cid, "custom_id", message, "duplicate_custom_id")
        return Checked(cid, checked.request, [*checked.problems, problem], first)


def full_check(position: int, request: object, api_version: str) -> Checked:
    """The verdict of the full checks alone (no quick path, no duplicate tracking): the
    reference the quick path is tested against."""
    return _check(position, request, api_version)


def not_iterable_problem(requests: object) -> Problem | None:
    """The problem of a single request (or text) given where many are expected."""
    if isinstance(requests, (str, bytes, Mapping, BatchRequest)) or not isinstance(
        requests, Iterable
    ):
        kind = type(requests).__name__
        message = f"requests must be an iterable of requests, not a single {kind}"
        return Problem(None, None, None, message, "not_iterable")
    return None


def request_size_problem(
    position: int, custom_id: str | None, size: int, max_bytes: int
) -> Problem | None:
    """The problem of a request that alone makes a create body over `max_bytes`."""
    if BODY_FRAME_BYTES + size <= max_bytes:
        return None
    message = f"the request alone is {size:,} bytes; a batch holds at most {max_bytes:,}"
    return Problem(position, custom_id, None, message, "request_too_large")


def no_requests_problem(what: str) -> Problem:
    """The problem of a batch or a job (`what`) with no request."""
    return Problem(None, None, None, f"a {what} needs at least 1 request", "no_requests")


def batch_problems(
    count: int, size: int | None, *, max_requests: int, max_bytes: int
) -> list[Problem]:
    """The problems of a batch as a whole: no requests, too many, too large.

    Args:
        count: How many requests it has.
        size: Its create body's size, or `None` when not known (the body was not built).
        max_requests: The most requests it may hold.
        max_bytes: The largest body it may have.
    """
    if count == 0:
        return [no_requests_problem("batch")]
    if count > max_requests:
        message = f"{count} requests; a batch holds at most {max_requests}"
        return [Problem(None, None, None, message, "too_many_requests")]
    if size is not None and size > max_bytes:
        message = f"the request body is {size:,} bytes; a batch holds at most {max_bytes:,}"
        return [Problem(None, None, None, message, "body_too_large")]
    return []
