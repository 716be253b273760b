"""CloudFormation intrinsic functions, conditions and pseudo parameters.

The resolver knows nothing about AWS: resource references go through two callables
that the deploy engine backs with the resources it has provisioned so far.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import TemplateError


class _NoValue:
    """Result of Ref AWS::NoValue: the enclosing property or list item disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NoValue",
        "AWS::NotificationARNs",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

SUPPORTED_FUNCTIONS = frozenset(
    {
        "Fn::And",
        "Fn::Base64",
        "Fn::Equals",
        "Fn::FindInMap",
        "Fn::GetAZs",
        "Fn::GetAtt",
        "Fn::If",
        "Fn::Join",
        "Fn::Not",
        "Fn::Or",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
    }
)

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def url_suffix_of(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def text(value: Any) -> str:
    """A resolved scalar as CloudFormation turns it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"expected a string, got {type(value).__name__} {value!r}")


class Resolver:
    """Evaluates intrinsic functions in a template fragment."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        pseudo: Callable[[str], Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
        conditions: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
    ) -> None:
        self._parameters = parameters
        self._pseudo = pseudo
        self._ref_resource = ref
        self._get_att = get_att
        self._conditions = conditions or {}
        self._mappings = mappings or {}
        self._condition_values: dict[str, bool] = {}
        self._evaluating: set[str] = set()
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::And": self._and,
            "Fn::Base64": self._base64,
            "Fn::Equals": self._equals,
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAZs": self._get_azs,
            "Fn::GetAtt": self._get_att_fn,
            "Fn::If": self._if,
            "Fn::Join": self._join,
            "Fn::Not": self._not,
            "Fn::Or": self._or,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::Sub": self._sub,
        }

    # ------------------------------------------------------------------ public
    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                function = self._functions.get(key)
                if function is not None:
                    return function(arg)
                if key.startswith("Fn::"):
                    raise TemplateError(f"unsupported intrinsic function {key}")
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self._conditions:
            raise TemplateError(f"condition {name!r} is not declared in Conditions")
        if name in self._evaluating:
            raise TemplateError(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            result = self._truth(self._conditions[name])
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = result
        return result

    # --------------------------------------------------------------- functions
    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref takes a name, got {name!r}")
        if name in self._parameters:
            return self._parameters[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return self._pseudo(name)
        if name.startswith("AWS::"):
            raise TemplateError(f"unknown pseudo parameter {name}")
        return self._ref_resource(name)

    def _get_att_fn(self, arg: Any) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        elif isinstance(arg, list) and len(arg) == 2:
            logical_id, attribute = text(self.resolve(arg[0])), text(self.resolve(arg[1]))
        else:
            raise TemplateError(f"Fn::GetAtt takes [resource, attribute], got {arg!r}")
        if not logical_id or not attribute:
            raise TemplateError(f"Fn::GetAtt takes [resource, attribute], got {arg!r}")
        return self._get_att(logical_id, attribute)

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, str):
            template, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            template, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            raise TemplateError(f"Fn::Sub takes a string or [string, variables], got {arg!r}")
        if not isinstance(template, str):
            raise TemplateError(f"Fn::Sub needs a literal string, got {template!r}")

        def replace(match: re.Match[str]) -> str:
            name = match[1].strip()
            if name.startswith("!"):
                return "${" + match[1][1:] + "}"  # ${!Literal} escapes the substitution
            if name in variables:
                return text(variables[name])
            if name in self._parameters or name.startswith("AWS::") or "." not in name:
                return text(self._ref(name))
            logical_id, _, attribute = name.partition(".")
            return text(self._get_att(logical_id, attribute))

        return _SUB_VARIABLE.sub(replace, template)

    def _join(self, arg: Any) -> str:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Join takes [delimiter, list], got {arg!r}")
        delimiter, items = self.resolve(arg[0]), self.resolve(arg[1])
        if not isinstance(items, list):
            raise TemplateError(f"Fn::Join needs a list, got {items!r}")
        return text(delimiter).join(text(item) for item in items)

    def _select(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Select takes [index, list], got {arg!r}")
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise TemplateError(f"Fn::Select index {index!r} is not a number") from None
        if not isinstance(items, list) or not 0 <= position < len(items):
            raise TemplateError(f"Fn::Select index {position} is out of range of {items!r}")
        return items[position]

    def _split(self, arg: Any) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Split takes [delimiter, string], got {arg!r}")
        return text(self.resolve(arg[1])).split(text(self.resolve(arg[0])))

    def _if(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            raise TemplateError(f"Fn::If takes [condition, then, else], got {arg!r}")
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])

    def _equals(self, arg: Any) -> bool:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Equals takes two values, got {arg!r}")
        left, right = (self._comparable(self.resolve(a)) for a in arg)
        return bool(left == right)

    def _not(self, arg: Any) -> bool:
        if not (isinstance(arg, list) and len(arg) == 1):
            raise TemplateError(f"Fn::Not takes a one-item list, got {arg!r}")
        return not self._truth(arg[0])

    def _and(self, arg: Any) -> bool:
        return all(self._truth(item) for item in self._condition_list("Fn::And", arg))

    def _or(self, arg: Any) -> bool:
        return any(self._truth(item) for item in self._condition_list("Fn::Or", arg))

    def _find_in_map(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            raise TemplateError(f"Fn::FindInMap takes [map, key, key], got {arg!r}")
        map_name, top, second = (text(self.resolve(a)) for a in arg)
        try:
            return self._mappings[map_name][top][second]
        except (KeyError, TypeError):
            raise TemplateError(f"Fn::FindInMap: no {map_name}/{top}/{second}") from None

    def _base64(self, arg: Any) -> str:
        return base64.b64encode(text(self.resolve(arg)).encode()).decode()

    def _get_azs(self, arg: Any) -> list[str]:
        region = text(self.resolve(arg)) or text(self._pseudo("AWS::Region"))
        return [f"{region}{zone}" for zone in "abc"]

    # ----------------------------------------------------------------- helpers
    def _truth(self, expression: Any) -> bool:
        if isinstance(expression, dict) and list(expression) == ["Condition"]:
            return self.condition(text(expression["Condition"]))
        value = self.resolve(expression)
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return bool(value == "true")
        raise TemplateError(f"condition {expression!r} is not a boolean")

    @staticmethod
    def _condition_list(name: str, arg: Any) -> list[Any]:
        if not (isinstance(arg, list) and 2 <= len(arg) <= 10):
            raise TemplateError(f"{name} takes 2 to 10 conditions, got {arg!r}")
        return arg

    @staticmethod
    def _comparable(value: Any) -> Any:
        if isinstance(value, list):
            return [text(v) for v in value]
        return text(value)


@dataclass
class Scan:
    """What a template fragment refers to, found without resolving anything."""

    names: set[str] = field(default_factory=set)  # Ref'd or GetAtt'd names
    functions: set[str] = field(default_factory=set)  # every Fn::* used


def scan(value: Any, condition: Callable[[str], bool]) -> Scan:
    """Names referenced by `value`. Fn::If contributes only the branch `condition` picks,
    so a reference inside a branch not taken does not become a dependency."""
    found = Scan()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" and isinstance(arg, str):
                found.names.add(arg)
                return
            if key.startswith("Fn::"):
                found.functions.add(key)
            if key == "Fn::GetAtt":
                target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                if isinstance(target, str):
                    found.names.add(target)
                walk(arg)
                return
            if key == "Fn::Sub":
                template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                for match in _SUB_VARIABLE.finditer(template if isinstance(template, str) else ""):
                    name = match[1].strip()
                    if not name.startswith("!") and name not in variables:
                        found.names.add(name.split(".", 1)[0] if "::" not in name else name)
                walk(variables)
                return
            if key == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                walk(arg[1] if condition(arg[0]) else arg[2])
                return
        for item in node.values():
            walk(item)

    walk(value)
    return found
