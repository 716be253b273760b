"""CloudWatch on the local cloud: EMF log lines become metrics, and metric alarms are evaluated and notify their
SNS topics, as on AWS (moto stores alarms but never evaluates them)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local_cloud.cloudwatch.alarms import evaluate
from tests.support.queue_policy import topic_may_send

NAMESPACE = "LocalCloudTest"


def emf_line(metric: str, value: float, **dimensions: str) -> str:
    directive = {"Namespace": NAMESPACE, "Dimensions": [sorted(dimensions)], "Metrics": [{"Name": metric}]}
    return json.dumps(
        {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [directive]}, metric: value, **dimensions}
    )


def write_logs(aws: Callable[[str], Any], *messages: str) -> None:
    logs = aws("logs")
    group, stream = f"/aws/lambda/emf-{uuid.uuid4().hex[:8]}", "2026/11/26/[$LATEST]abc"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": m} for m in messages]
    )


def datapoints(aws: Callable[[str], Any], metric: str, **dimensions: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    answer = aws("cloudwatch").get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": name, "Value": value} for name, value in dimensions.items()],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=300,
        Statistics=["Sum", "SampleCount"],
    )
    return list(answer["Datapoints"])


def test_emf_lines_in_any_log_group_become_metrics_and_other_lines_do_not(aws) -> None:
    metric = f"Emf{uuid.uuid4().hex[:6]}"
    write_logs(
        aws,
        "START RequestId: 1",
        emf_line(metric, 2, service="s"),
        '{"_aws": "not emf"}',
        emf_line(metric, 3, service="s"),
    )

    [point] = datapoints(aws, metric, service="s")
    assert (point["Sum"], point["SampleCount"]) == (5.0, 2.0)
    assert datapoints(aws, metric, service="other") == []


@pytest.fixture
def alerts(aws) -> tuple[str, str]:
    """A topic with a queue subscribed to it (the queue sees what the topic delivers)."""
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": topic_may_send(topic, queue_arn)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


def notifications(aws: Callable[[str], Any], queue_url: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        answer = aws("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        found += [json.loads(json.loads(message["Body"])["Message"]) for message in answer.get("Messages", [])]
    return found


def test_an_alarm_fires_on_its_metric_notifies_its_topic_and_returns_to_ok(aws, alerts) -> None:
    topic, queue_url = alerts
    metric, name = f"Failed{uuid.uuid4().hex[:6]}", f"alarm-{uuid.uuid4().hex[:8]}"
    cloudwatch = aws("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": "service", "Value": "s"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    write_logs(aws, emf_line(metric, 1, service="other"))  # another dimension: not this alarm's metric
    time.sleep(3)
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "OK"

    write_logs(aws, emf_line(metric, 1, service="s"))
    [message] = notifications(aws, queue_url, 1)

    assert (message["AlarmName"], message["OldStateValue"], message["NewStateValue"]) == (name, "OK", "ALARM")
    assert message["Trigger"]["MetricName"] == metric
    assert message["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [1]")
    alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    # Set back by hand (as one tests an alarm's actions), it is ALARM again at the next evaluation, since the
    # datum is still within the period: as on AWS.
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="set by hand")
    [again] = notifications(aws, queue_url, 1)
    assert (again["OldStateValue"], again["NewStateValue"]) == ("OK", "ALARM")


def test_evaluation_follows_the_alarms_settings() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    class Alarm:
        namespace, metric_name = NAMESPACE, "M"
        metric_data_queries: list[Any] = []
        dimensions: list[Any] = []
        statistic, period, evaluation_periods, datapoints_to_alarm = "Sum", 60, 3, 2
        threshold, comparison_operator, treat_missing_data = 5.0, "GreaterThanThreshold", "missing"

    class Datum:
        namespace, name = NAMESPACE, "M"
        dimensions: list[Any] = []

        def __init__(self, seconds_ago: float, value: float) -> None:
            self.timestamp, self.value = now - timedelta(seconds=seconds_ago), value

    two_of_three = [Datum(10, 4), Datum(20, 3), Datum(70, 6), Datum(150, 1)]  # periods: 7, 6, 1
    assert evaluate(Alarm(), two_of_three, now).state == "ALARM"
    one_of_three = [Datum(10, 7), Datum(150, 1)]
    assert evaluate(Alarm(), one_of_three, now).state == "OK"
    too_old = [Datum(181, 100)]
    assert evaluate(Alarm(), too_old, now).state == "INSUFFICIENT_DATA"
    Alarm.treat_missing_data = "breaching"
    assert evaluate(Alarm(), [Datum(10, 7)], now).state == "ALARM"  # 7 > 5, and two periods with no data
    Alarm.treat_missing_data = "ignore"
    assert evaluate(Alarm(), [], now) is None  # the state stays as it is
    Alarm.statistic = "p99"  # extended statistics are not evaluated here
    assert evaluate(Alarm(), two_of_three, now) is None


def _key_for(aws: Callable[[str], Any], *statements: dict[str, Any]) -> str:
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    policy = {"Version": "2012-10-17", "Statement": [root, *statements]}
    return str(aws("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])


CLOUDWATCH_MAY_USE = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": "*",
}


def _alarm_on(aws: Callable[[str], Any], topic: str) -> str:
    metric, name = f"Keyed{uuid.uuid4().hex[:6]}", f"alarm-{uuid.uuid4().hex[:8]}"
    aws("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace=NAMESPACE,
        MetricName=metric,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    write_logs(aws, emf_line(metric, 1))
    return name


@pytest.mark.parametrize(
    ("statements", "delivered"),
    [
        (None, False),  # the AWS managed key alias/aws/sns: its policy cannot admit CloudWatch
        ([], False),  # a customer managed key whose policy does not name CloudWatch
        ([CLOUDWATCH_MAY_USE], True),
    ],
    ids=["aws-managed-key", "key-not-naming-cloudwatch", "key-letting-cloudwatch-use-it"],
)
def test_an_alarm_reaches_an_encrypted_topic_only_if_its_key_lets_cloudwatch_use_it(
    aws, alerts, statements: list[dict[str, Any]] | None, delivered: bool
) -> None:
    topic, queue_url = alerts
    key_id = "alias/aws/sns" if statements is None else _key_for(aws, *statements)
    aws("sns").set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=key_id)
    name = _alarm_on(aws, topic)

    deadline = time.monotonic() + 15
    while aws("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] != "ALARM":
        assert time.monotonic() < deadline, "the alarm never fired"
        time.sleep(0.2)
    found = notifications(aws, queue_url, 1, timeout=4 if not delivered else 15)
    assert [m["AlarmName"] for m in found] == ([name] if delivered else [])
