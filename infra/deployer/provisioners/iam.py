"""AWS::IAM::Role with its trust policy, inline policies and managed policy attachments."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from .base import Provisioner, Result, Target, error_code, tag_dict

_AWS_MANAGED = re.compile(r"^arn:[^:]+:iam::aws:policy/")


def _versioned(document: dict[str, Any]) -> dict[str, Any]:
    """SAM's generated policies carry no Version. AWS then assumes 2008-10-17, moto refuses
    them; 2012-10-17 differs only for policy variables, which SAM's policies do not use."""
    return {"Version": "2012-10-17", **document}


def _document(value: Any) -> Any:
    """IAM answers with policy documents decoded (boto3) or as JSON text (some emulators)."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


class RoleProvisioner(Provisioner):
    resource_type = "AWS::IAM::Role"
    properties = frozenset(
        {
            "AssumeRolePolicyDocument",
            "Description",
            "ManagedPolicyArns",
            "MaxSessionDuration",
            "Path",
            "PermissionsBoundary",
            "Policies",
            "RoleName",
            "Tags",
        }
    )
    required = frozenset({"AssumeRolePolicyDocument"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        iam = target.clients("iam")
        name = properties.get("RoleName") or target.name(logical_id, max_length=64, disallowed=r"[^\w+=,.@-]")
        trust = _versioned(properties["AssumeRolePolicyDocument"])
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            role = self._create(iam, name, json.dumps(trust), properties)
            changed, action = True, "created"
        else:
            changed = _document(role.get("AssumeRolePolicyDocument")) != trust
            if changed:
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
            action = "updated"
        changed = self._inline_policies(iam, name, properties.get("Policies") or []) or changed
        arns = properties.get("ManagedPolicyArns") or []
        changed = self._managed_policies(iam, name, arns, target) or changed
        return Result(
            ref=name,
            action=action if changed else "unchanged",
            attributes={"Arn": role["Arn"], "RoleId": role["RoleId"]},
        )

    @staticmethod
    def _create(iam: Any, name: str, trust: str, props: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": trust,
            "Path": props.get("Path", "/"),
        }
        if "Description" in props:
            kwargs["Description"] = props["Description"]
        if "MaxSessionDuration" in props:
            kwargs["MaxSessionDuration"] = int(props["MaxSessionDuration"])
        if "PermissionsBoundary" in props:
            kwargs["PermissionsBoundary"] = props["PermissionsBoundary"]
        if props.get("Tags"):
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tag_dict(props["Tags"]).items()]
        return dict(iam.create_role(**kwargs)["Role"])

    @staticmethod
    def _inline_policies(iam: Any, role: str, policies: list[dict[str, Any]]) -> bool:
        desired = {p["PolicyName"]: _versioned(p["PolicyDocument"]) for p in policies}
        current = set(iam.list_role_policies(RoleName=role)["PolicyNames"])
        changed = False
        for stale in current - set(desired):
            iam.delete_role_policy(RoleName=role, PolicyName=stale)
            changed = True
        for policy_name, document in desired.items():
            if policy_name in current:
                attached = iam.get_role_policy(RoleName=role, PolicyName=policy_name)
                if _document(attached["PolicyDocument"]) == document:
                    continue
            iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(document))
            changed = True
        return changed

    @staticmethod
    def _managed_policies(iam: Any, role: str, arns: list[str], target: Target) -> bool:
        attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
        changed = False
        for stale in attached - set(arns):
            iam.detach_role_policy(RoleName=role, PolicyArn=stale)
            changed = True
        for arn in sorted(set(arns) - attached):
            try:
                iam.attach_role_policy(RoleName=role, PolicyArn=arn)
                changed = True
            except ClientError as exc:
                # Emulators (moto by default) ship without AWS's managed policies; they do
                # not enforce IAM either, so the role works the same without them.
                if error_code(exc) != "NoSuchEntity" or not _AWS_MANAGED.match(arn):
                    raise
                target.note_once(f"  note: {arn} is not on this target; roles go without it")
        return changed
