"""AWS's policy evaluation logic for one request, as its documentation states it.

A statement applies to a request when its ``Action`` (or ``NotAction``), ``Resource`` (or ``NotResource``), in a
resource-based policy its ``Principal`` (or ``NotPrincipal``), and every operator of its ``Condition`` match. An
applicable ``Deny`` decides at once (explicit deny wins); otherwise an applicable ``Allow`` allows; otherwise the
answer is an implicit deny. Action names match case-insensitively, ARNs case-sensitively; ``*`` and ``?`` are the
only wildcards (every other character, ``.`` included, is literal).

A condition operator or key this module does not know raises ``UnsupportedCondition``, naming it: a statement
whose condition cannot be judged is never silently taken as matching or not matching (the caller denies).

Pure functions of the documents and the request: no moto here.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ContextValue = str | Sequence[str]


class UnsupportedCondition(Exception):
    """A condition operator or key the local evaluator does not implement: the request is refused."""


class Decision(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class Principal:
    """Who calls: an IAM role's session (``role_arn`` set), a user, an account's root, or a service."""

    arn: str = ""  # the session's or user's ARN as STS reports it; empty for a service
    account: str = ""
    role_arn: str = ""  # arn:aws:iam::<account>:role/<name> for an assumed role: aws:PrincipalArn
    service: str = ""  # e.g. cloudwatch.amazonaws.com when a service acts on its own behalf

    @property
    def principal_arn(self) -> str:
        return self.role_arn or self.arn


@dataclass(frozen=True)
class Request:
    action: str  # service:Action
    resource: str  # an ARN, or "*"
    principal: Principal = field(default_factory=Principal)
    context: Mapping[str, ContextValue] = field(default_factory=dict)  # condition keys, any case

    def value(self, key: str) -> ContextValue | None:
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return value
        if wanted == "aws:principalarn" and self.principal.principal_arn:
            return self.principal.principal_arn
        if wanted == "aws:principalaccount" and self.principal.account:
            return self.principal.account
        if wanted == "aws:principalservicename" and self.principal.service:
            return self.principal.service
        return None


# The condition keys a request can carry here, lower-cased; a prefix ends with ':'.
KNOWN_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalservicename",
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:calledvia",
        "dynamodb:leadingkeys",
        "kms:encryptioncontextkeys",
        "kms:viaservice",
        "kms:calleraccount",
        "kms:requestalias",
        "kms:resourcealiases",
    }
)
KNOWN_KEY_PREFIXES = ("kms:encryptioncontext:",)


def decide(
    documents: Iterable[Mapping[str, Any]],
    request: Request,
    *,
    resource_policy: bool = False,
    account_names_principal: bool = True,
) -> Decision:
    """The decision of these policies alone (identity-based ones, or one resource's policy when
    ``resource_policy``: then each statement must also name the principal). With ``account_names_principal``
    false, a Principal naming the caller's account (its root) does not count as naming the caller: what is then
    allowed is what the resource policy grants the caller by name, with no identity policy needed."""
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not _applies(statement, request, resource_policy, account_names_principal):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = allowed or statement.get("Effect") == "Allow"
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _applies(
    statement: Mapping[str, Any], request: Request, resource_policy: bool, account_names_principal: bool
) -> bool:
    if "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _listed(statement["NotAction"])):
            return False
    elif not any(action_matches(p, request.action) for p in _listed(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(resource_matches(p, request.resource) for p in _listed(statement["NotResource"])):
            return False
    elif not any(resource_matches(p, request.resource) for p in _listed(statement.get("Resource"))):
        return False  # a statement without Resource or NotResource matches nothing (AWS refuses to store it)
    if resource_policy or "Principal" in statement or "NotPrincipal" in statement:
        if "NotPrincipal" in statement:
            if principal_matches(statement["NotPrincipal"], request.principal):
                return False
        elif not principal_matches(statement.get("Principal"), request.principal, account_names_principal):
            return False
    return conditions_hold(statement.get("Condition") or {}, request)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``*`` any run of characters, ``?`` any one; every other character stands for itself."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).match(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return wildcard_matches(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    """An ARN pattern matches component by component (a wildcard does not cross a colon of the first five);
    ``*`` alone matches everything."""
    if pattern == "*":
        return True
    return arn_like(pattern, resource)


def arn_like(pattern: str, arn: str) -> bool:
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return wildcard_matches(pattern, arn)
    return all(wildcard_matches(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def principal_matches(element: Any, principal: Principal, account_names_principal: bool = True) -> bool:
    """``"*"``, ``{"AWS": ...}`` (an account id, its root ARN, a role's or user's ARN) or ``{"Service": ...}``."""
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    for kind, values in element.items():
        for value in _listed(values):
            if kind == "Service" and principal.service and value == principal.service:
                return True
            if kind == "AWS" and _names_aws_principal(value, principal, account_names_principal):
                return True
    return False


def _names_aws_principal(value: str, principal: Principal, account_names_principal: bool) -> bool:
    if value == "*":
        return True
    if principal.service:
        return False
    if value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
        return bool(principal.account) and account_names_principal
    return value in (principal.arn, principal.role_arn)


# ---------------------------------------------------------------------------------------------- conditions


def conditions_hold(conditions: Mapping[str, Any], request: Request) -> bool:
    """Every operator, every key of each operator, must hold (AND); the values of one key are alternatives."""
    for operator_text, tests in conditions.items():
        operator = _parse_operator(operator_text)
        for key, expected in dict(tests).items():
            _check_key(key)
            if not operator.holds(request.value(key), _substituted(_listed(expected), request)):
                return False
    return True


def _check_key(key: str) -> None:
    lowered = key.lower()
    if lowered in KNOWN_KEYS or any(lowered.startswith(p) and len(lowered) > len(p) for p in KNOWN_KEY_PREFIXES):
        return
    raise UnsupportedCondition(f"the condition key {key} is not supported by the local cloud's IAM evaluator")


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substituted(values: list[str], request: Request) -> list[str]:
    """Policy variables (``${aws:PrincipalAccount}``); one the request has no value for is refused."""

    def value_of(match: re.Match[str]) -> str:
        key = match[1]
        if key in ("*", "?", "$"):
            return key
        _check_key(key)
        value = request.value(key)
        if not isinstance(value, str):
            raise UnsupportedCondition(f"the policy variable ${{{key}}} has no single value in this request")
        return value

    return [_VARIABLE.sub(value_of, v) for v in values]


Comparison = Callable[[str, str], bool]


def _string_equals(actual: str, expected: str) -> bool:
    return actual == expected


def _string_equals_ignore_case(actual: str, expected: str) -> bool:
    return actual.lower() == expected.lower()


def _string_like(actual: str, expected: str) -> bool:
    return wildcard_matches(expected, actual)


def _arn_like(actual: str, expected: str) -> bool:
    return arn_like(expected, actual)


def _bool(actual: str, expected: str) -> bool:
    return actual.lower() == expected.lower()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Comparison:
    def holds(actual: str, expected: str) -> bool:
        a, e = _number(actual), _number(expected)
        return a is not None and e is not None and compare(a, e)

    return holds


def _date(text: str) -> datetime.datetime | None:
    try:
        if re.fullmatch(r"\d+", text):
            return datetime.datetime.fromtimestamp(int(text), datetime.UTC)
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _dated(compare: Callable[[datetime.datetime, datetime.datetime], bool]) -> Comparison:
    def holds(actual: str, expected: str) -> bool:
        a, e = _date(actual), _date(expected)
        return a is not None and e is not None and compare(a, e)

    return holds


# name -> (comparison, negated)
_OPERATORS: dict[str, tuple[Comparison, bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(lambda a, e: a == e), False),
    "NumericNotEquals": (_numeric(lambda a, e: a == e), True),
    "NumericLessThan": (_numeric(lambda a, e: a < e), False),
    "NumericLessThanEquals": (_numeric(lambda a, e: a <= e), False),
    "NumericGreaterThan": (_numeric(lambda a, e: a > e), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, e: a >= e), False),
    "DateEquals": (_dated(lambda a, e: a == e), False),
    "DateNotEquals": (_dated(lambda a, e: a == e), True),
    "DateLessThan": (_dated(lambda a, e: a < e), False),
    "DateLessThanEquals": (_dated(lambda a, e: a <= e), False),
    "DateGreaterThan": (_dated(lambda a, e: a > e), False),
    "DateGreaterThanEquals": (_dated(lambda a, e: a >= e), False),
}


@dataclass(frozen=True)
class _Operator:
    name: str
    comparison: Comparison | None  # None: Null
    negated: bool = False
    if_exists: bool = False
    set_operator: str = ""  # "", "ForAnyValue" or "ForAllValues"

    def holds(self, actual: ContextValue | None, expected: list[str]) -> bool:
        if self.comparison is None:  # Null: "true" asks for the key's absence
            absent = actual is None or (not isinstance(actual, str) and not actual)
            return any(absent == (e.lower() == "true") for e in expected)
        values = [] if actual is None else [actual] if isinstance(actual, str) else list(actual)
        if self.set_operator == "ForAllValues":
            return all(self._one(v, expected) for v in values)  # true for no value at all, as AWS documents
        if self.set_operator == "ForAnyValue":
            return any(self._one(v, expected) for v in values)
        if not values:
            # A missing key: false, except that a negated operator and ...IfExists hold.
            return self.if_exists or self.negated
        return any(self._one(v, expected) for v in values)

    def _one(self, actual: str, expected: list[str]) -> bool:
        assert self.comparison is not None
        matched = any(self.comparison(actual, e) for e in expected)
        return not matched if self.negated else matched


@lru_cache(maxsize=256)
def _parse_operator(text: str) -> _Operator:
    set_operator, _, name = text.rpartition(":")
    if set_operator not in ("", "ForAnyValue", "ForAllValues"):
        raise UnsupportedCondition(f"the condition operator {text} is not supported by the local cloud's IAM evaluator")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name.removesuffix("IfExists") if if_exists else name
    if base == "Null" and not if_exists:
        return _Operator(base, None, set_operator=set_operator)
    if base not in _OPERATORS:
        raise UnsupportedCondition(f"the condition operator {text} is not supported by the local cloud's IAM evaluator")
    comparison, negated = _OPERATORS[base]
    return _Operator(base, comparison, negated, if_exists, set_operator)
