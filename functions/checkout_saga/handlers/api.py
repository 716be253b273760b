"""ApiFunction: the checkout HTTP API (openapi.json) behind API Gateway REST, one Lambda proxy for every route.

Routes live in `api_routes`; this module assembles them, maps every client mistake to a 4xx body of the
contract, and publishes the OpenAPI document generated from the routes' models:

    python -m checkout_saga.handlers.api --write-openapi openapi.json
"""

from __future__ import annotations

import argparse
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.dependant import get_flat_params
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import ParamTypes
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from checkout_saga.api_models import FieldError
from checkout_saga.handlers.api_routes import checkout, customers, events, orders, products, returns, sagas
from checkout_saga.handlers.api_routes.access import Audience, audience_of, require_audience
from checkout_saga.handlers.api_routes.body_limit import MAX_BODY_BYTES, refuse_oversized_body
from checkout_saga.handlers.api_routes.errors import (
    ApiError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    bad_page_token,
    error_response,
    invalid_request,
)
from checkout_saga.handlers.api_routes.json_body import parse_json_object, refuse_non_json
from checkout_saga.logic.page_tokens import BadPageToken
from checkout_saga.observability import logger, metrics, tracer

TITLE = "Checkout saga API"
ID_TOKEN_SCHEME = "CognitoIdToken"
VERSION = "1.0.0"

app = APIGatewayRestResolver(
    enable_validation=True,
    response_validation_error_http_code=500,  # a response that breaks its own schema is our bug, not the client's
    json_body_deserializer=parse_json_object,
)
for routes in (checkout, orders, returns, customers, sagas, products, events):
    app.include_router(routes.router)


@app.get("/openapi.json", summary="This API's OpenAPI document", tags=["meta"])
def get_openapi() -> dict[str, Any]:
    return openapi_document()


# ----------------------------------------------------------------------------- errors
@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid(error: RequestValidationError) -> Response[Any]:
    return error_response(invalid_request(error.errors()))


@app.exception_handler(BadPageToken)  # type: ignore[untyped-decorator]
def _bad_page_token(error: BadPageToken) -> Response[Any]:
    return error_response(bad_page_token(error))


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(error: ApiError) -> Response[Any]:
    return error_response(error)


@app.not_found
def _no_route(_: NotFoundError) -> Response[Any]:
    """API Gateway sends every method of a known resource here (ANY): a wrong method is a 405, not a 404;
    a right one that found no route had a path parameter the routes' patterns refuse (e.g. a control
    character): a 400 naming it."""
    method, path = app.current_event.http_method.upper(), app.current_event.path
    template = _template_of(path)
    if template is None:
        return error_response(NotFound(f"no route for {method} {path}"))
    allowed = sorted(name.upper() for name in route_methods()[template])
    if method not in allowed:
        return error_response(MethodNotAllowed(method, allowed))
    errors = [FieldError(field=name, message="contains characters it may not") for name in _parameters(template)]
    return error_response(InvalidRequest(f"invalid path {path!r}", errors))


def _template_of(path: str) -> str | None:
    """The documented path template (e.g. /orders/{orderId}) that `path` falls under; the most literal one when
    several do (/customers/me/orders before /customers/{customerId}/orders), as API Gateway routes."""
    matching = [
        str(template)
        for template in route_methods()
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path.rstrip("/") or "/")
    ]
    return min(matching, key=lambda template: template.count("{"), default=None)


def _parameters(template: str) -> list[str]:
    return re.findall(r"\{([^/]+)\}", template)


