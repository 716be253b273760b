"""Intrinsic functions, conditions, parameters, ASL substitution and naming, without any AWS."""

from __future__ import annotations

from typing import Any

import pytest

from deployer import TemplateError
from deployer.asl import render
from deployer.intrinsics import NO_VALUE, Resolver, scan
from deployer.naming import physical_name
from deployer.parameters import parse_overrides, resolve_parameters

PSEUDO = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "shop",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::Partition": "aws",
}
RESOURCES = {"Table": {"Ref": "shop-Table", "Arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-Table"}}


def resolver(**parameters: Any) -> Resolver:
    return Resolver(
        parameters={"Env": "prod", "Empty": "", "Csv": ["a", "b", "c"], **parameters},
        pseudo=PSEUDO.__getitem__,
        ref=lambda name: RESOURCES[name]["Ref"],
        get_att=lambda name, attribute: RESOURCES[name][attribute],
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "HasEndpoint": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Empty"}, ""]}]},
            "ProdAndEndpoint": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "HasEndpoint"}]},
            "ProdOrEndpoint": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "HasEndpoint"}]},
            "Loop": {"Fn::Not": [{"Condition": "Loop"}]},
        },
        mappings={"Sizes": {"prod": {"Memory": 512}}},
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::Region}-${AWS::AccountId}"},
            "arn:aws:s3:::eu-west-1-123456789012",
        ),
        (
            {"Fn::Sub": "${Table}|${Table.Arn}|${Env}|${!Literal}"},
            f"shop-Table|{RESOURCES['Table']['Arn']}|prod|${{Literal}}",
        ),
        ({"Fn::Sub": ["${Name}.${AWS::URLSuffix}", {"Name": {"Ref": "Table"}}]}, "shop-Table.amazonaws.com"),
        ({"Fn::GetAtt": ["Table", "Arn"]}, RESOURCES["Table"]["Arn"]),
        ({"Fn::GetAtt": "Table.Arn"}, RESOURCES["Table"]["Arn"]),
        ({"Fn::Join": ["-", ["a", {"Ref": "Env"}, {"Ref": "AWS::StackName"}]]}, "a-prod-shop"),
        ({"Fn::Join": [",", {"Ref": "Csv"}]}, "a,b,c"),
        ({"Fn::Select": ["1", {"Fn::Split": ["/", "x/y/z"]}]}, "y"),
        ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
        ({"Fn::If": ["HasEndpoint", "local", "aws"]}, "aws"),
        ({"Fn::If": ["ProdAndEndpoint", 1, 2]}, 2),
        ({"Fn::If": ["ProdOrEndpoint", 1, 2]}, 1),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}, 512),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::Equals": [{"Ref": "Env"}, "prod"]}, True),
    ],
)
def test_resolves(expression: dict[str, Any], expected: Any) -> None:
    assert resolver().resolve(expression) == expected


def test_no_value_removes_the_property_or_item() -> None:
    value = {
        "Keep": 1,
        "Drop": {"Ref": "AWS::NoValue"},
        "List": ["a", {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "b"]}],
    }
    assert resolver().resolve(value) == {"Keep": 1, "List": ["a"]}
    assert resolver().resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_parameters_take_precedence_over_resources_and_nested_values_resolve() -> None:
    assert resolver().resolve({"A": [{"B": {"Ref": "Table"}}]}) == {"A": [{"B": "shop-Table"}]}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"Fn::ImportValue": "x"}, "unsupported intrinsic function Fn::ImportValue"),
        ({"Fn::If": ["Nope", 1, 2]}, "condition 'Nope' is not declared"),
        ({"Fn::If": ["Loop", 1, 2]}, "condition 'Loop' refers to itself"),
        ({"Fn::Select": [5, ["a"]]}, "index 5 is out of range"),
        ({"Ref": "AWS::Nope"}, "unknown pseudo parameter AWS::Nope"),
        ({"Fn::Sub": "${Csv}"}, "expected a string, got list"),
    ],
)
def test_errors_name_the_problem(expression: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        resolver().resolve(expression)


def test_scan_finds_references_and_follows_only_the_branch_taken() -> None:
    found = scan(
        {
            "A": {"Fn::Sub": "${Table.Arn}/${AWS::Region}/${Local}/${!Escaped}"},
            "B": {"Fn::If": ["IsProd", {"Ref": "Taken"}, {"Ref": "NotTaken"}]},
            "C": {"Fn::Sub": ["${X}", {"X": {"Fn::GetAtt": ["Other", "Arn"]}}]},
        },
        condition=lambda name: name == "IsProd",
    )
    assert found.names == {"Table", "AWS::Region", "Local", "Taken", "Other"}
    assert found.functions == {"Fn::Sub", "Fn::If", "Fn::GetAtt"}


def test_parameters_defaults_overrides_and_types() -> None:
    declared = {
        "Stage": {"Type": "String", "Default": "v1", "AllowedPattern": "[a-z0-9]+"},
        "Retries": {"Type": "Number", "Default": 2, "MinValue": 1},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
        "Flag": {"Type": "String", "Default": True, "AllowedValues": ["true", "false"]},
    }
    assert resolve_parameters(declared, {"Retries": "5"}) == {
        "Stage": "v1",
        "Retries": "5",
        "Zones": ["a", "b"],
        "Flag": "true",
    }
    with pytest.raises(TemplateError, match="does not match"):
        resolve_parameters(declared, {"Stage": "V-1"})
    with pytest.raises(TemplateError, match="has no default"):
        resolve_parameters({"Needed": {"Type": "String"}}, {})


def test_parse_overrides_accepts_the_usual_spellings() -> None:
    assert parse_overrides(["A=1", "B=x=y", "C=3 D=4", "ParameterKey=E,ParameterValue=5"]) == {
        "A": "1",
        "B": "x=y",
        "C": "3",
        "D": "4",
        "E": "5",
    }


def test_asl_substitution_is_textual_and_checked() -> None:
    source = (
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${Fn}", "TimeoutSeconds": ${T}, "End": true}}}'
    )
    rendered = render(source, {"Fn": "arn:aws:lambda:us-east-1:1:function:f", "T": "5"}, "x.asl.json")
    assert '"TimeoutSeconds": 5,' in rendered
    with pytest.raises(
        TemplateError, match=r"x\.asl\.json: no DefinitionSubstitutions entry for \$\{T\} \(first at line 1\)"
    ):
        render(source, {"Fn": "f"}, "x.asl.json")
    with pytest.raises(TemplateError, match="not valid JSON after substitution"):
        render(source, {"Fn": "f", "T": "five"}, "x.asl.json")


def test_physical_names_are_deterministic_and_fit_the_limits() -> None:
    assert physical_name("checkout-saga", "OrdersTable", max_length=255) == "checkout-saga-OrdersTable"
    long_a = physical_name("checkout-saga", "A" * 80 + "One", max_length=64)
    long_b = physical_name("checkout-saga", "A" * 80 + "Two", max_length=64)
    assert len(long_a) == len(long_b) == 64
    assert long_a != long_b
    assert long_a == physical_name("checkout-saga", "A" * 80 + "One", max_length=64)
    assert physical_name("s", "a.b", max_length=64) == "s-a-b"
