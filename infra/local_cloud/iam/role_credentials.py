"""Temporary credentials of execution roles, as Lambda and Step Functions get them: ``sts:AssumeRole`` on the
role for the service principal that runs the code, renewed before they expire.

Issued by moto's STS backend directly (the service, not a caller, assumes the role), so moto's access
control recognises them as ``assumed-role/<role>/<session>`` and evaluates the role's policies. A role whose
trust policy does not name the service cannot be assumed, as on AWS.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# AssumeRole's default session length; renewed when a third of it is left, so a warm worker's SDK, which
# re-reads its environment 15 minutes before expiry, always finds fresh credentials there.
DEFAULT_DURATION_SECONDS = 3600
DEFAULT_RENEW_BEFORE_SECONDS = 1200


class RoleNotAssumable(Exception):
    """The role does not exist, or its trust policy does not let the service assume it."""


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime.datetime  # UTC
    principal_arn: str  # arn:aws:sts::<account>:assumed-role/<role>/<session>

    def environment(self) -> dict[str, str]:
        """The variables Lambda sets; with the expiry, botocore re-reads them before they run out."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
            "AWS_CREDENTIAL_EXPIRATION": self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


@dataclass
class _Issued:
    credentials: TemporaryCredentials
    assumed_roles: list[Any]  # the STS backend's list they were recorded in: a reset replaces it


class RoleCredentials:
    def __init__(
        self,
        *,
        duration_seconds: int = DEFAULT_DURATION_SECONDS,
        renew_before_seconds: int = DEFAULT_RENEW_BEFORE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.duration_seconds = duration_seconds
        self.renew_before_seconds = renew_before_seconds
        self._clock = clock
        self._issued: dict[tuple[str, str, str], _Issued] = {}
        self._lock = threading.Lock()

    def for_role(self, role_arn: str, session_name: str, service: str) -> TemporaryCredentials:
        """Credentials of ``role_arn`` for ``service`` (e.g. ``lambda.amazonaws.com``), reused until they near
        their expiry. Raises RoleNotAssumable."""
        from moto.sts.models import sts_backends

        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        sts = sts_backends[account]["aws"]
        key = (role_arn, session_name, service)
        with self._lock:
            issued = self._issued.get(key)
            if issued is not None and issued.assumed_roles is sts.assumed_roles and not self._due(issued):
                return issued.credentials
            _check_trust(account, role_arn, service)
            assumed = sts.assume_role(
                region_name="us-east-1",
                role_session_name=session_name,
                role_arn=role_arn,
                policy="",
                duration=self.duration_seconds,
                external_id="",
            )
            # Times come from our clock, so that tests can move it; moto's AssumedRole keeps its own.
            expiration = datetime.datetime.fromtimestamp(self._clock() + self.duration_seconds, datetime.UTC)
            assumed.expiration = expiration.replace(tzinfo=None)
            credentials = TemporaryCredentials(
                access_key_id=assumed.access_key_id,
                secret_access_key=assumed.secret_access_key,
                session_token=assumed.session_token,
                expiration=expiration,
                principal_arn=f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session_name}",
            )
            self._issued[key] = _Issued(credentials, sts.assumed_roles)
            return credentials

    def _due(self, issued: _Issued) -> bool:
        return issued.credentials.expiration.timestamp() - self._clock() <= self.renew_before_seconds


def _check_trust(account: str, role_arn: str, service: str) -> None:
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception as exc:  # moto's NotFoundException
        raise RoleNotAssumable(f"The role {role_arn} does not exist") from exc
    document = role.assume_role_policy_document
    trust = json.loads(document) if isinstance(document, str) else document
    if not any(_trusts(statement, service) for statement in _statements(trust)):
        raise RoleNotAssumable(
            f"The role {role_arn} cannot be assumed by {service}: its trust policy does not allow it"
        )


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _trusts(statement: Mapping[str, Any], service: str) -> bool:
    actions = statement.get("Action") or []
    actions = [actions] if isinstance(actions, str) else actions
    principal = statement.get("Principal") or {}
    services = (principal.get("Service") or []) if isinstance(principal, dict) else []
    services = [services] if isinstance(services, str) else services
    return statement.get("Effect") == "Allow" and "sts:AssumeRole" in actions and service in services
