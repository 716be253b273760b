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

import re
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
    return Caller(username=username, groups=_groups(claims.get("cognito:groups")))


def _groups(value: Any) -> frozenset[str]:
    """API Gateway passes every claim as a string: a list of groups comes as "a,b" (or "[a b]" on some paths)."""
    if isinstance(value, list):
        return frozenset(str(group) for group in value)
    if not isinstance(value, str):
        return frozenset()
    return frozenset(part for part in re.split(r"[\s,]+", value.strip("[]")) if part)


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
