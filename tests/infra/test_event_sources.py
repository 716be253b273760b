"""The local cloud's event source mappings and schedules (local_cloud/events/): delivery is
asynchronous, batches are handled as Lambda handles them (partial failures), a failing message comes back until
the redrive moves it to its dead-letter queue, a stream is read in order, the function's role must allow the
reads, and a rate() schedule fires its Lambda target."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from local_cloud.events import event_sources
from local_cloud.events.event_sources import (
    QUEUE_ACCESS,
    SQS_CONCURRENCY,
    STREAM_ACCESS,
    detach_synchronous_delivery,
)
from local_cloud.events.schedules import ScheduleRunner, period_seconds
from local_cloud.server import LocalCloud
from tests.infra.conftest import allow, make_zip, trust_policy

CONSUMERS = """
import json, os, time
import boto3


def _out():
    return boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def partial(event, context):
    # Fails the records whose body says so; the others succeed (ReportBatchItemFailures). With GATE set, it first
    # waits for that file: a sender that waited for the consumer would still be waiting when the gate gives up.
    if "GATE" in os.environ:
        deadline = time.monotonic() + 8
        while not os.path.exists(os.environ["GATE"]):
            if time.monotonic() > deadline:
                raise RuntimeError("the gate never opened: the sender waited for this consumer")
            time.sleep(0.01)
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"]
    for record in event["Records"]:
        if record["body"] != "poison":
            _out().send_message(QueueUrl=os.environ["OUT"], MessageBody=record["body"])
    return {"batchItemFailures": failures}


def stream(event, context):
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"] if r["eventName"] == "INSERT"]
    if "poison" in keys:
        raise RuntimeError("this record always fails")
    if "retry-me" in keys and not os.path.exists("/tmp/" + os.environ["MARK"]):
        open("/tmp/" + os.environ["MARK"], "w").close()
        raise RuntimeError("the first delivery of this batch fails")
    for key in keys:
        _out().send_message(QueueUrl=os.environ["OUT"], MessageBody=key)
    return {"seen": len(keys)}