def _refuse_unknown_query_parameters(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """As bodies refuse unknown fields, routes refuse query parameters they do not declare."""
    declared = declared_query_parameters(app.context["_route"])
    event = app.current_event
    sent = set(event.multi_value_query_string_parameters or event.query_string_parameters or {})
    unknown = sorted(sent - declared)
    if unknown:
        errors = [FieldError(field=name, message="unknown query parameter") for name in unknown]
        raise InvalidRequest(f"unknown query parameter: {', '.join(unknown)}", errors)
    return next_middleware(app)


# ---------------------------------------------------------------------------- the routes, as each request checks them
# Every request's checks read the routes themselves, not the OpenAPI document: building the document's JSON schemas
# took about 170 ms of an API function's cold start. tests/api/test_routing_and_openapi.py holds both to the document.


@lru_cache(maxsize=1)
def route_methods() -> dict[str, frozenset[str]]:
    """Each path template (written as the document writes it, /orders/{orderId}) and its methods, lower case."""
    table: dict[str, set[str]] = {}
    for route in app._static_routes + app._dynamic_routes:  # powertools keeps its registered routes only here
        table.setdefault(route.openapi_path, set()).add(route.method.lower())
    return {template: frozenset(methods) for template, methods in table.items()}


def declared_query_parameters(route: Route) -> frozenset[str]:
    """The query parameters `route` declares, by the names the document gives them (their aliases)."""
    return frozenset(
        parameter.alias
        for parameter in get_flat_params(route.dependant)
        if getattr(parameter.field_info, "in_", None) is ParamTypes.query
    )


app.use(middlewares=[_refuse_unknown_query_parameters])


# ---------------------------------------------------------------------------- OpenAPI
@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description="Checkout as a saga: order, stock, payment, confirmation, compensated in reverse on failure.",
        )
    )
    # Powertools documents its own validation answers (422, and 500 for a bad response); this API answers
    # every invalid request with the 400 each route documents instead.
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
            operation["responses"].pop("500", None)
    schemas = document.get("components", {}).get("schemas", {})
    for generated in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(generated, None)
    _query_parameters_without_null(document)
    _document_edge_answers(document)
    return document


def _query_parameters_without_null(document: dict[str, Any]) -> None:
    """An optional query parameter is a string or absent: a query string has no null. Powertools writes an
    optional one as anyOf [its type, null]; the document says its type alone."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                kinds = [kind for kind in schema.get("anyOf", []) if kind != {"type": "null"}]
                if parameter.get("in") == "query" and len(kinds) == 1 and len(schema["anyOf"]) == 2:
                    del schema["anyOf"]
                    parameter["schema"] = {**kinds[0], **schema}


def _document_edge_answers(document: dict[str, Any]) -> None:
    """Who may call each route (api_routes.access): the token it needs, and its 401 and 403 answers; and the 413
    of a route that takes a body (api_routes.body_limit)."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[ID_TOKEN_SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A Cognito ID token of the stack's user pool, sent as is (`make token USER=...`).",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                operation["responses"]["413"] = {"description": f"A body over {MAX_BODY_BYTES} bytes", **error}
            audience = audience_of(method, path)
            if audience is Audience.ANYONE:
                continue
            operation["security"] = [{ID_TOKEN_SCHEME: []}]
            operation["responses"]["401"] = {"description": "No valid ID token (API Gateway answers)", **error}
            if audience is Audience.OPERATOR:
                operation["responses"]["403"] = {"description": "Only for operators (group admins)", **error}


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2) + "\n"


# ---------------------------------------------------------------------------- handler
@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return (
        refuse_the_caller(event)
        or refuse_oversized_body(event)
        or refuse_non_json(event)
        or app.resolve(event, context)
    )


def refuse_the_caller(event: dict[str, Any]) -> dict[str, Any] | None:
    """Who may call the route is decided first, before anything about the request is read (powertools validates
    the body before any middleware runs): 401 without an identity, 403 for a caller the route is not for. None
    when the caller may go on, or when there is no such route or method (routing answers 404 or 405)."""
    method = str(event.get("httpMethod") or "").upper()
    template = _template_of(str(event.get("path") or "/"))
    if template is None or method.lower() not in route_methods()[template]:
        return None
    try:
        require_audience(event, method, template)
    except ApiError as error:
        return {
            "statusCode": error.status_code,
            "headers": {"Content-Type": "application/json", **error.headers},
            "body": json.dumps(error.body()),
            "isBase64Encoded": False,
        }
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the API's OpenAPI document.")
    parser.add_argument("--write-openapi", metavar="PATH", type=Path, required=True)
    target = parser.parse_args(argv).write_openapi
    target.write_text(openapi_text(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
