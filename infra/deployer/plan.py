"""Everything checked before the first resource is created: resource types, properties,
references and the order that satisfies them. A template that fails here leaves the
target untouched."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TemplateError, UnsupportedResourceError
from .intrinsics import PSEUDO_PARAMETERS, SUPPORTED_FUNCTIONS, Resolver, scan
from .provisioners import PROVISIONERS
from .template import Template

_RESOURCE_KEYS = frozenset(
    {
        "Condition",
        "CreationPolicy",
        "DeletionPolicy",
        "DependsOn",
        "Metadata",
        "Properties",
        "Type",
        "UpdatePolicy",
        "UpdateReplacePolicy",
    }
)


@dataclass
class Plan:
    resources: dict[str, dict[str, Any]]  # the resources whose Condition holds
    order: list[str]  # logical ids, each after everything it refers to
    outputs: dict[str, dict[str, Any]]  # the outputs whose Condition holds


def make_plan(template: Template, parameters: Mapping[str, Any], resolver: Resolver) -> Plan:
    cfn = template.cfn
    declared = cfn.get("Resources") or {}
    resources = {
        logical_id: resource
        for logical_id, resource in declared.items()
        if "Condition" not in resource or resolver.condition(resource["Condition"])
    }
    unsupported = [
        f"{resource.get('Type')} ({logical_id})"
        for logical_id, resource in resources.items()
        if resource.get("Type") not in PROVISIONERS
    ]
    if unsupported:
        raise UnsupportedResourceError(
            f"unsupported resource type: {', '.join(unsupported)}; the deployer handles "
            f"{', '.join(sorted(PROVISIONERS))}"
        )

    known = set(parameters) | PSEUDO_PARAMETERS | set(resources)

    def references(owner: str, value: Any) -> set[str]:
        found = scan(value, resolver.condition)
        unknown_functions = sorted(found.functions - SUPPORTED_FUNCTIONS)
        if unknown_functions:
            raise TemplateError(f"{owner}: unsupported intrinsic function {unknown_functions[0]}")
        for name in sorted(found.names - known):
            if name in declared:
                raise TemplateError(
                    f"{owner} refers to {name}, which its Condition {declared[name]['Condition']} leaves out"
                )
            raise TemplateError(f"{owner} refers to {name}, which the template does not declare")
        return found.names & set(resources)

    dependencies: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        extra = sorted(set(resource) - _RESOURCE_KEYS)
        if extra:
            raise TemplateError(f"{logical_id}: unknown resource attribute {extra[0]}")
        properties = resource.get("Properties") or {}
        if not isinstance(properties, dict):
            raise TemplateError(f"{logical_id}: Properties must be a mapping")
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else list(depends_on)
        for name in depends_on:
            if name not in resources:
                raise TemplateError(f"{logical_id} DependsOn {name}, which is not deployed")
        dependencies[logical_id] = references(logical_id, properties) | set(depends_on)
        PROVISIONERS[resource["Type"]].check(logical_id, properties, template)

    outputs = {
        name: spec
        for name, spec in (cfn.get("Outputs") or {}).items()
        if "Condition" not in spec or resolver.condition(spec["Condition"])
    }
    for name, spec in outputs.items():
        references(f"output {name}", spec.get("Value"))
    return Plan(resources=resources, order=_order(dependencies), outputs=outputs)


def _order(dependencies: dict[str, set[str]]) -> list[str]:
    """Topological order; among the resources ready at once, alphabetical (reproducible logs)."""
    waiting = {node: set(deps) - {node} for node, deps in dependencies.items()}
    for node, deps in dependencies.items():
        if node in deps:
            raise TemplateError(f"{node} refers to itself")
    dependants: dict[str, set[str]] = {node: set() for node in waiting}
    for node, deps in waiting.items():
        for dep in deps:
            dependants[dep].add(node)
    ready = [node for node, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependant in dependants[node]:
            waiting[dependant].discard(node)
            if not waiting[dependant]:
                heapq.heappush(ready, dependant)
    if len(order) != len(waiting):
        raise TemplateError(f"circular references: {' -> '.join(_cycle(waiting))}")
    return order


def _cycle(waiting: dict[str, set[str]]) -> list[str]:
    """One cycle among the resources left waiting: each of them still waits for another."""
    node, path = min(n for n, deps in waiting.items() if deps), []
    while node not in path:
        path.append(node)
        node = min(waiting[node])
    return [*path[path.index(node) :], node]
