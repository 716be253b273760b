"""AWS::StepFunctions::StateMachine, its definition from the template or the local ASL file; its versions
(AWS::StepFunctions::StateMachineVersion) and aliases (AWS::StepFunctions::StateMachineAlias), which SAM's
`AutoPublishAlias` generates."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from .. import asl
from ..errors import DeployError, TemplateError
from ..template import Template
from .base import Provisioner, Result, Target, camel_case, tag_dict

_SOURCES = frozenset({"Definition", "DefinitionS3Location", "DefinitionString"})


class StateMachineProvisioner(Provisioner):
    resource_type = "AWS::StepFunctions::StateMachine"
    properties = frozenset(
        {
            *_SOURCES,
            "DefinitionSubstitutions",
            "LoggingConfiguration",
            "RoleArn",
            "StateMachineName",
            "StateMachineType",
            "Tags",
            "TracingConfiguration",
        }
    )
    required = frozenset({"RoleArn"})

    def check(self, logical_id: str, properties: Mapping[str, Any], template: Template) -> None:
        super().check(logical_id, properties, template)
        if len(_SOURCES & set(properties)) != 1:
            raise TemplateError(f"{logical_id}: give exactly one of {', '.join(sorted(_SOURCES))}")
        definition, source = self._definition(logical_id, properties, template)
        asl.check(definition, set(properties.get("DefinitionSubstitutions") or {}), source)

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        sfn = target.clients("stepfunctions")
        name = properties.get("StateMachineName") or target.name(logical_id, max_length=80)
        raw, source = self._definition(logical_id, properties, target.template)
        definition = asl.render(raw, properties.get("DefinitionSubstitutions") or {}, source)
        machine_type = properties.get("StateMachineType", "STANDARD")
        settings: dict[str, Any] = {"roleArn": properties["RoleArn"]}
        for key in ("LoggingConfiguration", "TracingConfiguration"):
            if key in properties:
                settings[key[:1].lower() + key[1:]] = camel_case(properties[key])

        tags = tag_dict(properties.get("Tags"))
        arn = self._find(sfn, name)
        if arn is None:
            listed = [{"key": k, "value": v} for k, v in tags.items()]
            arn = sfn.create_state_machine(
                name=name, definition=definition, type=machine_type, tags=listed, **settings
            )["stateMachineArn"]
            action = "created"
        else:
            current = sfn.describe_state_machine(stateMachineArn=arn)
            if current.get("type", machine_type) != machine_type:
                raise DeployError(
                    f"{logical_id}: state machine {name} is {current['type']}, the template says "
                    f"{machine_type}; the type cannot change in place"
                )
            same = json.loads(current["definition"]) == json.loads(definition) and all(
                current.get(k) == v for k, v in settings.items()
            )
            if not same:
                sfn.update_state_machine(stateMachineArn=arn, definition=definition, **settings)
            retagged = self._retag(sfn, arn, tags)
            action = "unchanged" if same and not retagged else "updated"
        # What CloudFormation's revision id is for: it changes exactly when the definition or settings do, so a
        # version resource that reads it is published again only then.
        revision = hashlib.sha256(json.dumps([json.loads(definition), settings], sort_keys=True).encode()).hexdigest()
        return Result(ref=arn, action=action, attributes={"Arn": arn, "Name": name, "StateMachineRevisionId": revision})

    @staticmethod
    def _retag(sfn: Any, arn: str, tags: dict[str, str]) -> bool:
        """Make the state machine's tags the template's, as CloudFormation updates them in place; whether any
        changed."""
        current = {tag["key"]: tag["value"] for tag in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
        stale = sorted(set(current) - set(tags))
        changed = [{"key": k, "value": v} for k, v in tags.items() if current.get(k) != v]
        if stale:
            sfn.untag_resource(resourceArn=arn, tagKeys=stale)
        if changed:
            sfn.tag_resource(resourceArn=arn, tags=changed)
        return bool(stale or changed)

    @staticmethod
    def _find(sfn: Any, name: str) -> str | None:
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                if machine["name"] == name:
                    return str(machine["stateMachineArn"])
        return None

    @staticmethod
    def _definition(logical_id: str, properties: Mapping[str, Any], template: Template) -> tuple[str, str]:
        """The definition text before substitution, and where it came from (for errors)."""
        if "DefinitionString" in properties:
            value = properties["DefinitionString"]
            if not isinstance(value, str):  # an intrinsic, checked once resolved
                return "{}", f"{logical_id}.DefinitionString"
            return value, f"{logical_id}.DefinitionString"
        if "Definition" in properties:
            return json.dumps(properties["Definition"]), f"{logical_id}.Definition"
        location = properties["DefinitionS3Location"]
        local = template.local_artifact(location.get("Bucket"), location.get("Key"))
        if local is None:
            raise TemplateError(
                f"{logical_id}: DefinitionS3Location must be a local file (DefinitionUri), "
                f"not s3://{location.get('Bucket')}/{location.get('Key')}"
            )
        try:
            return local.read_text(encoding="utf-8"), os.path.relpath(local, template.base_dir)
        except OSError as exc:
            raise TemplateError(f"{logical_id}: cannot read {local}: {exc.strerror}") from exc


class StateMachineVersionProvisioner(Provisioner):
    """Publishes the state machine's current definition as a new version, unless its newest version already is
    that definition (a re-deploy that changed nothing publishes nothing)."""

    resource_type = "AWS::StepFunctions::StateMachineVersion"
    properties = frozenset({"StateMachineArn", "StateMachineRevisionId", "Description"})
    required = frozenset({"StateMachineArn"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        sfn = target.clients("stepfunctions")
        arn = properties["StateMachineArn"]
        current = sfn.describe_state_machine(stateMachineArn=arn)
        newest = _newest_version(sfn, arn)
        if newest is not None and _same_machine(sfn.describe_state_machine(stateMachineArn=newest), current):
            return Result(ref=newest, action="unchanged", attributes={"Arn": newest})
        published = sfn.update_state_machine(
            stateMachineArn=arn,
            definition=current["definition"],
            roleArn=current["roleArn"],
            publish=True,
            **({"versionDescription": properties["Description"]} if properties.get("Description") else {}),
        )["stateMachineVersionArn"]
        return Result(ref=published, action="created", attributes={"Arn": published})


def _newest_version(sfn: Any, arn: str) -> str | None:
    """The ARN of the machine's newest version (versions are numbered from 1, none ever skipped)."""
    newest, number = None, 1
    while True:
        try:
            sfn.describe_state_machine(stateMachineArn=f"{arn}:{number}")
        except sfn.exceptions.StateMachineDoesNotExist:
            return newest
        newest, number = f"{arn}:{number}", number + 1