"""


@pytest.fixture(scope="module")
def code() -> bytes:
    return make_zip({"consumers.py": CONSUMERS})


@pytest.fixture
def make_function(aws: Callable[[str], Any], code: bytes) -> Callable[..., tuple[str, str]]:
    """A function with its own role allowed `actions` on `resource`; (function name, role name)."""

    def make(handler: str, environment: dict[str, str], statements: list[tuple[list[str], str]]) -> tuple[str, str]:
        name = f"esm-{handler}-{uuid.uuid4().hex[:6]}"
        iam = aws("iam")
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy())["Role"]["Arn"]
        for n, (actions, resource) in enumerate(statements):
            iam.put_role_policy(RoleName=name, PolicyName=f"p{n}", PolicyDocument=allow(actions, resource))
        aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler=f"consumers.{handler}",
            Code={"ZipFile": code},
            Timeout=10,
            Environment={"Variables": environment},
        )
        return name, name

    return make


def queue(aws: Callable[[str], Any], name: str, **attributes: str) -> tuple[str, str]:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"{name}-{uuid.uuid4().hex[:6]}", Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(aws: Callable[[str], Any], url: str, expected: int, timeout: float = 30) -> list[str]:
    sqs, bodies = aws("sqs"), list[str]()
    deadline = time.monotonic() + timeout
    while len(bodies) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def count(aws: Callable[[str], Any], url: str) -> int:
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def out(aws: Callable[[str], Any]) -> tuple[str, str]:
    return queue(aws, "out")


def test_sqs_delivery_is_asynchronous_batched_and_partial_failures_reach_the_dead_letter_queue(
    cloud: LocalCloud,
    aws: Callable[[str], Any],
    make_function: Callable[..., tuple[str, str]],
    out: tuple[str, str],
    tmp_path: Path,
) -> None:
    gate = tmp_path / "gate"  # the consumer waits for it, and gives up (gate.missed) after 8 s
    dlq_url, dlq_arn = queue(aws, "dlq")
    url, arn = queue(
        aws,
        "in",
        VisibilityTimeout="6",  # longer than a batch takes, even on a busy machine: no message comes back early
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    )
    function, _ = make_function(
        "partial",
        {"OUT": out[0], "GATE": str(gate)},
        [(["sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sqs:DeleteMessage"], arn), (["sqs:SendMessage"], out[1])],
    )
    aws("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    sqs = aws("sqs")
    for body in ["a", "poison", "b"]:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    gate.touch()  # only once the sends returned: a sender that waited for its consumer would have timed it out

    assert sorted(drain(aws, out[0], 2)) == ["a", "b"]  # the good ones were delivered once each
    deadline = time.monotonic() + 20
    while count(aws, dlq_url) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert count(aws, dlq_url) == 1  # the poison, after maxReceiveCount receives
    assert count(aws, url) == 0
    assert drain(aws, out[0], 1, timeout=1) == []  # nothing delivered twice
    assert not (tmp_path / "gate.missed").exists(), "a sender waited for the consumer"


def test_a_mapping_of_an_alias_invokes_the_version_the_alias_points_to_now(
    cloud: LocalCloud, aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]]
) -> None:
    """As Lambda: the mapping keeps the alias, so a message after the alias moved runs the new version."""
    (first_url, first_arn), (second_url, second_arn) = queue(aws, "v1"), queue(aws, "v2")
    url, arn = queue(aws, "aliased", VisibilityTimeout="6")
    function, _ = make_function(
        "partial",
        {"OUT": first_url},
        [(["sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sqs:DeleteMessage"], arn)]
        + [(["sqs:SendMessage"], out) for out in (first_arn, second_arn)],
    )
    lam = aws("lambda")
    lam.create_alias(
        FunctionName=function, Name="live", FunctionVersion=lam.publish_version(FunctionName=function)["Version"]
    )
    alias_arn = lam.get_alias(FunctionName=function, Name="live")["AliasArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=alias_arn, BatchSize=1)
    assert mapping["FunctionArn"] == alias_arn
    aws("sqs").send_message(QueueUrl=url, MessageBody="before")
    assert drain(aws, first_url, 1) == ["before"]

    lam.update_function_configuration(FunctionName=function, Environment={"Variables": {"OUT": second_url}})
    lam.update_alias(
        FunctionName=function, Name="live", FunctionVersion=lam.publish_version(FunctionName=function)["Version"]
    )
    aws("sqs").send_message(QueueUrl=url, MessageBody="after")

    assert drain(aws, second_url, 1) == ["after"]
    assert drain(aws, first_url, 1, timeout=1) == []


@pytest.mark.parametrize(
    "granted",
    [[], ["sqs:ReceiveMessage"], ["sqs:GetQueueAttributes"]],  # AWS's poller needs both
    ids=["nothing", "no-GetQueueAttributes", "no-ReceiveMessage"],
)
def test_the_role_must_allow_every_read_of_the_queue(
    cloud: LocalCloud,
    aws: Callable[[str], Any],
    make_function: Callable[..., tuple[str, str]],
    out: tuple[str, str],
    granted: list[str],
) -> None:
    # The role loses its reads after the mapping was created (Lambda checks them at creation too): the poller
    # needs them at every receive.
    url, arn = queue(aws, "denied")
    consumer = [(["sqs:SendMessage"], out[1]), (list(QUEUE_ACCESS), arn)]
    function, role = make_function("partial", {"OUT": out[0]}, consumer)
    lam = aws("lambda")  # created disabled: no receive of its poller can start before the role loses its reads
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, BatchSize=10, Enabled=False)
    iam = aws("iam")
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=policy)
    grants = [(["sqs:SendMessage"], out[1])] + ([(granted, arn)] if granted else [])
    for number, (actions, resource) in enumerate(grants):
        iam.put_role_policy(RoleName=role, PolicyName=f"after{number}", PolicyDocument=allow(actions, resource))
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    aws("sqs").send_message(QueueUrl=url, MessageBody="never")

    time.sleep(2)

    assert count(aws, url) == 1  # not received
    assert drain(aws, out[0], 1, timeout=1) == []


def streamed_table(ddb: Any) -> tuple[str, str]:
    """A new table with a stream of its new images: its name and its stream's ARN."""
    table = f"streamed-{uuid.uuid4().hex[:6]}"
    stream_arn = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    return table, str(stream_arn)


def stream_consumer(
    aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]], out: tuple[str, str], reads: list[str]
) -> tuple[str, str, str]:
    """A streamed table read one record at a time by a function whose role may do `reads` on the stream: the
    table's name, the role's, the stream's ARN."""
    table, stream_arn = streamed_table(aws("dynamodb"))
    function, role = make_function(
        "stream", {"OUT": out[0], "MARK": uuid.uuid4().hex}, [(reads, stream_arn), (["sqs:SendMessage"], out[1])]
    )
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName=function, StartingPosition="TRIM_HORIZON", BatchSize=1
    )
    return table, role, stream_arn


