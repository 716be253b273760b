"""AWS::Lambda::Function and AWS::Lambda::Permission."""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..errors import DeployError, TemplateError
from ..packaging import zip_trees
from ..template import Template
from .base import Provisioner, Result, Target, error_code, tag_dict, wait_until

# Inline code (Code.ZipFile) goes into this file, as CloudFormation does.
_INLINE_FILE = {"python": "index.py", "nodejs": "index.js"}


class FunctionProvisioner(Provisioner):
    resource_type = "AWS::Lambda::Function"
    properties = frozenset(
        {
            "Architectures",
            "Code",
            "DeadLetterConfig",
            "Description",
            "Environment",
            "EphemeralStorage",
            "FunctionName",
            "Handler",
            "KmsKeyArn",
            "Layers",
            "LoggingConfig",
            "MemorySize",
            "PackageType",
            "ReservedConcurrentExecutions",
            "Role",
            "Runtime",
            "Tags",
            "Timeout",
            "TracingConfig",
            "VpcConfig",
        }
    )
    required = frozenset({"Code", "Handler", "Role", "Runtime"})

    def check(self, logical_id: str, properties: Mapping[str, Any], template: Template) -> None:
        super().check(logical_id, properties, template)
        if properties.get("PackageType", "Zip") != "Zip":
            raise TemplateError(f"{logical_id}: only PackageType Zip is supported")
        code = properties["Code"]
        if not isinstance(code, dict) or not ({"ZipFile", "S3Bucket"} & set(code)):
            raise TemplateError(f"{logical_id}: Code needs ZipFile or S3Bucket/S3Key")

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        lam = target.clients("lambda")
        name = properties.get("FunctionName") or target.name(logical_id, max_length=64)
        code = self._code(properties, target)
        architectures = properties.get("Architectures", ["x86_64"])
        config = self._configuration(properties)
        try:
            current = lam.get_function_configuration(FunctionName=name)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            kwargs = {"FunctionName": name, "Code": code, "Architectures": architectures, **config}
            if properties.get("Tags"):
                kwargs["Tags"] = tag_dict(properties["Tags"])
            _retry_until_role_assumable(lambda: lam.create_function(**kwargs))
            _wait_ready(lam, name)
            action = "created"
        else:
            changed = False
            if (
                "ZipFile" not in code
                or _sha256(code["ZipFile"]) != current.get("CodeSha256")
                or current.get("Architectures", ["x86_64"]) != architectures
            ):
                _wait_ready(lam, name)
                lam.update_function_code(FunctionName=name, Architectures=architectures, **code)
                changed = True
            if not _matches(config, _comparable(current)):
                _wait_ready(lam, name)
                _retry_until_role_assumable(lambda: lam.update_function_configuration(FunctionName=name, **config))
                changed = True
            if changed:
                _wait_ready(lam, name)
            action = "updated" if changed else "unchanged"
        if _converge_concurrency(lam, name, properties.get("ReservedConcurrentExecutions")) and action == "unchanged":
            action = "updated"
        arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
        return Result(ref=name, action=action, attributes={"Arn": arn})

    @staticmethod
    def _code(props: dict[str, Any], target: Target) -> dict[str, Any]:
        code = props["Code"]
        runtime = str(props["Runtime"])
        if "ZipFile" in code:
            language = runtime.rstrip("0123456789.x")
            filename = _INLINE_FILE.get(language)
            if filename is None:
                raise TemplateError(f"inline Code.ZipFile is not supported for {runtime}")
            return {"ZipFile": _inline_zip(filename, str(code["ZipFile"]))}
        local = target.template.local_artifact(code.get("S3Bucket"), code.get("S3Key"))
        if local is None:  # a real S3 object, uploaded by someone else
            return {k: code[k] for k in ("S3Bucket", "S3Key", "S3ObjectVersion") if k in code}
        architecture = (props.get("Architectures") or ["x86_64"])[0]
        return {"ZipFile": target.packager.package(local, runtime=runtime, architecture=architecture)}

    @staticmethod
    def _configuration(props: dict[str, Any]) -> dict[str, Any]:
        """Arguments shared by CreateFunction and UpdateFunctionConfiguration. Every field has
        its AWS default, so a property removed from the template is reset on update."""
        variables = (props.get("Environment") or {}).get("Variables") or {}
        config: dict[str, Any] = {
            "Role": props["Role"],
            "Handler": props["Handler"],
            "Runtime": props["Runtime"],
            "Timeout": int(props.get("Timeout", 3)),
            "MemorySize": int(props.get("MemorySize", 128)),
            "Description": str(props.get("Description", "")),
            "Environment": {"Variables": {k: str(v) for k, v in variables.items()}},
            "TracingConfig": {"Mode": (props.get("TracingConfig") or {}).get("Mode", "PassThrough")},
            "Layers": list(props.get("Layers", [])),
        }
        for key in ("DeadLetterConfig", "LoggingConfig", "VpcConfig"):
            if key in props:
                config[key] = props[key]
        if "EphemeralStorage" in props:
            config["EphemeralStorage"] = {"Size": int(props["EphemeralStorage"]["Size"])}
        if "KmsKeyArn" in props:
            config["KMSKeyArn"] = props["KmsKeyArn"]
        return config


