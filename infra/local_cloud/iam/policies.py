"""IAM's decision for one principal, one action, one resource: a role's identity-based policies (inline and
attached, gathered from moto's IAM backend) and, where the service has one, the resource's policy, each
evaluated by ``evaluation`` (AWS's documented logic; moto's own ``IAMPolicy`` ignores NotResource and conditions
and matches actions case-sensitively). An explicit Deny wins; without an Allow the answer is no.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from local_cloud.iam.evaluation import ContextValue, Decision, Principal, Request, decide


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


def allows(
    documents: list[str],
    action: str,
    resource: str,
    principal: Principal | None = None,
    context: Mapping[str, ContextValue] | None = None,
) -> bool:
    """Whether these identity-based policies (JSON texts) allow the request: some statement allows, none denies."""
    request = Request(action, resource, principal or Principal(), context or {})
    return decide([_policy(document) for document in documents], request) == Decision.ALLOW


def authorized(
    identity_documents: list[str],
    request: Request,
    resource_policy: Mapping[str, Any] | None = None,
    *,
    resource_policy_required: bool = False,
) -> bool:
    """AWS's decision within one account, identity and resource policies together: an explicit Deny in either
    refuses; a resource policy that names the caller itself allows on its own; otherwise the identity policies
    must allow, and when ``resource_policy_required`` (a KMS key policy) the resource policy must allow as well,
    if only by naming the account (which delegates to IAM)."""
    identity = decide([_policy(document) for document in identity_documents], request)
    if resource_policy is None:
        return identity == Decision.ALLOW
    by_account = decide([resource_policy], request, resource_policy=True)
    if Decision.EXPLICIT_DENY in (identity, by_account):
        return False
    if decide([resource_policy], request, resource_policy=True, account_names_principal=False) == Decision.ALLOW:
        return True
    if resource_policy_required:
        return by_account == Decision.ALLOW and identity == Decision.ALLOW
    return identity == Decision.ALLOW


@lru_cache(maxsize=512)
def _policy(document: str) -> Mapping[str, Any]:
    """Parsed once per document text: a role's policies change only when the stack is deployed again."""
    parsed = json.loads(document)
    return parsed if isinstance(parsed, dict) else {}


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
    caller = Principal(arn=principal_arn, account=account_of(role_arn), role_arn=role_arn)
    if not allows(role_documents(account_of(role_arn), role_name(role_arn)), action, resource, caller):
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
    resource: str,
) -> bool:
    """A resource-based policy (a function's, from ``AddPermission``; a queue's) deciding whether ``service``
    may perform ``action`` on ``resource`` for ``source_arn``, with AWS's evaluation logic (``evaluation``)."""
    request = Request(
        action,
        resource,
        Principal(service=service),
        {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account},
    )
    return decide([{"Statement": statements}], request, resource_policy=True) == Decision.ALLOW
