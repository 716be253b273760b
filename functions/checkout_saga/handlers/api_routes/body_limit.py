"""A request body over MAX_BODY_BYTES is refused with a 413 before anything parses it.

API Gateway lets up to 10 MB through and Lambda up to 6 MB; parsing a few megabytes of JSON array takes a
256 MB function to the edge of its memory. No request of this API needs more than a few kilobytes (a checkout
of 50 items is under 4 KiB), so the function measures the body first and reads nothing larger."""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 64 * 1024


def body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4 - body.count("=", -2)  # the decoded size, without decoding
    if len(body) > MAX_BODY_BYTES or len(body) * 4 <= MAX_BODY_BYTES:
        return len(body)  # over in characters, so over in bytes; or under even at 4 bytes a character
    return len(body.encode("utf-8", "surrogatepass"))


def refuse_oversized_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 413 proxy response for a body over the limit; None when the request may go on."""
    if body_size(event) <= MAX_BODY_BYTES:
        return None
    return {
        "statusCode": 413,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": f"the request body may be at most {MAX_BODY_BYTES} bytes"}),
        "isBase64Encoded": False,
    }
