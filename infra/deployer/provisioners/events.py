"""AWS::Events::Rule (what SAM makes of a `Schedule` event): PutRule and PutTargets converge a rule by name.

The local cloud stores the rule and its targets in moto; moto's EventBridge does not invoke Lambda targets,
so a schedule does not fire there (README, "Loud failures")."""

from __future__ import annotations

import json
from typing import Any

from .base import Provisioner, Result, Target


class RuleProvisioner(Provisioner):
    resource_type = "AWS::Events::Rule"
    properties = frozenset(
        {"Description", "EventBusName", "EventPattern", "Name", "ScheduleExpression", "State", "Targets"}
    )

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        events = target.clients("events")
        name = str(properties.get("Name") or target.name(logical_id, max_length=64, disallowed=r"[^A-Za-z0-9_.-]"))
        existed = any(rule["Name"] == name for rule in events.list_rules(NamePrefix=name).get("Rules", []))
        kwargs: dict[str, Any] = {"Name": name, "State": str(properties.get("State", "ENABLED"))}
        for key in ("Description", "EventBusName", "ScheduleExpression"):
            if key in properties:
                kwargs[key] = str(properties[key])
        if "EventPattern" in properties:
            pattern = properties["EventPattern"]
            kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        arn = str(events.put_rule(**kwargs)["RuleArn"])
        targets = [{"Id": str(t["Id"]), "Arn": str(t["Arn"])} for t in properties.get("Targets") or []]
        current = [t["Id"] for t in events.list_targets_by_rule(Rule=name).get("Targets", [])]
        stale = sorted(set(current) - {t["Id"] for t in targets})
        if stale:
            events.remove_targets(Rule=name, Ids=stale)
        if targets:
            events.put_targets(Rule=name, Targets=targets)
        return Result(ref=name, action="updated" if existed else "created", attributes={"Arn": arn})
