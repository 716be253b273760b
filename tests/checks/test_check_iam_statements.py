"""`make check-iam` finds every statement of template.yaml, a conditional one (`- !If`) as a whole."""

from __future__ import annotations

from pathlib import Path

import yaml

from checks.check_iam import statements, without
from deployer.template import parse_template_text

ROOT_TEMPLATE_LINES = (Path(__file__).resolve().parents[2] / "template.yaml").read_text().splitlines(keepends=True)


def test_a_conditional_statement_is_removed_as_a_whole_and_the_template_stays_valid() -> None:
    found = [s for s in statements(ROOT_TEMPLATE_LINES) if s.name == "ReadFaultPlan"]
    assert {s.resource for s in found} >= {"CreateOrderFunction", "ChargePaymentFunction"}
    first = found[0]
    assert ROOT_TEMPLATE_LINES[first.lines.start].strip() == "- !If"
    mutated = parse_template_text(without(ROOT_TEMPLATE_LINES, first))
    policies = mutated["Resources"][first.resource]["Properties"]["Policies"][0]["Statement"]
    assert "ReadFaultPlan" not in yaml.safe_dump(policies)
    assert all(isinstance(statement, dict) and "Fn::If" not in statement for statement in policies)


def test_every_sid_of_the_template_is_a_statement_once() -> None:
    # Functions' policy statements (a key policy's statements sit higher, under Properties.KeyPolicy)
    sids = [line.split("Sid:")[1].strip() for line in ROOT_TEMPLATE_LINES if "- Sid:" in line and _indent(line) >= 12]
    assert sorted(s.name for s in statements(ROOT_TEMPLATE_LINES) if " " not in s.name) == sorted(sids)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
