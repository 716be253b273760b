"""AWS::Logs::LogGroup: created if missing (a function that already ran may have made it, as Lambda does on
AWS), and its retention converged on the template's (none: kept forever)."""

from __future__ import annotations

from typing import Any

from .base import Provisioner, Result, Target


class LogGroupProvisioner(Provisioner):
    resource_type = "AWS::Logs::LogGroup"
    properties = frozenset({"LogGroupName", "RetentionInDays"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        logs = target.clients("logs")
        name = str(properties.get("LogGroupName") or target.name(logical_id, max_length=512))
        found = [
            group
            for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
            for group in page.get("logGroups", [])
            if group["logGroupName"] == name
        ]
        if not found:
            logs.create_log_group(logGroupName=name)
        current = found[0].get("retentionInDays") if found else None
        wanted = None if properties.get("RetentionInDays") is None else int(properties["RetentionInDays"])
        if wanted != current:
            if wanted is None:
                logs.delete_retention_policy(logGroupName=name)
            else:
                logs.put_retention_policy(logGroupName=name, retentionInDays=wanted)
        action = "created" if not found else "updated" if wanted != current else "unchanged"
        arn = f"arn:{target.partition}:logs:{target.region}:{target.account_id}:log-group:{name}:*"
        return Result(ref=name, action=action, attributes={"Arn": arn})
