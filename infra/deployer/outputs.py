"""Stack outputs kept on the target itself, so any process (`make outputs`, the tests, a
second shell) can read them without a CloudFormation stack."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .clients import DEFAULT_REGION, Clients
from .errors import StackNotDeployedError

_STANDARD_TIER_LIMIT = 4096
PARAMETER_PREFIX = "/deployer/stacks/"
_PARAMETER_SUFFIX = "/outputs"


def parameter_name(stack_name: str) -> str:
    return f"{PARAMETER_PREFIX}{stack_name}{_PARAMETER_SUFFIX}"


def save_outputs(clients: Clients, stack_name: str, outputs: dict[str, str]) -> None:
    value = json.dumps(outputs, sort_keys=True)
    clients("ssm").put_parameter(
        Name=parameter_name(stack_name),
        Value=value,
        Type="String",
        Overwrite=True,
        Tier="Standard" if len(value) <= _STANDARD_TIER_LIMIT else "Advanced",
    )


def read_outputs(
    *, stack_name: str = "checkout-saga", endpoint_url: str | None, region: str = DEFAULT_REGION
) -> dict[str, str]:
    """The outputs of the last deploy of `stack_name`; falls back to a CloudFormation stack
    of that name (e.g. one `samlocal deploy` created)."""
    clients = Clients(endpoint_url, region)
    with clients.translated_errors("reading the outputs: "):
        return _from_parameter(clients, stack_name) or _from_cloudformation(clients, stack_name)


def _from_parameter(clients: Clients, stack_name: str) -> dict[str, str] | None:
    try:
        value = clients("ssm").get_parameter(Name=parameter_name(stack_name))["Parameter"]["Value"]
    except ClientError:
        return None
    outputs: Any = json.loads(value)
    return {str(k): str(v) for k, v in outputs.items()}


def _from_cloudformation(clients: Clients, stack_name: str) -> dict[str, str]:
    try:
        stacks = clients("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError:
        stacks = []
    if not stacks:
        raise StackNotDeployedError(
            f"stack {stack_name} is not deployed at {clients.where}: "
            "deploy it first (`make up`, or `python -m deployer deploy`)"
        )
    return {o["OutputKey"]: str(o["OutputValue"]) for o in stacks[0].get("Outputs", [])}
