"""What every provisioner gets and gives back."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from ..clients import Clients
from ..errors import DeployError, TemplateError
from ..naming import physical_name
from ..packaging import Packager
from ..template import Template


@dataclass
class Target:
    """The account a deploy writes to, and the context resources are named in."""

    clients: Clients
    stack_name: str
    region: str
    account_id: str
    partition: str
    template: Template
    packager: Packager
    log: Callable[[str], None]
    _noted: set[str] = field(default_factory=set)

    def note_once(self, message: str) -> None:
        """Log a remark once per deploy, however many resources trigger it."""
        if message not in self._noted:
            self._noted.add(message)
            self.log(message)

    def name(self, logical_id: str, *, max_length: int, disallowed: str = r"[^A-Za-z0-9_-]") -> str:
        return physical_name(self.stack_name, logical_id, max_length=max_length, disallowed=disallowed)


@dataclass
class Result:
    ref: str  # what Ref returns
    action: str  # created | updated | unchanged | kept
    attributes: dict[str, Any] = field(default_factory=dict)  # what Fn::GetAtt can read


class Provisioner:
    """Creates or updates one resource type so that a re-deploy converges on the template."""

    resource_type: ClassVar[str]
    properties: ClassVar[frozenset[str]]  # the properties this provisioner honours
    required: ClassVar[frozenset[str]] = frozenset()

    def check(self, logical_id: str, properties: Mapping[str, Any], template: Template) -> None:
        """Static checks run on every resource before anything is created.

        A property the provisioner does not honour is an error, not a silent omission.
        """
        unknown = sorted(set(properties) - self.properties)
        if unknown:
            raise TemplateError(
                f"{logical_id} ({self.resource_type}): property {unknown[0]} is not supported "
                f"by the deployer (supported: {', '.join(sorted(self.properties))})"
            )
        missing = sorted(self.required - set(properties))
        if missing:
            raise TemplateError(f"{logical_id} ({self.resource_type}): {missing[0]} is required")

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        raise NotImplementedError


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def tag_dict(tags: Any) -> dict[str, str]:
    """CloudFormation's [{Key, Value}] (or an already flat mapping) as {key: value}."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags or []}


def wait_until(probe: Callable[[], bool], *, what: str, timeout: float = 300.0, interval: float = 0.2) -> None:
    """Poll `probe` until true. Emulators answer at once; AWS and LocalStack take seconds."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise DeployError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, 2.0)


def camel_case(value: Any) -> Any:
    """CloudFormation's PascalCase property shapes as the camelCase of the APIs that take them (Step Functions,
    CodeDeploy)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_case(v) for v in value]
    return value
