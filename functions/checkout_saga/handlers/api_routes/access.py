"""Who may call which route (docs/security.md, "Who may do what").

API Gateway's Cognito authorizer has already refused a missing, forged or expired token with a 401 and put
the token's claims in `requestContext.authorizer.claims`; this module decides what the signed-in caller may do:

- customers (any signed-in user) act for themselves only: the order's customer is the token's
  `cognito:username`, and someone else's order is a 404 to them (its existence is not revealed);
- operators (the user pool's group `admins`) may also use the operators' routes and act for any customer.

`ROUTE_AUDIENCE` says who each route is for. A route missing from it is for operators only, so a new route is
closed until someone decides otherwise.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from checkout_saga.handlers.api_routes.errors import ApiError

OPERATORS_GROUP = "admins"


class Audience(StrEnum):
    ANYONE = "anyone"  # no token needed (the template opens these routes on API Gateway too)
    CUSTOMER = "customer"  # any signed-in user; the route limits them to their own data
    OPERATOR = "operator"  # members of OPERATORS_GROUP only


ROUTE_AUDIENCE: dict[tuple[str, str], Audience] = {
    ("GET", "/openapi.json"): Audience.ANYONE,
    ("POST", "/checkout"): Audience.CUSTOMER,
    ("GET", "/orders/{orderId}"): Audience.CUSTOMER,
    ("GET", "/products/{sku}"): Audience.CUSTOMER,
    ("PUT", "/products/{sku}"): Audience.OPERATOR,
    ("GET", "/sagas"): Audience.OPERATOR,
    ("POST", "/orders/{orderId}/returns"): Audience.CUSTOMER,
    ("GET", "/returns/{returnId}"): Audience.CUSTOMER,
    ("GET", "/customers/me/orders"): Audience.CUSTOMER,
    ("GET", "/sagas/{orderId}/events"): Audience.CUSTOMER,
    ("GET", "/customers/me/summary"): Audience.CUSTOMER,
}


def audience_of(method: str, path_template: str) -> Audience:
    return ROUTE_AUDIENCE.get((method.upper(), path_template), Audience.OPERATOR)


class Unauthorized(ApiError):
    """No identity reached the function: API Gateway's authorizer is missing in front of it."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class Forbidden(ApiError):
    status_code = 403


@dataclass(frozen=True)
class Caller:
    username: str
    groups: frozenset[str]

    @property
    def is_operator(self) -> bool:
        return OPERATORS_GROUP in self.groups

    def may_act_for(self, customer_id: str) -> bool:
        return self.is_operator or customer_id == self.username


def caller_of(event: dict[str, Any]) -> Caller | None:
    """The signed-in caller of a proxy event, from the claims API Gateway's Cognito authorizer passed on."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    username = claims.get("cognito:username")
    if not isinstance(username, str) or not username:
        return None
    headers = event.get("headers") or {}
    token = next((value for name, value in headers.items() if name.lower() == "authorization"), None)
    return Caller(username=username, groups=groups_of(claims, token))


def groups_of(claims: dict[str, Any], token: Any) -> frozenset[str]:
    """The caller's groups, never guessed by splitting on commas.

    API Gateway renders the token's `cognito:groups` list as its items joined with commas ("admins,ops"), and a
    group name may hold a comma: that string alone cannot tell the groups ["x,admins"] from ["x", "admins"]. The
    list itself is in the ID token the caller sent in `Authorization`, the very token the authorizer verified: it
    is read there, once it is the same caller's and renders as the claim. Without it, a claim with no comma is one
    group, and a claim with a comma grants none.
    """
    rendered = claims.get("cognito:groups")
    if not isinstance(rendered, str) or not rendered:
        return frozenset()
    listed = _token_groups(token, claims)
    if listed is not None and ",".join(listed) == rendered:
        return frozenset(listed)
    return frozenset() if "," in rendered else frozenset({rendered})


def _token_groups(token: Any, claims: dict[str, Any]) -> list[str] | None:
    """`cognito:groups` of the ID token, if it is a JWT of the caller the claims describe; its signature was
    checked by API Gateway's authorizer, which read this same header."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    try:
        segment = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or any(
        payload.get(name) != claims.get(name) for name in ("sub", "cognito:username")
    ):
        return None
    groups = payload.get("cognito:groups")
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        return None
    return groups


def require_audience(event: dict[str, Any], method: str, path_template: str) -> Caller | None:
    """The caller, if the route's audience admits them; raises Unauthorized or Forbidden otherwise."""
    audience = audience_of(method, path_template)
    if audience is Audience.ANYONE:
        return caller_of(event)
    caller = caller_of(event)
    if caller is None:
        raise Unauthorized()
    if audience is Audience.OPERATOR and not caller.is_operator:
        raise Forbidden(f"{method.upper()} {path_template} is for operators (group {OPERATORS_GROUP}) only")
    return caller


def signed_in_caller(event: dict[str, Any]) -> Caller:
    """The caller of a route whose audience needs a token (require_audience has let them through)."""
    caller = caller_of(event)
    if caller is None:
        raise Unauthorized()
    return caller
