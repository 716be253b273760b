"""AWS::SSM::Parameter.

An existing parameter keeps its value: the template's Value is only the initial one.
The checkout saga's `/checkout-saga/faults` holds whatever fault injection the user set,
and a re-deploy must not switch it off behind their back.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .base import Provisioner, Result, Target, error_code, tag_dict


class ParameterProvisioner(Provisioner):
    resource_type = "AWS::SSM::Parameter"
    properties = frozenset({"AllowedPattern", "DataType", "Description", "Name", "Tags", "Tier", "Type", "Value"})
    required = frozenset({"Type", "Value"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        ssm = target.clients("ssm")
        name = properties.get("Name") or target.name(logical_id, max_length=1011, disallowed=r"[^A-Za-z0-9_.-]")
        try:
            current = ssm.get_parameter(Name=name)["Parameter"]
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise
        else:
            return Result(
                ref=name,
                action="kept",
                attributes={"Type": current["Type"], "Value": current["Value"]},
            )
        kwargs: dict[str, Any] = {
            "Name": name,
            "Value": str(properties["Value"]),
            "Type": properties["Type"],
        }
        for key in ("AllowedPattern", "DataType", "Description", "Tier"):
            if key in properties:
                kwargs[key] = str(properties[key])
        if properties.get("Tags"):
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tag_dict(properties["Tags"]).items()]
        ssm.put_parameter(**kwargs)
        return Result(
            ref=name,
            action="created",
            attributes={"Type": properties["Type"], "Value": kwargs["Value"]},
        )
