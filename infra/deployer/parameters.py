"""Template parameters: defaults, overrides and CloudFormation's validation rules."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import DeployError, TemplateError

_LIST_TYPES = ("CommaDelimitedList", "List<")


def parse_overrides(tokens: Iterable[str]) -> dict[str, str]:
    """Accept `K=V`, several of them in one quoted string (samconfig style), and
    `ParameterKey=K,ParameterValue=V` (aws cli style)."""
    result: dict[str, str] = {}
    for token in tokens:
        for item in shlex.split(token):
            match = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", item)
            if match:
                result[match[1]] = match[2]
            elif "=" in item and not item.startswith("="):
                key, value = item.split("=", 1)
                result[key] = value
            else:
                raise DeployError(f"parameter override {item!r} is not KEY=VALUE")
    return result


def resolve_parameters(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Value of every declared parameter: a str, or a list of str for list types.

    Numbers stay strings, as CloudFormation's Ref returns them; provisioners convert
    where an API wants an int.
    """
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"parameter override {unknown[0]!r} is not declared in the template "
            f"(declared: {', '.join(sorted(declared)) or 'none'})"
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no default: pass {name}=<value>")
        values[name] = _check(name, spec, raw)
    return values


def _check(name: str, spec: Mapping[str, Any], raw: Any) -> Any:
    type_ = str(spec.get("Type", "String"))
    if type_.startswith("AWS::SSM::Parameter::"):
        raise TemplateError(f"parameter {name}: type {type_} is not supported by the deployer")
    if type_.startswith(_LIST_TYPES):
        items = raw if isinstance(raw, list) else [s.strip() for s in str(raw).split(",")]
        items = [_scalar(i) for i in items]
        if type_ == "List<Number>":
            for item in items:
                _number(name, item)
        return items
    value = _scalar(raw)
    if type_ == "Number":
        number = _number(name, value)
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise TemplateError(f"parameter {name}={value} is below MinValue {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise TemplateError(f"parameter {name}={value} is above MaxValue {spec['MaxValue']}")
    else:
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            raise TemplateError(f"parameter {name} is shorter than MinLength {spec['MinLength']}")
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            raise TemplateError(f"parameter {name} is longer than MaxLength {spec['MaxLength']}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(str(pattern), value):
            raise TemplateError(f"parameter {name}={value!r} does not match {pattern!r}")
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [_scalar(a) for a in allowed]:
        raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
    return value


def _scalar(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _number(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise TemplateError(f"parameter {name} is a Number, got {value!r}") from None
