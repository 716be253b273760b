"""KMS keys as IAM sees them: a request naming a key by id, ARN, alias or alias ARN (or, for Decrypt, none: the
key is in the ciphertext) is authorized on the key's ARN, under the key's policy, with the alias named in
``kms:RequestAlias`` and the key's aliases in ``kms:ResourceAliases``. A key policy is required on every KMS
request: a statement naming the account (its root) delegates to the identity policies; one naming a role or
a service allows on its own (``policies.authorized``)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from local_cloud.iam.evaluation import Principal, Request
from local_cloud.iam.policies import authorized

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyFacts:
    arn: str
    policy: dict[str, Any]
    aliases: tuple[str, ...]  # alias/<name> of the key
    requested_alias: str = ""  # the alias the request named, if any


def find_key(account: str, region: str, key: str, ciphertext: bytes | None = None) -> KeyFacts | None:
    """The key a request names (or the one a ciphertext was sealed with); None if there is no such key (the
    operation then answers NotFoundException itself)."""
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    requested_alias = ""
    if not key and ciphertext:
        key = _key_in_ciphertext(ciphertext)
    alias = backend.get_alias_name(key)
    if alias.startswith("alias/"):
        requested_alias = alias
        if not any(alias in k.aliases for k in backend.keys.values()):
            return None  # an AWS managed alias not yet made, or none: KMS answers NotFoundException
        key = backend.get_key_id_from_alias(alias) or ""
    found = backend.keys.get(backend.get_key_id(key))
    if found is None:
        return None
    policy = json.loads(found.policy) if isinstance(found.policy, str) else dict(found.policy)
    return KeyFacts(found.arn, policy, tuple(found.aliases), requested_alias)


def _key_in_ciphertext(ciphertext: bytes) -> str:
    from moto.kms.utils import _deserialize_ciphertext_blob

    try:
        return str(_deserialize_ciphertext_blob(ciphertext).key_id)
    except Exception:  # not a ciphertext of this cloud: Decrypt answers InvalidCiphertextException
        return ""


def context(key: KeyFacts, principal: Principal) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {"kms:ResourceAliases": list(key.aliases)}
    if key.requested_alias:
        values["kms:RequestAlias"] = key.requested_alias
    if principal.account:
        values["kms:CallerAccount"] = principal.account
    return values


def key_allows(key: KeyFacts, identity_documents: list[str], request: Request) -> bool:
    return authorized(identity_documents, request, key.policy, resource_policy_required=True)


def service_may_use(
    account: str, region: str, key_id: str, service: str, actions: list[str], source_arn: str
) -> tuple[bool, str]:
    """Whether the key's policy lets ``service`` (acting for ``source_arn``) perform every one of ``actions``;
    with the reason when it does not. An AWS managed key (``alias/aws/...``) has a policy no one can extend:
    it admits only calls made through its own service by the account's principals, never another service."""
    key = find_key(account, region, key_id)
    if key is None:
        name = key_id if key_id.startswith(("alias/", "arn:")) else f"key {key_id}"
        return False, f"{name} is not a key of the account, or an AWS managed key whose policy admits no other service"
    principal = Principal(service=service)
    for action in actions:
        request = Request(
            action,
            key.arn,
            principal,
            {"aws:SourceArn": source_arn, "aws:SourceAccount": account, **context(key, principal)},
        )
        if not key_allows(key, [], request):
            return False, f"the key policy of {key.arn} does not allow {service} to {action}"
    return True, ""
