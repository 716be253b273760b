"""AWS::CloudWatch::Dashboard and ::Alarm: PutDashboard and PutMetricAlarm create or replace them, so a re-deploy
converges on the template."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..errors import TemplateError
from .base import Provisioner, Result, Target, error_code


class DashboardProvisioner(Provisioner):
    resource_type = "AWS::CloudWatch::Dashboard"
    properties = frozenset({"DashboardName", "DashboardBody"})
    required = frozenset({"DashboardBody"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        name = properties.get("DashboardName") or target.name(logical_id, max_length=255)
        body = properties["DashboardBody"]
        if not isinstance(body, str):
            body = json.dumps(body)
        try:
            json.loads(body)
        except ValueError as exc:
            raise TemplateError(f"{logical_id}: DashboardBody is not JSON ({exc})") from exc
        cloudwatch = target.clients("cloudwatch")
        try:
            current = cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]
        except ClientError as exc:
            if error_code(exc) not in ("ResourceNotFound", "ResourceNotFoundException"):
                raise
            current = None
        if current is not None and json.loads(current) == json.loads(body):
            return Result(ref=name, action="unchanged")
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
        return Result(ref=name, action="created" if current is None else "updated")


_ALARM_SETTINGS = (  # CloudFormation property = PutMetricAlarm parameter
    "ActionsEnabled", "AlarmActions", "AlarmDescription", "ComparisonOperator", "DatapointsToAlarm", "Dimensions",
    "EvaluationPeriods", "InsufficientDataActions", "MetricName", "Namespace", "OKActions", "Period", "Statistic",
    "Threshold", "TreatMissingData", "Unit",
)  # fmt: skip
_NUMBERS = {"DatapointsToAlarm": int, "EvaluationPeriods": int, "Period": int, "Threshold": float}


class AlarmProvisioner(Provisioner):
    resource_type = "AWS::CloudWatch::Alarm"
    properties = frozenset({"AlarmName", *_ALARM_SETTINGS})
    required = frozenset({"ComparisonOperator", "EvaluationPeriods"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        cloudwatch = target.clients("cloudwatch")
        name = str(properties.get("AlarmName") or target.name(logical_id, max_length=255))
        kwargs: dict[str, Any] = {"AlarmName": name}
        for key in _ALARM_SETTINGS:
            if key in properties:
                value = properties[key]
                kwargs[key] = _NUMBERS[key](value) if key in _NUMBERS else value
        if "ActionsEnabled" in kwargs:
            kwargs["ActionsEnabled"] = str(kwargs["ActionsEnabled"]).lower() == "true"
        existed = bool(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"])
        cloudwatch.put_metric_alarm(**kwargs)
        arn = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
        return Result(ref=name, action="updated" if existed else "created", attributes={"Arn": arn})
