"""IAM's decision for one principal, one action, one resource: identity-based policies only, as the stack uses.

Policy documents are evaluated by moto's own ``IAMPolicy`` (Allow/Deny, Action/NotAction, wildcards); this
module feeds it the resource ARN it is otherwise never given, and gathers a role's policies (inline and
attached) from moto's IAM backend. An explicit Deny wins; without an Allow the answer is no.
"""

from __future__ import annotations

import fnmatch
import json
from functools import lru_cache
from typing import Any


class AccessDenied(Exception):
    """What AWS answers when no identity-based policy allows an action on a resource."""

    def __init__(self, principal_arn: str, action: str, resource: str) -> None:
        self.principal_arn = principal_arn
        self.action = action
        self.resource = resource
        super().__init__(
            f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action"
        )


def allows(documents: list[str], action: str, resource: str) -> bool:
    from moto.iam.access_control import PermissionResult

    permitted = False
    for document in documents:
        result = _policy(document).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return False
        permitted = permitted or result == PermissionResult.PERMITTED
    return permitted


@lru_cache(maxsize=512)
def _policy(document: str) -> Any:
    """Parsed once per document text: a role's policies change only when the stack is deployed again."""
    from moto.iam.access_control import IAMPolicy

    return IAMPolicy(document)


def role_documents(account_id: str, role_name: str) -> list[str]:
    """The policy documents of a role, inline and attached (default versions), as JSON text."""
    from moto.iam.models import iam_backends

    role = iam_backends[account_id]["aws"].get_role(role_name)
    documents = [_text(document) for document in role.policies.values()]
    for policy in role.managed_policies.values():
        version = next(v for v in policy.versions if v.is_default)
        documents.append(_text(version.document))
    return documents


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def authorize_role(role_arn: str, principal_arn: str, action: str, resource: str) -> None:
    """Raises AccessDenied unless the role's policies allow ``action`` on ``resource``."""
    if not allows(role_documents(account_of(role_arn), role_name(role_arn)), action, resource):
        raise AccessDenied(principal_arn, action, resource)


def _text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def resource_policy_allows(
    statements: list[dict[str, Any]],
    *,
    service: str,
    action: str,
    source_arn: str,
    source_account: str,
    resource: str | None = None,
) -> bool:
    """A resource-based policy (a function's, from ``AddPermission``; a queue's) deciding whether ``service``
    may perform ``action`` for ``source_arn``; with ``resource``, only statements whose ``Resource`` matches it
    count (a queue policy names its queue; a function's statements need not). Condition operators other than
    the ARN and string ones are not understood and so never satisfied: the answer is then no."""
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
    allowed = False
    for statement in statements:
        if not (_matches_any(statement.get("Action"), action) and _names_service(statement.get("Principal"), service)):
            continue
        if resource is not None and not _matches_any(statement.get("Resource"), resource):
            continue
        if not _conditions_hold(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


_CONDITION_OPERATORS = {"ArnLike", "ArnEquals", "StringEquals", "StringLike"}


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in conditions.items():
        if operator not in _CONDITION_OPERATORS:
            return False
        for key, expected in tests.items():
            actual = context.get(key.lower())
            patterns = expected if isinstance(expected, list) else [expected]
            if actual is None:
                return False
            exact = operator == "StringEquals"
            if not any(actual == p if exact else _wildcard(str(p), actual) for p in patterns):
                return False
    return True


def _names_service(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    services = principal.get("Service") if isinstance(principal, dict) else None
    return service in ([services] if isinstance(services, str) else services or [])


def _matches_any(patterns: Any, value: str) -> bool:
    return any(_wildcard(str(p), value) for p in ([patterns] if isinstance(patterns, str) else patterns or []))


def _wildcard(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))
