"""A function's execution role exactly as template.yaml defines it (after SAM's transform), for suites that run a
handler in process without deploying the stack: the handler then acts with that role's credentials, so a
permission missing from the template fails here as it would on AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from deployer.intrinsics import Resolver
from deployer.template import load_template, translate
from local_cloud.awslambda.invocation_credentials import acting_as
from local_cloud.iam.role_credentials import RoleCredentials

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
ACCOUNT = "123456789012"
REGION = "us-east-1"


class FunctionRole:
    """The role of ``function`` (a logical id); ``physical`` maps the logical ids its policies name to the
    physical names of the suite's resources (table names, a state machine's ARN, the faults parameter)."""

    def __init__(self, iam: Any, function: str, physical: Mapping[str, str], template: Path = TEMPLATE) -> None:
        self._iam = iam
        self._function = function
        self._template = template
        self._role = _role_properties(template, template.stat().st_mtime_ns, function)
        self.name = f"{function}Role"
        self.arn = iam.create_role(
            RoleName=self.name, AssumeRolePolicyDocument=json.dumps(self._role["AssumeRolePolicyDocument"])
        )["Role"]["Arn"]
        self._credentials = RoleCredentials()
        self.grant(physical)

    def grant(self, physical: Mapping[str, str]) -> None:
        """(Re)write the role's inline policies with these physical names."""
        resolver = Resolver(
            parameters={"EnableFaultInjection": "true"},  # as the suites deploy: the steps may read the fault plan
            conditions=_conditions(self._template),
            pseudo={"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}.__getitem__,
            ref=lambda logical_id: physical[logical_id],
            get_att=lambda logical_id, attribute: _attribute(physical, logical_id, attribute),
        )
        for policy in resolver.resolve(self._role.get("Policies") or []):
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            self._iam.put_role_policy(
                RoleName=self.name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )

    @contextmanager
    def acting(self) -> Iterator[None]:
        """Every AWS call of this context is signed with the role's temporary credentials."""
        credentials = self._credentials.for_role(self.arn, self._function, "lambda.amazonaws.com")
        with acting_as(credentials.environment()):
            yield


def key_policy(key: str, template: Path = TEMPLATE) -> str:
    """The key policy of the template's KMS key ``key`` (a logical id), naming each function's role as
    ``FunctionRole`` creates it (``<Function>Role``), for suites that make the key themselves."""
    properties = load_template(template)["Resources"][key]["Properties"]
    resolver = Resolver(
        parameters={},
        conditions=_conditions(template),
        pseudo={"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}.__getitem__,
        ref=lambda logical_id: logical_id,
        get_att=lambda logical_id, attribute: f"arn:aws:iam::{ACCOUNT}:role/{logical_id}",
    )
    return json.dumps(resolver.resolve(properties["KeyPolicy"]))


def _attribute(physical: Mapping[str, str], logical_id: str, attribute: str) -> str:
    name = physical[logical_id]
    if attribute == "Arn" and logical_id.endswith("Table"):
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    if attribute == "Name":
        return name.rsplit(":", 1)[-1]
    if attribute == "Arn" and name.startswith("arn:"):  # the suite names the resource by its ARN (a KMS key)
        return name
    raise KeyError(f"{logical_id}.{attribute}: not known to this suite")


@lru_cache(maxsize=2)
def _conditions(template: Path) -> dict[str, Any]:
    return dict(load_template(template).get("Conditions") or {})


@lru_cache(maxsize=8)
def _role_properties(template: Path, _version: int, function: str) -> dict[str, Any]:
    cfn = translate(template, load_template(template), {}, REGION).cfn
    return dict(cfn["Resources"][f"{function}Role"]["Properties"])
