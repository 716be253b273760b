"""AWS::Events::Rule (what SAM makes of a `Schedule` event, or a rule on a custom bus) and AWS::Events::EventBus:
PutRule and PutTargets converge a rule by name on its bus; a bus is created once by name, and its resource policy
(``Policy``) put whole.

The local cloud stores them in moto, which delivers a bus's events to SQS targets; it runs the rate() schedules
itself (local_cloud/events/schedules.py)."""

from __future__ import annotations

import json
from typing import Any

from ..errors import TemplateError
from .base import Provisioner, Result, Target


class RuleProvisioner(Provisioner):
    resource_type = "AWS::Events::Rule"
    properties = frozenset(
        {"Description", "EventBusName", "EventPattern", "Name", "ScheduleExpression", "State", "Targets"}
    )

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        events = target.clients("events")
        name = str(properties.get("Name") or target.name(logical_id, max_length=64, disallowed=r"[^A-Za-z0-9_.-]"))
        bus = {"EventBusName": str(properties["EventBusName"])} if "EventBusName" in properties else {}
        existed = any(rule["Name"] == name for rule in events.list_rules(NamePrefix=name, **bus).get("Rules", []))
        kwargs: dict[str, Any] = {"Name": name, "State": str(properties.get("State", "ENABLED"))}
        for key in ("Description", "EventBusName", "ScheduleExpression"):
            if key in properties:
                kwargs[key] = str(properties[key])
        if "EventPattern" in properties:
            pattern = properties["EventPattern"]
            kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        arn = str(events.put_rule(**kwargs)["RuleArn"])
        targets = [_target(t) for t in properties.get("Targets") or []]
        current = [t["Id"] for t in events.list_targets_by_rule(Rule=name, **bus).get("Targets", [])]
        stale = sorted(set(current) - {t["Id"] for t in targets})
        if stale:
            events.remove_targets(Rule=name, Ids=stale, **bus)
        if targets:
            events.put_targets(Rule=name, Targets=targets, **bus)
        return Result(ref=name, action="updated" if existed else "created", attributes={"Arn": arn})


# What a target may carry besides its id and ARN; anything else is refused rather than silently dropped.
_TARGET_SETTINGS = ("DeadLetterConfig", "RetryPolicy")


def _target(declared: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(declared) - {"Id", "Arn", *_TARGET_SETTINGS})
    if unknown:
        raise TemplateError(f"target {declared.get('Id')}: {unknown[0]} is not supported by the deployer")
    target: dict[str, Any] = {"Id": str(declared["Id"]), "Arn": str(declared["Arn"])}
    if "DeadLetterConfig" in declared:
        target["DeadLetterConfig"] = {"Arn": str(declared["DeadLetterConfig"]["Arn"])}
    if "RetryPolicy" in declared:
        target["RetryPolicy"] = {key: int(value) for key, value in declared["RetryPolicy"].items()}
    return target


class EventBusProvisioner(Provisioner):
    """AWS::Events::EventBus: a custom bus, created once by name."""

    resource_type = "AWS::Events::EventBus"
    properties = frozenset({"Description", "Name", "Policy"})
    required = frozenset({"Name"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        events = target.clients("events")
        name = str(properties["Name"])
        existed = any(bus["Name"] == name for bus in events.list_event_buses(NamePrefix=name).get("EventBuses", []))
        if not existed:
            kwargs = {
                "Name": name,
                **({"Description": str(properties["Description"])} if "Description" in properties else {}),
            }
            events.create_event_bus(**kwargs)
        policy = properties.get("Policy")
        if policy:  # the bus's resource policy, replaced whole
            if existed:
                events.remove_permission(EventBusName=name, RemoveAllPermissions=True)
            events.put_permission(EventBusName=name, Policy=policy if isinstance(policy, str) else json.dumps(policy))
        arn = str(events.describe_event_bus(Name=name)["Arn"])
        return Result(ref=name, action="unchanged" if existed else "created", attributes={"Arn": arn, "Name": name})


class ArchiveProvisioner(Provisioner):
    """AWS::Events::Archive: an archive of a bus's events (those its pattern matches), created once by name,
    its pattern and retention updated in place."""

    resource_type = "AWS::Events::Archive"
    properties = frozenset({"ArchiveName", "Description", "EventPattern", "RetentionDays", "SourceArn"})
    required = frozenset({"SourceArn"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        events = target.clients("events")
        name = str(
            properties.get("ArchiveName") or target.name(logical_id, max_length=48, disallowed=r"[^A-Za-z0-9_.-]")
        )
        settings: dict[str, Any] = {}
        if "Description" in properties:
            settings["Description"] = str(properties["Description"])
        if "EventPattern" in properties:
            pattern = properties["EventPattern"]
            settings["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "RetentionDays" in properties:
            settings["RetentionDays"] = int(properties["RetentionDays"])
        existed = any(archive["ArchiveName"] == name for archive in events.list_archives(NamePrefix=name)["Archives"])
        if existed:
            events.update_archive(ArchiveName=name, **settings)
        else:
            events.create_archive(ArchiveName=name, EventSourceArn=str(properties["SourceArn"]), **settings)
        arn = str(events.describe_archive(ArchiveName=name)["ArchiveArn"])
        return Result(ref=name, action="updated" if existed else "created", attributes={"Arn": arn})
