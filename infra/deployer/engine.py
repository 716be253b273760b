"""deploy(): template -> translated CloudFormation -> plan -> resources on the target -> outputs."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .clients import DEFAULT_REGION, Clients
from .errors import DeployError, TemplateError
from .intrinsics import NO_VALUE, Resolver, partition_of, text, url_suffix_of
from .naming import STACK_NAME
from .outputs import save_outputs
from .packaging import Packager
from .parameters import resolve_parameters
from .plan import Plan, make_plan
from .provisioners import PROVISIONERS, Result, Target
from .template import Template, load_template, translate

CACHE_DIR = Path(".aws-sam") / "deployer-cache"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class _Stack:
    """One deploy in progress: the resolver, backed by the resources created so far."""

    def __init__(self, template: Template, parameters: Mapping[str, Any], clients: Clients, stack_name: str) -> None:
        self.template = template
        self.clients = clients
        self.stack_name = stack_name
        self.results: dict[str, Result] = {}
        cfn = template.cfn
        self.resolver = Resolver(
            parameters=parameters,
            pseudo=self.pseudo,
            ref=self.ref,
            get_att=self.get_att,
            conditions=cfn.get("Conditions") or {},
            mappings=cfn.get("Mappings") or {},
        )
        # Asked for lazily: a template that fails its checks never contacts the target.
        self.account_id = cache(clients.account_id)

    def pseudo(self, name: str) -> Any:
        region = self.clients.region
        if name == "AWS::Region":
            return region
        if name == "AWS::AccountId":
            return self.account_id()
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::StackId":
            stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.account_id()}/{self.stack_name}")
            return (
                f"arn:{partition_of(region)}:cloudformation:{region}:{self.account_id()}:"
                f"stack/{self.stack_name}/{stack_uuid}"
            )
        if name == "AWS::Partition":
            return partition_of(region)
        if name == "AWS::URLSuffix":
            return url_suffix_of(region)
        if name == "AWS::NotificationARNs":
            return []
        raise TemplateError(f"unknown pseudo parameter {name}")

    def ref(self, logical_id: str) -> Any:
        return self._result(logical_id).ref

    def get_att(self, logical_id: str, attribute: str) -> Any:
        result = self._result(logical_id)
        if attribute not in result.attributes:
            resource_type = self.template.cfn["Resources"][logical_id]["Type"]
            known = ", ".join(sorted(result.attributes)) or "none"
            raise TemplateError(
                f"Fn::GetAtt {logical_id}.{attribute}: the deployer knows no {attribute} of "
                f"{resource_type} (known: {known})"
            )
        return result.attributes[attribute]

    def _result(self, logical_id: str) -> Result:
        if logical_id not in self.results:
            raise TemplateError(f"{logical_id} is referred to before it is deployed")
        return self.results[logical_id]


def deploy(
    template_path: str | Path,
    *,
    stack_name: str = "checkout-saga",
    endpoint_url: str | None,
    region: str = DEFAULT_REGION,
    parameter_overrides: Mapping[str, str] | None = None,
    with_dependencies: bool = False,
    log: Callable[[str], None] = _stderr,
) -> dict[str, str]:
    """Create or update every resource of the template on the target; return its outputs.

    endpoint_url None means plain boto3 clients: real AWS, or moto inside `mock_aws()`.
    """
    stack, plan = prepare(
        template_path,
        stack_name=stack_name,
        endpoint_url=endpoint_url,
        region=region,
        parameter_overrides=parameter_overrides,
    )
    clients = stack.clients
    account_id = stack.account_id()  # also: does the target answer at all?
    log(f"deploying {stack_name} to {clients.where} ({len(plan.order)} resources)")
    target = Target(
        clients=clients,
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        partition=partition_of(region),
        template=stack.template,
        packager=Packager(stack.template.base_dir / CACHE_DIR, with_dependencies=with_dependencies, log=log),
        log=log,
    )
    for logical_id in plan.order:
        resource_type = plan.resources[logical_id]["Type"]
        properties = stack.resolver.resolve(plan.resources[logical_id].get("Properties") or {})
        with clients.translated_errors(f"{resource_type} {logical_id}: "):
            result = PROVISIONERS[resource_type].apply(logical_id, properties, target)
        stack.results[logical_id] = result
        log(f"  {result.action:<9} {resource_type:<34} {logical_id}")
    outputs = _outputs(stack, plan)
    with clients.translated_errors("saving the outputs: "):
        save_outputs(clients, stack_name, outputs)
    return outputs


def prepare(
    template_path: str | Path,
    *,
    stack_name: str,
    endpoint_url: str | None,
    region: str,
    parameter_overrides: Mapping[str, str] | None,
) -> tuple[_Stack, Plan]:
    """Load, translate and check the template without touching the target."""
    if not STACK_NAME.fullmatch(stack_name):
        raise DeployError(
            f"stack name {stack_name!r} must start with a letter and hold only letters, digits and '-' (at most 128)"
        )
    path = Path(template_path).resolve()
    raw = load_template(path)
    parameters = resolve_parameters(raw.get("Parameters") or {}, parameter_overrides or {})
    template = translate(path, raw, parameters, region)
    stack = _Stack(template, parameters, Clients(endpoint_url, region), stack_name)
    return stack, make_plan(template, parameters, stack.resolver)


def _outputs(stack: _Stack, plan: Plan) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for name, spec in plan.outputs.items():
        value = stack.resolver.resolve(spec.get("Value"))
        if value is NO_VALUE:
            continue
        outputs[name] = ",".join(map(text, value)) if isinstance(value, list) else text(value)
    return outputs
