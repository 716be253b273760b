"""AWS::DynamoDB::Table. A re-deploy keeps the table and its data and converges billing
mode, global secondary indexes, streams, TTL and point-in-time recovery."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..errors import DeployError
from .base import Provisioner, Result, Target, error_code, wait_until


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _throughput(value: dict[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(value["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(value["WriteCapacityUnits"]),
    }


def _index(spec: dict[str, Any], *, global_: bool) -> dict[str, Any]:
    index: dict[str, Any] = {
        "IndexName": spec["IndexName"],
        "KeySchema": spec["KeySchema"],
        "Projection": spec.get("Projection", {"ProjectionType": "ALL"}),
    }
    if global_ and "ProvisionedThroughput" in spec:
        index["ProvisionedThroughput"] = _throughput(spec["ProvisionedThroughput"])
    return index


def _shape(index: dict[str, Any]) -> tuple[Any, ...]:
    """What cannot change in place: an index whose shape changes is dropped and re-created."""
    keys = tuple((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"])
    projection = index.get("Projection", {})
    return keys, projection.get("ProjectionType"), tuple(projection.get("NonKeyAttributes", []))


class TableProvisioner(Provisioner):
    resource_type = "AWS::DynamoDB::Table"
    properties = frozenset(
        {
            "AttributeDefinitions",
            "BillingMode",
            "DeletionProtectionEnabled",
            "GlobalSecondaryIndexes",
            "KeySchema",
            "LocalSecondaryIndexes",
            "PointInTimeRecoverySpecification",
            "ProvisionedThroughput",
            "SSESpecification",
            "StreamSpecification",
            "TableClass",
            "TableName",
            "Tags",
            "TimeToLiveSpecification",
        }
    )
    required = frozenset({"KeySchema", "AttributeDefinitions"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        ddb = target.clients("dynamodb")
        name = properties.get("TableName") or target.name(logical_id, max_length=255, disallowed=r"[^A-Za-z0-9_.-]")
        try:
            table = ddb.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            self._create(ddb, name, properties)
            changed, action = True, "created"
        else:
            changed = self._update(ddb, name, table, properties, logical_id)
            action = "updated"
        changed = self._time_to_live(ddb, name, properties) or changed
        changed = self._point_in_time_recovery(ddb, name, properties) or changed
        table = ddb.describe_table(TableName=name)["Table"]
        attributes = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return Result(ref=name, action=action if changed else "unchanged", attributes=attributes)

    # ----------------------------------------------------------------- create
    def _create(self, ddb: Any, name: str, props: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"])
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = [_index(i, global_=True) for i in props["GlobalSecondaryIndexes"]]
        if props.get("LocalSecondaryIndexes"):
            kwargs["LocalSecondaryIndexes"] = [_index(i, global_=False) for i in props["LocalSecondaryIndexes"]]
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = self._stream(props)
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            kwargs["SSESpecification"] = {
                "Enabled": _flag(sse.get("SSEEnabled", True)),
                **{k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse},
            }
        if "TableClass" in props:
            kwargs["TableClass"] = props["TableClass"]
        if "DeletionProtectionEnabled" in props:
            kwargs["DeletionProtectionEnabled"] = _flag(props["DeletionProtectionEnabled"])
        if props.get("Tags"):
            kwargs["Tags"] = props["Tags"]
        ddb.create_table(**kwargs)
        self._wait_active(ddb, name)

    # ----------------------------------------------------------------- update
    def _update(self, ddb: Any, name: str, table: dict[str, Any], props: dict[str, Any], logical_id: str) -> bool:
        if _shape({"KeySchema": table["KeySchema"]})[0] != _shape(props)[0]:
            raise DeployError(
                f"{logical_id}: the key schema of existing table {name} differs from the "
                "template and cannot change in place; delete the table to re-create it"
            )
        changed = False
        billing = props.get("BillingMode", "PROVISIONED")
        current_billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        if billing != current_billing:
            kwargs: dict[str, Any] = {"TableName": name, "BillingMode": billing}
            if "ProvisionedThroughput" in props:
                kwargs["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"])
            ddb.update_table(**kwargs)
            self._wait_active(ddb, name)
            changed = True
        desired_stream = self._stream(props) if "StreamSpecification" in props else None
        current_stream = table.get("StreamSpecification")
        if (desired_stream or {}).get("StreamViewType") != (
            current_stream.get("StreamViewType") if current_stream and current_stream.get("StreamEnabled") else None
        ):
            ddb.update_table(TableName=name, StreamSpecification=desired_stream or {"StreamEnabled": False})
            self._wait_active(ddb, name)
            changed = True
        protected = _flag(props.get("DeletionProtectionEnabled", False))
        if protected != bool(table.get("DeletionProtectionEnabled", False)):
            ddb.update_table(TableName=name, DeletionProtectionEnabled=protected)
            self._wait_active(ddb, name)
            changed = True
        return self._global_indexes(ddb, name, table, props) or changed

    def _global_indexes(self, ddb: Any, name: str, table: dict[str, Any], props: dict[str, Any]) -> bool:
        current = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        desired = {i["IndexName"]: _index(i, global_=True) for i in props.get("GlobalSecondaryIndexes", [])}
        drop = [n for n in current if n not in desired or _shape(current[n]) != _shape(desired[n])]
        add = [n for n in desired if n not in current or n in drop]
        # DynamoDB takes one index change per UpdateTable and only once the last one is done.
        for index_name in drop:
            ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index_name}}])
            self._wait_active(ddb, name)
        for index_name in add:
            ddb.update_table(
                TableName=name,
                AttributeDefinitions=props["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": desired[index_name]}],
            )
            self._wait_active(ddb, name)
        return bool(drop or add)

    def _time_to_live(self, ddb: Any, name: str, props: dict[str, Any]) -> bool:
        spec = props.get("TimeToLiveSpecification") or {}
        want = _flag(spec.get("Enabled", False)) and bool(spec.get("AttributeName"))
        current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        if want and (not enabled or current.get("AttributeName") != spec["AttributeName"]):
            spec_on = {"Enabled": True, "AttributeName": spec["AttributeName"]}
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec_on)
            return True
        if not want and enabled:
            spec_off = {"Enabled": False, "AttributeName": current["AttributeName"]}
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec_off)
            return True
        return False

    def _point_in_time_recovery(self, ddb: Any, name: str, props: dict[str, Any]) -> bool:
        if "PointInTimeRecoverySpecification" not in props:
            return False
        want = _flag(props["PointInTimeRecoverySpecification"].get("PointInTimeRecoveryEnabled"))
        description = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        status = description.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        if (status == "ENABLED") == want:
            return False
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": want},
        )
        return True

    @staticmethod
    def _stream(props: dict[str, Any]) -> dict[str, Any]:
        return {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }

    @staticmethod
    def _wait_active(ddb: Any, name: str) -> None:
        def active() -> bool:
            table = ddb.describe_table(TableName=name)["Table"]
            indexes = table.get("GlobalSecondaryIndexes", [])
            return table["TableStatus"] == "ACTIVE" and all(i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes)

        wait_until(active, what=f"table {name} to become ACTIVE")