def _same_machine(version: Mapping[str, Any], machine: Mapping[str, Any]) -> bool:
    return json.loads(version["definition"]) == json.loads(machine["definition"]) and all(
        version.get(key) == machine.get(key) for key in ("roleArn", "loggingConfiguration", "tracingConfiguration")
    )


class StateMachineAliasProvisioner(Provisioner):
    """Points the alias at the version its DeploymentPreference (or RoutingConfiguration) names. A CANARY or LINEAR
    preference shifts traffic over minutes on AWS; here the whole of it moves at once, and the deploy says so."""

    resource_type = "AWS::StepFunctions::StateMachineAlias"
    properties = frozenset({"Name", "Description", "DeploymentPreference", "RoutingConfiguration"})
    required = frozenset({"Name"})

    def check(self, logical_id: str, properties: Mapping[str, Any], template: Template) -> None:
        super().check(logical_id, properties, template)
        if ("DeploymentPreference" in properties) == ("RoutingConfiguration" in properties):
            raise TemplateError(f"{logical_id}: give exactly one of DeploymentPreference, RoutingConfiguration")

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        sfn = target.clients("stepfunctions")
        preference = properties.get("DeploymentPreference")
        if preference is not None:
            shifting = preference.get("Type", "ALL_AT_ONCE")
            if shifting != "ALL_AT_ONCE":
                target.note_once(
                    f"note: {logical_id}: traffic shifting {shifting} is all at once here (Step Functions shifts it"
                    " gradually on AWS)"
                )
            routing = [{"stateMachineVersionArn": preference["StateMachineVersionArn"], "weight": 100}]
        else:
            routing = camel_case(properties["RoutingConfiguration"])
        machine_arn = str(routing[0]["stateMachineVersionArn"]).rsplit(":", 1)[0]
        alias_arn = f"{machine_arn}:{properties['Name']}"
        try:
            current = sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)
        except sfn.exceptions.ResourceNotFound:
            sfn.create_state_machine_alias(
                name=properties["Name"], routingConfiguration=routing, description=properties.get("Description", "")
            )
            return Result(ref=alias_arn, action="created", attributes={"Arn": alias_arn})
        if current["routingConfiguration"] == routing:
            return Result(ref=alias_arn, action="unchanged", attributes={"Arn": alias_arn})
        sfn.update_state_machine_alias(stateMachineAliasArn=alias_arn, routingConfiguration=routing)
        return Result(ref=alias_arn, action="updated", attributes={"Arn": alias_arn})