def test_a_stream_is_read_in_order_and_a_failed_batch_retried(
    cloud: LocalCloud, aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]], out: tuple[str, str]
) -> None:
    table, _role, _stream = stream_consumer(aws, make_function, out, list(STREAM_ACCESS))
    for key in ["first", "retry-me", "last"]:
        aws("dynamodb").put_item(TableName=table, Item={"pk": {"S": key}})

    assert drain(aws, out[0], 3) == ["first", "retry-me", "last"]  # in order, the failed batch again before "last"


def test_an_idle_stream_poller_is_woken_by_the_write_not_by_a_timer(
    cloud: LocalCloud,
    aws: Callable[[str], Any],
    make_function: Callable[..., tuple[str, str]],
    out: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a poller whose idle wait would last two minutes, idle after its first record
    monkeypatch.setattr(event_sources, "_IDLE_SECONDS", 120.0)
    table, _role, _stream = stream_consumer(aws, make_function, out, list(STREAM_ACCESS))
    aws("dynamodb").put_item(TableName=table, Item={"pk": {"S": "first"}})
    assert drain(aws, out[0], 1) == ["first"]
    # When the next record is written, Then it is delivered long before the wait would end
    aws("dynamodb").put_item(TableName=table, Item={"pk": {"S": "second"}})
    assert drain(aws, out[0], 1, timeout=30) == ["second"]


def test_a_read_stream_can_still_be_backed_up(
    cloud: LocalCloud, aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]], out: tuple[str, str]
) -> None:
    # Given a streamed table whose poller has read and waited on it
    table, _role, _stream = stream_consumer(aws, make_function, out, list(STREAM_ACCESS))
    aws("dynamodb").put_item(TableName=table, Item={"pk": {"S": "kept"}})
    assert drain(aws, out[0], 1) == ["kept"]
    # When it is backed up (moto deep-copies the table, its stream shard with it), Then the backup is made
    backup = aws("dynamodb").create_backup(TableName=table, BackupName="with-stream")["BackupDetails"]
    assert backup["BackupStatus"] == "AVAILABLE"


def test_a_failing_stream_batch_is_bisected_and_the_poisoned_record_goes_to_the_on_failure_queue(
    cloud: LocalCloud, aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]], out: tuple[str, str]
) -> None:
    failures_url, failures_arn = queue(aws, "on-failure")
    table, stream_arn = streamed_table(aws("dynamodb"))
    function, _role = make_function(
        "stream",
        {"OUT": out[0], "MARK": uuid.uuid4().hex},
        [(list(STREAM_ACCESS), stream_arn), (["sqs:SendMessage"], out[1]), (["sqs:SendMessage"], failures_arn)],
    )
    for key in ["first", "poison", "last"]:  # written before the mapping: one batch of three
        aws("dynamodb").put_item(TableName=table, Item={"pk": {"S": key}})
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=function,
        StartingPosition="TRIM_HORIZON",
        BatchSize=3,
        MaximumRetryAttempts=1,
        BisectBatchOnFunctionError=True,
        MaximumRecordAgeInSeconds=600,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )

    assert drain(aws, out[0], 2) == ["first", "last"]  # the halves without the poisoned record got through
    [failure] = [json.loads(body) for body in drain(aws, failures_url, 1)]
    batch = failure["DDBStreamBatchInfo"]
    assert (batch["batchSize"], batch["streamArn"]) == (1, stream_arn)
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_a_stream_mapping_is_refused_unless_the_role_may_send_to_its_on_failure_queue(
    cloud: LocalCloud, aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]], out: tuple[str, str]
) -> None:
    _url, failures_arn = queue(aws, "on-failure")
    _table, stream_arn = streamed_table(aws("dynamodb"))
    function, _role = make_function("stream", {"OUT": out[0], "MARK": "m"}, [(list(STREAM_ACCESS), stream_arn)])

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        aws("lambda").create_event_source_mapping(
            EventSourceArn=stream_arn,
            FunctionName=function,
            StartingPosition="TRIM_HORIZON",
            DestinationConfig={"OnFailure": {"Destination": failures_arn}},
        )

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert f"permissions to call SendMessage on {failures_arn}" in refused.value.response["Error"]["Message"]
    assert aws("lambda").list_event_source_mappings(FunctionName=function)["EventSourceMappings"] == []


