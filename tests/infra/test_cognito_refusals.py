"""Local Cognito says no where Cognito says no: SignUp on an admin-only pool, ConfirmSignUp without the right code,
a sign-in flow the app client does not enable. Against a running server, with plain boto3 calls."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

PASSWORD = "Aa1-" + "x" * 20


def _pool(cognito: Any, *, admin_only: bool, flows: list[str] | None) -> tuple[str, str]:
    pool_id = cognito.create_user_pool(
        PoolName=f"refusals-{uuid.uuid4().hex[:8]}",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": admin_only},
    )["UserPool"]["Id"]
    client = {"UserPoolId": pool_id, "ClientName": "app", **({"ExplicitAuthFlows": flows} if flows is not None else {})}
    return pool_id, cognito.create_user_pool_client(**client)["UserPoolClient"]["ClientId"]


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def cognito(aws: Callable[[str], Any]) -> Any:
    return aws("cognito-idp")


def test_sign_up_is_refused_on_a_pool_where_only_administrators_create_users(cognito: Any) -> None:
    pool_id, client_id = _pool(cognito, admin_only=True, flows=None)
    with pytest.raises(ClientError) as raised:
        cognito.sign_up(ClientId=client_id, Username="walk-in", Password=PASSWORD)
    assert _error(raised) == ("NotAuthorizedException", "SignUp is not permitted for this user pool")
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []


def test_confirm_sign_up_needs_the_code_the_cloud_logged(cognito: Any, capsys: pytest.CaptureFixture[str]) -> None:
    pool_id, client_id = _pool(cognito, admin_only=False, flows=["ALLOW_USER_PASSWORD_AUTH"])
    assert cognito.sign_up(ClientId=client_id, Username="newcomer", Password=PASSWORD)["UserConfirmed"] is False
    logged = re.search(rf"confirmation code for user 'newcomer' of pool {pool_id}: (\d{{6}})", capsys.readouterr().err)
    assert logged, "the cloud logs the code it would have mailed"
    code = logged[1]

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for attempt in (wrong, ""):
        with pytest.raises(ClientError) as raised:
            cognito.confirm_sign_up(ClientId=client_id, Username="newcomer", ConfirmationCode=attempt or "000")
        assert _error(raised)[0] == "CodeMismatchException"

    def status() -> str:
        return str(cognito.admin_get_user(UserPoolId=pool_id, Username="newcomer")["UserStatus"])

    assert status() == "UNCONFIRMED"

    cognito.confirm_sign_up(ClientId=client_id, Username="newcomer", ConfirmationCode=code)
    assert status() == "CONFIRMED"
    signed_in = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "newcomer", "PASSWORD": PASSWORD}
    )
    assert signed_in["AuthenticationResult"]["IdToken"]


@pytest.mark.parametrize(
    ("flows", "refused", "allowed"),
    [
        (["ALLOW_ADMIN_USER_PASSWORD_AUTH"], "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"),
        (["ALLOW_USER_PASSWORD_AUTH"], "ADMIN_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
        (None, "ADMIN_USER_PASSWORD_AUTH", None),  # Cognito's default: SRP, custom auth and refresh only
        (None, "USER_PASSWORD_AUTH", None),
    ],
)  # fmt: skip
def test_a_sign_in_flow_the_client_does_not_enable_is_refused(
    cognito: Any, flows: list[str] | None, refused: str, allowed: str | None
) -> None:
    pool_id, client_id = _pool(cognito, admin_only=True, flows=flows)
    cognito.admin_create_user(UserPoolId=pool_id, Username="member", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="member", Password=PASSWORD, Permanent=True)
    credentials = {"USERNAME": "member", "PASSWORD": PASSWORD}

    def sign_in(flow: str) -> Any:
        if flow.startswith("ADMIN_"):
            return cognito.admin_initiate_auth(
                UserPoolId=pool_id, ClientId=client_id, AuthFlow=flow, AuthParameters=credentials
            )
        return cognito.initiate_auth(ClientId=client_id, AuthFlow=flow, AuthParameters=credentials)

    with pytest.raises(ClientError) as raised:
        sign_in(refused)
    assert _error(raised) == ("InvalidParameterException", "Auth flow not enabled for this client")
    if allowed is not None:
        assert sign_in(allowed)["AuthenticationResult"]["IdToken"]
