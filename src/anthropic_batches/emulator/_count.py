"""`POST /v1/messages/count_tokens`: the input tokens of a Messages request, counted as the
emulator's results report them (`count_input_tokens`), so an estimate made against the emulator
can be checked against what the job then costs
(https://docs.anthropic.com/en/api/messages-count-tokens).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from .._facts import COUNT_TOKENS_FIELDS
from ._create import check_content_type
from ._errors import bad_request
from ._responder import count_input_tokens

__all__ = ["count_tokens"]


async def count_tokens(request: Request) -> Response:
    """Answer `{"input_tokens": N}` for a body with `model` and `messages` (and optionally
    the other fields the endpoint takes); anything else is a 400."""
    check_content_type(request)
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    for name in body:
        if name not in COUNT_TOKENS_FIELDS:
            raise bad_request(f"{name}: Extra inputs are not permitted")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise bad_request("model: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages: Field required (a non-empty list)")
    answer = {"input_tokens": count_input_tokens(body)}
    return Response(json.dumps(answer).encode(), media_type="application/json")
