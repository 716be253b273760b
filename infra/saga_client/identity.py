"""Cognito ID tokens for the stack's user pool, as `make token` prints them and the API's clients send them.

A user is created if missing (the pool lets only administrators create users), given a fresh random password,
put in the operators' group when asked, and signed in with ADMIN_USER_PASSWORD_AUTH: the same calls work on
the local cloud, on LocalStack and on AWS with administrator credentials.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from saga_client.aws_session import aws_session

OPERATORS_GROUP = "admins"


def _password() -> str:
    # Meets the pool's policy (12+ characters with lower, upper and digits) whatever the random draw.
    alphabet = string.ascii_letters + string.digits
    return "Aa1-" + "".join(secrets.choice(alphabet) for _ in range(28))


def id_token(cognito: Any, pool_id: str, client_id: str, username: str, *, group: str | None = None) -> str:
    """An ID token for `username` of the pool, the user created if missing and put in `group` if given."""
    try:
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "UsernameExistsException":
            raise
    password = _password()
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    if group:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


class StackIdentities:
    """ID tokens for one deployed stack (its outputs `UserPoolId` and `UserPoolClientId`), one per user, cached."""

    @classmethod
    def of(cls, outputs: dict[str, str], endpoint_url: str | None) -> StackIdentities:
        return cls(outputs, aws_session(endpoint_url).client("cognito-idp"))

    def __init__(self, outputs: dict[str, str], cognito: Any) -> None:
        self._pool_id = outputs["UserPoolId"]
        self._client_id = outputs["UserPoolClientId"]
        self._cognito = cognito
        self._tokens: dict[tuple[str, str | None], str] = {}

    def token(self, username: str, *, group: str | None = None) -> str:
        key = (username, group)
        if key not in self._tokens:
            self._tokens[key] = id_token(self._cognito, self._pool_id, self._client_id, username, group=group)
        return self._tokens[key]

    def operator(self, username: str = "operator") -> str:
        return self.token(username, group=OPERATORS_GROUP)
