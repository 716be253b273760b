"""The API reads JSON objects only. A body of another media type is refused with a 400 before any route runs;
JSON that is not an object (powertools would take the first element of an array), or that Python's parser
chokes on (too deep, numbers too long, NaN), is invalid JSON: a 400 as well, never a 500."""

from __future__ import annotations

import json
from typing import Any

from checkout_saga.api_models import FieldError, InvalidRequestBody

_JSON = "application/json"


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def parse_json_object(text: str | bytes | bytearray) -> dict[str, Any]:
    """json.loads of an object, every failure reported as a JSONDecodeError (powertools answers it with a 400)."""
    document = text.decode("utf-8", "replace") if isinstance(text, bytes | bytearray) else text
    try:
        value = json.loads(document, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except _NotJson as exc:
        raise json.JSONDecodeError(str(exc), document, 0) from exc
    except ValueError as exc:  # Python refuses integers of more than 4300 digits
        raise json.JSONDecodeError("a number is too long", document, 0) from exc
    except RecursionError as exc:  # [[[[...]]]]
        raise json.JSONDecodeError("nested too deeply", document, 0) from exc
    if not isinstance(value, dict):
        raise json.JSONDecodeError(f"got {_JSON_TYPES.get(type(value), 'null')}", document, 0)
    return value


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def refuse_non_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """A proxy response refusing a body that is not declared as JSON; None when the request may go on."""
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "").strip()
    if not event.get("body") or not content_type or content_type.startswith(_JSON):
        return None
    body = InvalidRequestBody(
        message=f"the body must be JSON, sent as Content-Type: {_JSON}",
        errors=[FieldError(field="Content-Type", message=f"unsupported content type {content_type[:100]!r}")],
    )
    return {
        "statusCode": 400,
        "headers": {"Content-Type": _JSON},
        "body": json.dumps(body.to_payload()),
        "isBase64Encoded": False,
    }
