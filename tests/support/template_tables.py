"""The DynamoDB tables of template.yaml, created from their own Properties, so that a suite's tables (key
schema, indexes, TTL) cannot drift from what is deployed."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from deployer.template import load_template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
_CREATE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
)


def table_properties(template: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of every AWS::DynamoDB::Table of the template."""
    return _table_properties(template, template.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _table_properties(template: Path, _version: int) -> dict[str, dict[str, Any]]:
    resources = load_template(template)["Resources"]
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


def create_tables(dynamodb_client: Any, template: Path = TEMPLATE, prefix: str = "") -> dict[str, str]:
    """Create every table of the template through `dynamodb_client`; return logical id -> table name."""
    names: dict[str, str] = {}
    for logical_id, properties in table_properties(template).items():
        name = f"{prefix}{properties.get('TableName', logical_id)}"
        request = {key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties}
        if "StreamSpecification" in properties:
            request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        dynamodb_client.create_table(TableName=name, **request)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb_client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": bool(ttl["Enabled"])},
            )
        names[logical_id] = name
    return names
