"""The caller's groups come from the `cognito:groups` list, never from splitting API Gateway's rendering of it on
commas: a group whose name holds a comma grants no other group (docs/security.md, "Who may do what")."""

from __future__ import annotations

import pytest

from tests.api.conftest import Call, Cloud
from tests.support.events import claims_of, id_token_of

OPERATORS_ROUTE = ("GET", "/sagas")


def _status(call: Call, claims: dict[str, str], token: str | None) -> int:
    headers = {"Authorization": token} if token is not None else {}
    return call(*OPERATORS_ROUTE, caller=claims, headers=headers, query={"status": "CONFIRMED"}).status


def test_a_group_named_with_a_comma_does_not_make_an_operator(call: Call, cloud: Cloud) -> None:
    # AWS renders ["x,admins"] and ["x", "admins"] alike: "x,admins". The token's list tells them apart.
    claims = claims_of("mallory", "x,admins")
    assert claims["cognito:groups"] == "x,admins"
    assert _status(call, claims, id_token_of("mallory", "x,admins")) == 403
    assert _status(call, claims, None) == 403  # no list to read: a rendering with a comma grants nothing


def test_an_operator_among_several_groups_is_one(call: Call, cloud: Cloud) -> None:
    claims = claims_of("ops", "support", "admins")
    assert _status(call, claims, id_token_of("ops", "support", "admins")) == 200


@pytest.mark.parametrize(
    "token",
    [id_token_of("someone-else", "support", "admins"),  # another caller's token
     id_token_of("ops", "admins", "support"),  # a list that does not render as the claim
     "<Cognito ID token>", "a.b.c"],
)  # fmt: skip
def test_a_token_that_is_not_the_callers_grants_nothing(call: Call, cloud: Cloud, token: str) -> None:
    assert _status(call, claims_of("ops", "support", "admins"), token) == 403


def test_one_group_needs_no_token(call: Call, cloud: Cloud) -> None:
    assert _status(call, claims_of("ops", "admins"), None) == 200
    assert _status(call, claims_of("c-42", "admins-not"), None) == 403
