"""Local Cognito says no where Cognito says no; moto (pinned: 5.2.5) says yes to all of these:

- **SignUp** on a pool whose ``AdminCreateUserConfig.AllowAdminCreateUserOnly`` is true: ``NotAuthorizedException``
  (only an administrator creates users there).
- **ConfirmSignUp** needs the code Cognito would have sent: SignUp makes a 6-digit code and, as no mail leaves this
  machine, the local cloud writes it to its log (``.local-cloud/server.log`` under ``make up``); a wrong code is
  ``CodeMismatchException``. An administrator may confirm without it (``AdminConfirmSignUp``), as on AWS.
- **Sign-in flows** an app client does not list in ``ExplicitAuthFlows``: ``InvalidParameterException`` ("Auth
  flow not enabled for this client"). A client that lists none gets Cognito's default (SRP, custom auth, refresh).
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from local_cloud.seams import Installation, install_each, replace, require_signature

NOT_ENABLED = "Auth flow not enabled for this client"
# Each sign-in flow, and the ExplicitAuthFlows entries (current and legacy names) that enable it.
FLOW_ENABLED_BY = {
    "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
}
# What Cognito enables for a client created without ExplicitAuthFlows.
DEFAULT_FLOWS = frozenset({"ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"})
LEGACY_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH_FLOW_ONLY"})


def enabled_flows(client: Any) -> frozenset[str]:
    listed = frozenset(client.extended_config.get("ExplicitAuthFlows") or ())
    if not listed:
        return DEFAULT_FLOWS
    if listed <= LEGACY_FLOWS:  # legacy-only lists keep SRP and refresh, as they did before the ALLOW_ names
        return listed | {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    return listed


def check_flow(backend: Any, client_id: str, auth_flow: str) -> None:
    from moto.cognitoidp.exceptions import InvalidParameterException

    needed = FLOW_ENABLED_BY.get(auth_flow)
    client = next((pool.clients[client_id] for pool in backend.user_pools.values() if client_id in pool.clients), None)
    if needed is None or client is None:
        return  # an unknown flow or client: moto's own answer (InvalidParameterException, ResourceNotFound)
    if not needed & enabled_flows(client):
        raise InvalidParameterException(NOT_ENABLED)


def install_flow_limits() -> Installation:
    from moto.cognitoidp.models import CognitoIdpBackend

    initiate_auth = CognitoIdpBackend.initiate_auth
    admin_initiate_auth = CognitoIdpBackend.admin_initiate_auth
    require_signature(initiate_auth, ["self", "client_id", "auth_flow", "auth_parameters"], "initiate_auth")
    require_signature(
        admin_initiate_auth,
        ["self", "user_pool_id", "client_id", "auth_flow", "auth_parameters"],
        "admin_initiate_auth",
    )

    def limited_initiate_auth(self: Any, client_id: str, auth_flow: str, auth_parameters: Any) -> Any:
        check_flow(self, client_id, auth_flow)
        return initiate_auth(self, client_id, auth_flow, auth_parameters)

    def limited_admin_initiate_auth(
        self: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: Any
    ) -> Any:
        check_flow(self, client_id, auth_flow)
        return admin_initiate_auth(self, user_pool_id, client_id, auth_flow, auth_parameters)

    return Installation(
        [
            replace(CognitoIdpBackend, "initiate_auth", limited_initiate_auth),
            replace(CognitoIdpBackend, "admin_initiate_auth", limited_admin_initiate_auth),
        ]
    )


def _pool_of_client(backend: Any, client_id: str) -> Any:
    return next((pool for pool in backend.user_pools.values() if client_id in pool.clients), None)


def install_sign_up_rules() -> Installation:
    from moto.cognitoidp.exceptions import CodeMismatchException, NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.cognitoidp.responses import CognitoIdpResponse

    sign_up = CognitoIdpBackend.sign_up
    confirm_sign_up = CognitoIdpResponse.confirm_sign_up
    require_signature(sign_up, ["self", "client_id", "username", "password", "attributes"], "sign_up")
    require_signature(confirm_sign_up, ["self"], "CognitoIdpResponse.confirm_sign_up")

    def guarded_sign_up(self: Any, client_id: str, username: str, password: str, attributes: Any) -> Any:
        pool = _pool_of_client(self, client_id)
        if pool is not None and pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
            raise NotAuthorizedError("SignUp is not permitted for this user pool")
        user, delivery = sign_up(self, client_id, username, password, attributes)
        user.confirmation_code = f"{secrets.randbelow(10**6):06d}"
        # No mail leaves this machine: the code goes to the cloud's log, where the person testing reads it.
        print(
            f"local cloud: Cognito confirmation code for user {user.username!r} of pool {pool.id}: "
            f"{user.confirmation_code}",
            file=sys.stderr,
            flush=True,
        )
        return user, delivery

    def checked_confirm_sign_up(self: Any) -> Any:
        client_id, username = self._get_param("ClientId"), self._get_param("Username")
        backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
        pool = _pool_of_client(backend, client_id)
        user = pool._get_user(username) if pool is not None else None
        if user is not None and (
            user.confirmation_code is None or self._get_param("ConfirmationCode") != user.confirmation_code
        ):
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        answer = confirm_sign_up(self)
        if user is not None:
            user.confirmation_code = None  # a code confirms once
        return answer

    return Installation(
        [
            replace(CognitoIdpBackend, "sign_up", guarded_sign_up),
            replace(CognitoIdpResponse, "confirm_sign_up", checked_confirm_sign_up),
        ]
    )


def install_all() -> Installation:
    return install_each({"sign_up_rules": install_sign_up_rules, "auth_flow_limits": install_flow_limits})