def _converge_concurrency(lam: Any, name: str, wanted: Any) -> bool:
    """PutFunctionConcurrency / DeleteFunctionConcurrency so the reservation is the template's; True if changed."""
    current = lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
    target = None if wanted is None else int(wanted)
    if (None if current is None else int(current)) == target:
        return False
    if target is None:
        lam.delete_function_concurrency(FunctionName=name)
    else:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=target)
    return True


class PermissionProvisioner(Provisioner):
    """A statement in a function's resource policy, with a deterministic statement id.
    Replaced on every deploy (remove + add), as statements cannot be edited."""

    resource_type = "AWS::Lambda::Permission"
    properties = frozenset(
        {
            "Action",
            "EventSourceToken",
            "FunctionName",
            "FunctionUrlAuthType",
            "Principal",
            "PrincipalOrgID",
            "SourceAccount",
            "SourceArn",
        }
    )
    required = frozenset({"Action", "FunctionName", "Principal"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        lam = target.clients("lambda")
        statement_id = target.name(logical_id, max_length=100)
        function = properties["FunctionName"]
        kwargs = {k: properties[k] for k in self.properties - {"FunctionName"} if k in properties}
        current = _statement(lam, function, statement_id)
        if current is not None and _statement_grants(current, kwargs):
            return Result(ref=statement_id, action="unchanged")
        if current is not None:
            lam.remove_permission(FunctionName=function, StatementId=statement_id)
        lam.add_permission(FunctionName=function, StatementId=statement_id, **kwargs)
        return Result(ref=statement_id, action="created" if current is None else "updated")


def _statement(lam: Any, function: str, statement_id: str) -> dict[str, Any] | None:
    try:
        policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":  # no policy at all yet
            return None
        raise
    return next((s for s in policy.get("Statement", []) if s.get("Sid") == statement_id), None)


def _statement_grants(statement: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether a policy statement already says what AddPermission would. Services render the
    principal and conditions slightly differently, so the values are looked for, not the shape."""
    principal = json.dumps(statement.get("Principal"))
    conditions = json.dumps(statement.get("Condition", {}))
    return (
        statement.get("Action") == wanted["Action"]
        and json.dumps(wanted["Principal"]) in principal
        and all(json.dumps(wanted[k]) in conditions for k in ("SourceArn", "SourceAccount") if k in wanted)
    )


def _inline_zip(filename: str, source: str) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, filename).write_text(source, encoding="utf-8")
        return zip_trees([Path(directory)])


def _sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _comparable(current: dict[str, Any]) -> dict[str, Any]:
    """GetFunctionConfiguration's answer in CreateFunction's shape, defaults filled in."""
    shaped = dict(current)
    shaped["Layers"] = [layer["Arn"] for layer in current.get("Layers", [])]
    shaped.setdefault("Description", "")
    shaped["Environment"] = {"Variables": (current.get("Environment") or {}).get("Variables", {})}
    shaped.setdefault("TracingConfig", {"Mode": "PassThrough"})
    return shaped


def _matches(wanted: Any, actual: Any) -> bool:
    """True when every value asked for is already there (extra answers are fine,
    except in Environment.Variables, where an extra variable is a difference)."""
    if isinstance(wanted, dict) and isinstance(actual, dict):
        if "Variables" in wanted:
            return bool(wanted["Variables"] == actual.get("Variables"))
        return all(_matches(v, actual.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list) and isinstance(actual, list):
        return sorted(map(str, wanted)) == sorted(map(str, actual))
    return bool(wanted == actual)


def _wait_ready(lam: Any, name: str) -> None:
    """Lambda refuses changes while a function is Pending or an update is InProgress."""

    def ready() -> bool:
        config = lam.get_function_configuration(FunctionName=name)
        if config.get("State") == "Failed" or config.get("LastUpdateStatus") == "Failed":
            reason = config.get("StateReason") or config.get("LastUpdateStatusReason")
            raise DeployError(f"function {name} failed to deploy: {reason}")
        pending = config.get("State") == "Pending"
        return not pending and config.get("LastUpdateStatus") != "InProgress"

    wait_until(ready, what=f"function {name} to become ready")


def _retry_until_role_assumable(call: Callable[[], Any], timeout: float = 30.0) -> Any:
    """IAM is eventually consistent: on AWS a role created seconds ago may not be usable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            retryable = error_code(exc) == "InvalidParameterValueException" and ("cannot be assumed" in message)
            if not retryable or time.monotonic() > deadline:
                raise
            time.sleep(2)


class EventSourceMappingProvisioner(Provisioner):
    """AWS::Lambda::EventSourceMapping: one mapping per (source, function), found again by both on a
    re-deploy and updated in place (its source and function cannot change without a new mapping)."""

    resource_type = "AWS::Lambda::EventSourceMapping"
    properties = frozenset(
        {
            "BatchSize",
            "BisectBatchOnFunctionError",
            "DestinationConfig",
            "Enabled",
            "EventSourceArn",
            "FunctionName",
            "FunctionResponseTypes",
            "MaximumBatchingWindowInSeconds",
            "MaximumRecordAgeInSeconds",
            "MaximumRetryAttempts",
            "StartingPosition",
        }
    )
    required = frozenset({"EventSourceArn", "FunctionName"})
    _UPDATABLE = (
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "Enabled",
        "FunctionResponseTypes",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
    )

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        lam = target.clients("lambda")
        source, function = str(properties["EventSourceArn"]), str(properties["FunctionName"])
        settings = {key: properties[key] for key in self._UPDATABLE if key in properties}
        for key in ("BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRecordAgeInSeconds", "MaximumRetryAttempts"):
            if key in settings:
                settings[key] = int(settings[key])
        existing = lam.list_event_source_mappings(EventSourceArn=source, FunctionName=function).get(
            "EventSourceMappings", []
        )
        if existing:
            uuid = str(existing[0]["UUID"])
            lam.update_event_source_mapping(UUID=uuid, **settings)
            return Result(ref=uuid, action="updated")
        if "StartingPosition" in properties:
            settings["StartingPosition"] = str(properties["StartingPosition"])
        created = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=function, **settings)
        return Result(ref=str(created["UUID"]), action="created")


class VersionProvisioner(Provisioner):
    """Publishes the function's code and configuration as a new version, unless its newest version already has
    that code and configuration (a re-deploy that changed nothing publishes nothing, as Lambda's PublishVersion
    answers then)."""

    resource_type = "AWS::Lambda::Version"
    properties = frozenset({"FunctionName", "CodeSha256", "Description"})
    required = frozenset({"FunctionName"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        lam = target.clients("lambda")
        name = properties["FunctionName"]
        latest = lam.get_function_configuration(FunctionName=name)
        numbered = [
            version
            for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name)
            for version in page["Versions"]
            if version["Version"] != "$LATEST"
        ]
        newest = max(numbered, key=lambda version: int(version["Version"]), default=None)
        if newest is not None and _same_version(newest, latest):
            return Result(ref=newest["FunctionArn"], action="unchanged", attributes={"Version": newest["Version"]})
        described = {"Description": properties["Description"]} if properties.get("Description") else {}
        published = lam.publish_version(FunctionName=name, **described)
        return Result(ref=published["FunctionArn"], action="created", attributes={"Version": published["Version"]})


# What a version fixes besides its code: a change of any of them is a new version (Lambda's PublishVersion).
_VERSIONED_CONFIGURATION = (
    "CodeSha256",
    "Role",
    "Handler",
    "Runtime",
    "Timeout",
    "MemorySize",
    "Environment",
    "TracingConfig",
    "Layers",
    "Architectures",
    "EphemeralStorage",
    "LoggingConfig",
    "VpcConfig",
    "DeadLetterConfig",
    "KMSKeyArn",
)


def _same_version(version: Mapping[str, Any], latest: Mapping[str, Any]) -> bool:
    return all(
        _comparable(dict(version)).get(key) == _comparable(dict(latest)).get(key) for key in _VERSIONED_CONFIGURATION
    )


class FunctionAliasProvisioner(Provisioner):
    """Points the alias at its version. A DeploymentPreference's gradual shift (CodeDeploy on AWS, the alias's
    UpdatePolicy) is not run here: the alias moves at once, as the deployment group's note says at deploy."""

    resource_type = "AWS::Lambda::Alias"
    properties = frozenset({"Name", "FunctionName", "FunctionVersion", "Description"})
    required = frozenset({"Name", "FunctionName", "FunctionVersion"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        lam = target.clients("lambda")
        name, function, version = properties["Name"], properties["FunctionName"], str(properties["FunctionVersion"])
        try:
            current = lam.get_alias(FunctionName=function, Name=name)
        except lam.exceptions.ResourceNotFoundException:
            created = lam.create_alias(FunctionName=function, Name=name, FunctionVersion=version)
            return Result(ref=created["AliasArn"], action="created")
        if current["FunctionVersion"] == version:
            return Result(ref=current["AliasArn"], action="unchanged")
        updated = lam.update_alias(FunctionName=function, Name=name, FunctionVersion=version)
        return Result(ref=updated["AliasArn"], action="updated")
