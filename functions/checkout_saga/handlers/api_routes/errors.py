"""The API's error answers (openapi.json): 400 {"message", "errors"}, 404/405/409 {"message"}.

Routes raise `ApiError`s; the resolver turns them, and powertools' own validation errors, into these bodies.
`DOCUMENTED` describes them in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from checkout_saga.api_models import ErrorBody, FieldError, InvalidRequestBody


class ApiError(Exception):
    status_code = 500

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return ErrorBody(message=self.message).to_payload()


class InvalidRequest(ApiError):
    status_code = 400

    def __init__(self, message: str, errors: Sequence[FieldError]) -> None:
        super().__init__(message)
        self.errors = list(errors)

    def body(self) -> dict[str, Any]:
        return InvalidRequestBody(message=self.message, errors=self.errors).to_payload()


class NotFound(ApiError):
    status_code = 404


class MethodNotAllowed(ApiError):
    status_code = 405

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{method} is not allowed here; allowed: {', '.join(allowed)}", {"Allow": ", ".join(allowed)})


class Conflict(ApiError):
    status_code = 409


def bad_page_token(exc: Exception) -> InvalidRequest:
    """A `next` token this API did not give (every paged listing answers it the same way)."""
    return InvalidRequest(f"invalid next token: {exc}", [FieldError(field="next", message=str(exc))])


def error_response(error: ApiError) -> Response[Any]:
    return Response(
        status_code=error.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=error.body(),
        headers=error.headers,
    )


def invalid_request(errors: Sequence[dict[str, Any]]) -> InvalidRequest:
    """From pydantic/powertools errors (`loc`, `msg`, `type`) to ours, each naming the field it is about."""
    fields = [FieldError(field=_field(error), message=_message(error)) for error in errors]
    named = ", ".join(dict.fromkeys(field.field for field in fields))
    return InvalidRequest(f"invalid request: {named}", fields)


def _field(error: dict[str, Any]) -> str:
    source, *path = error.get("loc") or ("body",)
    if error.get("type") == "json_invalid" or not path:
        return str(source)  # "body": the body as a whole
    if source == "header":  # powertools lowercases header names
        return "-".join(word.capitalize() for word in str(path[0]).split("-"))
    name = str(path[0])
    for part in path[1:]:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type")
    if kind == "json_invalid":
        return f"the body must be a JSON object ({error.get('ctx', {}).get('error', 'unreadable')})"
    if kind == "missing" and tuple(error.get("loc") or ()) == ("body",):
        return "a JSON body is required"
    return str(error.get("msg") or kind or "invalid")


def _documented(model: type, description: str) -> OpenAPIResponse:
    return {"description": description, "content": {content_types.APPLICATION_JSON: {"model": model}}}


DOCUMENTED: dict[int, OpenAPIResponse] = {
    400: _documented(InvalidRequestBody, "Invalid request: each entry of `errors` names a field and what is wrong"),
    403: _documented(ErrorBody, "Signed in, but not allowed to do this"),
    404: _documented(ErrorBody, "Not found"),
    409: _documented(ErrorBody, "The Idempotency-Key was already used with another body, or is in progress"),
}


def documented(success: int, description: str, *errors: int, conflict: str | None = None) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success (the schema of what it returns) and its errors; `conflict`
    says what a 409 means where it is not (only) the Idempotency-Key's."""
    responses: dict[int, OpenAPIResponse] = {success: {"description": description}}
    responses.update({code: DOCUMENTED[code] for code in errors})
    if conflict is not None:
        responses[409] = _documented(ErrorBody, conflict)
    return responses