@pytest.mark.parametrize("missing", QUEUE_ACCESS)
def test_a_queue_mapping_is_refused_unless_the_role_may_receive_delete_and_read_its_attributes(
    cloud: LocalCloud,
    aws: Callable[[str], Any],
    make_function: Callable[..., tuple[str, str]],
    out: tuple[str, str],
    missing: str,
) -> None:
    _, arn = queue(aws, "needs-all-three")
    function, _ = make_function("partial", {"OUT": out[0]}, [([a for a in QUEUE_ACCESS if a != missing], arn)])
    lam = aws("lambda")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, BatchSize=10)

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == f"The provided execution role does not have permissions to call {missing[4:]} on SQS"
    assert lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"] == []  # nothing left


@pytest.mark.parametrize("missing", STREAM_ACCESS)
def test_a_stream_mapping_is_refused_unless_the_role_may_read_the_stream(
    cloud: LocalCloud,
    aws: Callable[[str], Any],
    make_function: Callable[..., tuple[str, str]],
    out: tuple[str, str],
    missing: str,
) -> None:
    lam = aws("lambda")
    before = lam.list_event_source_mappings()["EventSourceMappings"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        stream_consumer(aws, make_function, out, [action for action in STREAM_ACCESS if action != missing])

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith("Cannot access stream arn:aws:dynamodb:")
    assert "GetRecords, GetShardIterator, DescribeStream, and ListStreams" in error["Message"]
    assert lam.list_event_source_mappings()["EventSourceMappings"] == before  # nothing left behind


def test_the_role_must_allow_every_read_of_the_stream(
    cloud: LocalCloud, aws: Callable[[str], Any], make_function: Callable[..., tuple[str, str]], out: tuple[str, str]
) -> None:
    # The role loses DescribeStream and GetShardIterator after the mapping was created: AWS's poller needs them.
    table, role, stream_arn = stream_consumer(aws, make_function, out, list(STREAM_ACCESS))
    kept = ["dynamodb:GetRecords", "dynamodb:ListStreams"]
    aws("iam").put_role_policy(RoleName=role, PolicyName="p0", PolicyDocument=allow(kept, stream_arn))
    aws("dynamodb").put_item(TableName=table, Item={"pk": {"S": "never"}})

    assert drain(aws, out[0], 1, timeout=3) == []


def test_mappings_are_taken_off_what_moto_would_call_synchronously(
    cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    from moto.awslambda.utils import get_backend
    from moto.sqs.models import sqs_backends

    _url, arn = queue(aws, "detached")
    lam = aws("lambda")
    role = aws("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=trust_policy())
    aws("iam").put_role_policy(
        RoleName=role["Role"]["RoleName"], PolicyName="consume", PolicyDocument=allow(list(QUEUE_ACCESS), arn)
    )
    name = f"detached-{uuid.uuid4().hex[:6]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="consumers.partial",
        Code={"ZipFile": make_zip({"consumers.py": CONSUMERS})},
    )
    uuid_ = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, Enabled=False)["UUID"]

    backend = get_backend("000000000000", "us-east-1")
    assert backend.get_event_source_mapping(uuid_) is not None
    queue_model = next(q for q in sqs_backends["000000000000"]["us-east-1"].queues.values() if q.queue_arn == arn)
    assert queue_model.lambda_event_source_mappings == {}
    detach_synchronous_delivery("000000000000", "us-east-1", backend.get_event_source_mapping(uuid_))  # idempotent
    assert SQS_CONCURRENCY >= 1


def test_rate_schedules_fire_each_period_and_others_are_not_run(cloud: LocalCloud, aws: Callable[[str], Any]) -> None:
    events = aws("events")
    name = f"every-minute-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=name, ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule=name, Targets=[{"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:f"}])
    events.put_rule(Name=f"{name}-cron", ScheduleExpression="cron(0 12 * * ? *)")
    now = [1000.0]
    fired: list[tuple[str, dict[str, Any]]] = []

    def fire(account: str, region: str, arn: str, event: dict[str, Any]) -> None:
        # The cloud is shared by this worker's tests: rules other tests deployed (a stack's sweeper) are not ours.
        if event["resources"][0].split("/")[-1].startswith(name):
            fired.append((arn, event))

    runner = ScheduleRunner(fire=fire, clock=lambda: now[0])

    runner.run_due()
    now[0] += 59
    runner.run_due()
    assert fired == []
    now[0] += 2
    runner.run_due()
    assert [arn for arn, _ in fired] == ["arn:aws:lambda:us-east-1:000000000000:function:f"]
    event = fired[0][1]
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"][0].endswith(f":rule/{name}")
    now[0] += 30
    runner.run_due()
    assert len(fired) == 1  # once per period
    assert (period_seconds("rate(5 minutes)"), period_seconds("rate(1 hour)"), period_seconds("cron(0 * * * ? *)")) == (
        300,
        3600,
        None,
    )
