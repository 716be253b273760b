"""AWS::KMS::Key. Keys have no name: a deploy tags its keys (stack, logical id) to find them the next time, and
converges description, key policy and rotation in place (a key is never replaced: what it sealed must open)."""

from __future__ import annotations

import json
from typing import Any

from .base import Provisioner, Result, Target, tag_dict

_STACK_TAG, _LOGICAL_ID_TAG = "deployer:stack", "deployer:logical-id"


class KeyProvisioner(Provisioner):
    resource_type = "AWS::KMS::Key"
    properties = frozenset({"Description", "EnableKeyRotation", "Enabled", "KeyPolicy", "KeySpec", "KeyUsage", "Tags"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        kms = target.clients("kms")
        policy = properties.get("KeyPolicy")
        policy_text = policy if isinstance(policy, str) or policy is None else json.dumps(policy)
        key_id = self._find(kms, target.stack_name, logical_id)
        if key_id is None:
            tags = {**tag_dict(properties.get("Tags")), _STACK_TAG: target.stack_name, _LOGICAL_ID_TAG: logical_id}
            kwargs: dict[str, Any] = {
                "Description": str(properties.get("Description", "")),
                "KeyUsage": str(properties.get("KeyUsage", "ENCRYPT_DECRYPT")),
                "KeySpec": str(properties.get("KeySpec", "SYMMETRIC_DEFAULT")),
                "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags.items()],
            }
            if policy_text:
                kwargs["Policy"] = policy_text
            key_id = str(kms.create_key(**kwargs)["KeyMetadata"]["KeyId"])
            action = "created"
        else:
            kms.update_key_description(KeyId=key_id, Description=str(properties.get("Description", "")))
            if policy_text:
                kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy_text)
            action = "updated"
        if str(properties.get("EnableKeyRotation", False)).lower() == "true":
            kms.enable_key_rotation(KeyId=key_id)
        else:
            kms.disable_key_rotation(KeyId=key_id)
        arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        return Result(ref=key_id, action=action, attributes={"Arn": arn, "KeyId": key_id})

    @staticmethod
    def _find(kms: Any, stack_name: str, logical_id: str) -> str | None:
        for page in kms.get_paginator("list_keys").paginate():
            for key in page.get("Keys", []):
                state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"].get("KeyState")
                if state in ("PendingDeletion", "PendingReplicaDeletion"):
                    continue
                tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])}
                if tags.get(_STACK_TAG) == stack_name and tags.get(_LOGICAL_ID_TAG) == logical_id:
                    return str(key["KeyId"])
        return None


class AliasProvisioner(Provisioner):
    """AWS::KMS::Alias: a key's stable name (keys have only generated ids); pointed at the template's key."""

    resource_type = "AWS::KMS::Alias"
    properties = frozenset({"AliasName", "TargetKeyId"})
    required = frozenset({"AliasName", "TargetKeyId"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        kms = target.clients("kms")
        name, key = str(properties["AliasName"]), str(properties["TargetKeyId"])
        current = [
            alias
            for page in kms.get_paginator("list_aliases").paginate()
            for alias in page.get("Aliases", [])
            if alias["AliasName"] == name
        ]
        if not current:
            kms.create_alias(AliasName=name, TargetKeyId=key)
            return Result(ref=name, action="created")
        if current[0].get("TargetKeyId") == key.rsplit("/", 1)[-1]:
            return Result(ref=name, action="unchanged")
        kms.update_alias(AliasName=name, TargetKeyId=key)
        return Result(ref=name, action="updated")
