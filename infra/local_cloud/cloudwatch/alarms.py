"""CloudWatch metric alarms, evaluated: moto stores them but never evaluates them. ``AlarmEvaluator`` checks
each one every few seconds and, when its state changes, runs its actions: it publishes AWS's alarm message to each
SNS topic, if the topic's KMS key (when it has one) lets CloudWatch use it, as on AWS. Before each round it samples
every SQS queue's depth (``service_metrics.QueueDepthSampler``).

Periods are counted back from the moment of evaluation rather than aligned to the minute as on AWS: an alarm
fires within seconds of its data here, within a minute or two there."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local_cloud.cloudwatch.service_metrics import QueueDepthSampler
from local_cloud.iam.kms_keys import service_may_use
from local_cloud.seams import Installation

EVALUATION_INTERVAL_SECONDS = 2.0
_LOGGER = logging.getLogger(__name__)
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}
_STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "Sum": sum,
    "Average": lambda values: sum(values) / len(values),
    "Minimum": min,
    "Maximum": max,
    "SampleCount": len,
}
_REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)"}


@dataclass(frozen=True)
class Verdict:
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    values: list[float]  # one per period with data, newest first


def evaluate(alarm: Any, metric_data: list[Any], now: datetime) -> Verdict | None:
    """The state ``alarm`` should be in at ``now``, or None when it cannot say (metric-math alarms, extended
    statistics, TreatMissingData "ignore" with no data): the state then stays as it is."""
    compare = _COMPARISONS.get(alarm.comparison_operator)
    statistic = _STATISTICS.get(alarm.statistic or "")
    if alarm.metric_data_queries or compare is None or statistic is None:
        return None
    wanted = {(item["name"], item["value"]) for item in _dimensions(alarm.dimensions)}
    period = timedelta(seconds=int(alarm.period))
    buckets: list[list[float]] = [[] for _ in range(int(alarm.evaluation_periods))]
    oldest = now - period * len(buckets)
    for datum in metric_data:
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        timestamp = _aware(datum.timestamp)
        if not oldest <= timestamp < now or not hasattr(datum, "value"):  # aggregated data: not written here
            continue
        if wanted != {(item["name"], item["value"]) for item in _dimensions(datum.dimensions)}:
            continue
        buckets[int((now - timestamp) / period)].append(float(datum.value))
    values = [statistic(bucket) for bucket in buckets if bucket]
    breaching = sum(1 for value in values if compare(value, float(alarm.threshold)))
    missing = len(buckets) - len(values)
    treat = alarm.treat_missing_data or "missing"
    if treat == "breaching":
        breaching += missing
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    if breaching >= needed:
        shown = ", ".join(f"{value:g}" for value in values) or "no datapoints (treated as breaching)"
        return Verdict("ALARM", _reason(alarm, shown, "was", len(buckets), needed), values)
    if not values and treat == "missing":
        return Verdict("INSUFFICIENT_DATA", f"Insufficient Data: {len(buckets)} datapoints were unknown.", values)
    if not values and treat == "ignore":
        return None
    shown = ", ".join(f"{value:g}" for value in values) or "no datapoints (treated as not breaching)"
    return Verdict("OK", _reason(alarm, shown, "was not", len(buckets), needed), values)


def _reason(alarm: Any, shown: str, verb: str, periods: int, needed: int) -> str:
    return (
        f"Threshold Crossed: {needed} out of the last {periods} datapoints [{shown}] {verb} "
        f"{_OPERATOR_TEXT.get(alarm.comparison_operator, alarm.comparison_operator)} the threshold "
        f"({float(alarm.threshold):g})."
    )


_OPERATOR_TEXT = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


def _aware(timestamp: datetime) -> datetime:
    """moto keeps naive UTC times (and aware ones when a client gave them)."""
    return timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)


def _time_text(timestamp: datetime) -> str:
    return _aware(timestamp).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"  # as AWS writes it


def _dimensions(dimensions: list[Any]) -> list[dict[str, str]]:
    """moto's Dimension objects (of an alarm or of a datum), as the alarm message writes them."""
    return [{"name": str(item.name), "value": str(item.value)} for item in dimensions]


def alarm_message(alarm: Any, old_state: str, verdict: Verdict, account_id: str, region: str) -> dict[str, Any]:
    """The JSON document CloudWatch publishes to an alarm's SNS topics."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _time_text(alarm.configuration_updated_timestamp),
        "NewStateValue": verdict.state,
        "NewStateReason": verdict.reason,
        "StateChangeTime": _time_text(alarm.state_updated_timestamp),
        "Region": _REGION_NAMES.get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "Statistic",
            "Statistic": str(alarm.statistic).upper(),
            "Unit": alarm.unit,
            "Dimensions": _dimensions(alarm.dimensions),
            "Period": int(alarm.period),
            "EvaluationPeriods": int(alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or "missing",
        },
    }


def evaluate_all(now: datetime | None = None) -> int:
    """One evaluation round over every account's and region's alarms; the number of state changes."""
    from moto.cloudwatch.models import cloudwatch_backends

    changes = 0
    for account_id, region, backend in _backends(cloudwatch_backends):
        if not backend.alarms:
            continue
        data: dict[tuple[str, str], list[Any]] = {}  # per metric: each alarm reads its own only
        for datum in list(backend.metric_data):
            data.setdefault((datum.namespace, datum.name), []).append(datum)
        for alarm in list(backend.alarms.values()):
            verdict = evaluate(alarm, data.get((alarm.namespace, alarm.metric_name), []), now or datetime.now(UTC))
            if verdict is None or verdict.state == alarm.state_value:
                continue
            old_state = alarm.state_value
            alarm.update_state(verdict.reason, json.dumps({"recentDatapoints": verdict.values}), verdict.state)
            changes += 1
            if alarm.actions_enabled:
                _run_actions(alarm, old_state, verdict, account_id, region)
    return changes


def _run_actions(alarm: Any, old_state: str, verdict: Verdict, account_id: str, region: str) -> None:
    from moto.sns.models import sns_backends

    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions}.get(verdict.state, alarm.insufficient_data_actions)
    message = json.dumps(alarm_message(alarm, old_state, verdict, account_id, region))
    subject = f'{verdict.state}: "{alarm.name}" in {_REGION_NAMES.get(region, region)}'[:100]
    for arn in actions or []:
        if arn.startswith("arn:aws:sns:"):  # other actions (Auto Scaling, EC2, SSM) have no target here
            topic_account, topic_region = arn.split(":")[4], arn.split(":")[3]
            sns = sns_backends[topic_account][topic_region]
            refusal = _key_refusal(sns, arn, alarm.alarm_arn)
            if refusal:
                _LOGGER.warning("alarm %s cannot publish to %s: %s", alarm.name, arn, refusal)
                continue
            sns.publish(message, arn=arn, subject=subject)


def _key_refusal(sns: Any, topic_arn: str, alarm_arn: str) -> str:
    """Why CloudWatch may not publish to an encrypted topic, or "": on AWS it must use the topic's key itself,
    so the key's policy must let ``cloudwatch.amazonaws.com`` generate data keys and decrypt. An AWS managed key
    (``alias/aws/sns``) never does: its policy cannot be changed."""
    topic = sns.topics.get(topic_arn)
    key_id = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
    if not key_id:
        return ""
    account, region = topic_arn.split(":")[4], topic_arn.split(":")[3]
    if key_id.removeprefix(f"arn:aws:kms:{region}:{account}:").startswith("alias/aws/"):
        return f"the topic is encrypted with the AWS managed key {key_id}, whose policy admits no other service"
    allowed, reason = service_may_use(
        account, region, key_id, "cloudwatch.amazonaws.com", ["kms:GenerateDataKey", "kms:Decrypt"], alarm_arn
    )
    return "" if allowed else reason


def _backends(backend_dict: Any) -> Iterator[tuple[str, str, Any]]:
    for account_id, regions in list(backend_dict.items()):
        for region, backend in list(regions.items()):
            yield account_id, region, backend


class AlarmEvaluator:
    """Evaluates every alarm each ``interval`` seconds, in a daemon thread, until stopped."""

    def __init__(self, interval: float = EVALUATION_INTERVAL_SECONDS) -> None:
        self._interval = interval
        self._queue_depths = QueueDepthSampler()  # SQS's queue depth metric, sampled before each round
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-cloud-alarms", daemon=True)

    def start(self) -> AlarmEvaluator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._queue_depths.sample()
                evaluate_all()
            except Exception:  # one bad alarm must not end the evaluation of all of them
                _LOGGER.exception("alarm evaluation failed")


def install_alarm_evaluator(interval: float = EVALUATION_INTERVAL_SECONDS) -> Installation:
    evaluator = AlarmEvaluator(interval).start()
    return Installation([evaluator.stop])
