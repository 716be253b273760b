"""EventBridge archives and replays on the local cloud, in-process moto with the replay seam: an archive keeps
the events its pattern matches; a replay sends again only those of its window, marked `replay-name`, so a rule
that requires its absence (the services') refuses them and one that does not (the read model's) takes them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import Rule

from local_cloud.events import replays

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def aws() -> Iterator[Callable[[str], Any]]:
    with mock_aws(), replays.install():
        yield lambda service: boto3.client(service, region_name="us-east-1")


def queue_for(aws: Callable[[str], Any], bus: str, name: str, pattern: str) -> str:
    sqs, events = aws("sqs"), aws("events")
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=pattern)
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": name, "Arn": arn}])
    return url


def ended(events: Any, name: str, timeout: float = 10.0) -> str:
    """The replay's state once it is no longer STARTING or RUNNING (it runs in the background, as on AWS)."""
    deadline = time.monotonic() + timeout
    while (state := events.describe_replay(ReplayName=name)["State"]) in ("STARTING", "RUNNING"):
        assert time.monotonic() < deadline, f"replay {name} still {state}"
        time.sleep(0.01)
    return str(state)


def drain(aws: Callable[[str], Any], url: str) -> list[str]:
    """The detail-types of every message in the queue (read and deleted)."""
    sqs, found = aws("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"])["detail-type"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(found)


def test_a_replay_sends_its_window_to_the_rules_that_take_replayed_events(aws: Callable[[str], Any]) -> None:
    events = aws("events")
    bus = events.create_event_bus(Name="sagas")["EventBusArn"]
    archive = events.create_archive(
        ArchiveName="history", EventSourceArn=bus, EventPattern='{"source": ["history"]}', RetentionDays=30
    )["ArchiveArn"]
    service = queue_for(aws, "sagas", "service", '{"source": ["history"], "replay-name": [{"exists": false}]}')
    model = queue_for(aws, "sagas", "model", '{"source": ["history"]}')
    for name, at in [("Old", NOW - timedelta(hours=2)), ("Recent", NOW - timedelta(minutes=5)), ("Late", NOW)]:
        entry = {"Source": "history", "DetailType": name, "Detail": "{}", "EventBusName": "sagas", "Time": at}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    events.put_events(Entries=[{"Source": "other", "DetailType": "Elsewhere", "Detail": "{}", "EventBusName": "sagas"}])
    assert drain(aws, service) == drain(aws, model) == ["Late", "Old", "Recent"]
    assert events.describe_archive(ArchiveName="history")["EventCount"] == 3  # its pattern only

    events.start_replay(
        ReplayName="last-hour",
        EventSourceArn=archive,
        EventStartTime=NOW - timedelta(hours=1),
        EventEndTime=NOW - timedelta(minutes=1),
        Destination={"Arn": bus},
    )

    assert ended(events, "last-hour") == "COMPLETED"
    assert drain(aws, model) == ["Recent"]  # the window only
    assert drain(aws, service) == []  # a replayed event carries replay-name: refused


def test_a_replay_with_filter_arns_reaches_those_rules_only(aws: Callable[[str], Any]) -> None:
    events = aws("events")
    bus = events.create_event_bus(Name="sagas")["EventBusArn"]
    archive = events.create_archive(ArchiveName="history", EventSourceArn=bus)["ArchiveArn"]
    model = queue_for(aws, "sagas", "model", '{"source": ["history"]}')
    other_model = queue_for(aws, "sagas", "other-model", '{"source": ["history"]}')
    events.put_events(Entries=[{"Source": "history", "DetailType": "One", "Detail": "{}", "EventBusName": "sagas"}])
    assert drain(aws, model) == drain(aws, other_model) == ["One"]
    model_rule = events.describe_rule(Name="model", EventBusName="sagas")["Arn"]
    window = {"EventStartTime": NOW - timedelta(hours=1), "EventEndTime": datetime.now(UTC) + timedelta(minutes=1)}

    events.start_replay(
        ReplayName="to-the-model",
        EventSourceArn=archive,
        Destination={"Arn": bus, "FilterArns": [model_rule]},
        **window,
    )
    assert ended(events, "to-the-model") == "COMPLETED"
    assert (drain(aws, model), drain(aws, other_model)) == (["One"], [])  # moto alone sends it to both

    events.start_replay(ReplayName="to-all", EventSourceArn=archive, Destination={"Arn": bus}, **window)
    assert ended(events, "to-all") == "COMPLETED"
    assert drain(aws, model) == drain(aws, other_model) == ["One"]


def test_a_replay_skips_what_the_retention_dropped(aws: Callable[[str], Any]) -> None:
    events = aws("events")
    bus = events.create_event_bus(Name="sagas")["EventBusArn"]
    archive = events.create_archive(ArchiveName="history", EventSourceArn=bus, RetentionDays=1)["ArchiveArn"]
    model = queue_for(aws, "sagas", "model", '{"source": ["history"]}')
    for name, at in [("TooOld", NOW - timedelta(days=2)), ("Kept", NOW - timedelta(hours=1))]:
        events.put_events(
            Entries=[{"Source": "history", "DetailType": name, "Detail": "{}", "Time": at, "EventBusName": "sagas"}]
        )
    drain(aws, model)

    events.start_replay(
        ReplayName="all",
        EventSourceArn=archive,
        EventStartTime=NOW - timedelta(days=3),
        EventEndTime=NOW,
        Destination={"Arn": bus},
    )

    assert ended(events, "all") == "COMPLETED"
    assert drain(aws, model) == ["Kept"]


def test_start_replay_answers_at_once_and_the_replay_runs_in_the_background(
    aws: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    events = aws("events")
    bus = events.create_event_bus(Name="sagas")["EventBusArn"]
    archive = events.create_archive(ArchiveName="history", EventSourceArn=bus)["ArchiveArn"]
    model = queue_for(aws, "sagas", "model", '{"source": ["history"]}')
    events.put_events(Entries=[{"Source": "history", "DetailType": "One", "Detail": "{}", "EventBusName": "sagas"}])
    drain(aws, model)
    # Every delivery of the replay waits for this: a replay run inside StartReplay would make it wait in vain.
    delivering = threading.Event()
    send = Rule.send_to_targets

    def held(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "replay-name" in args[0]:
            delivering.wait(timeout=5)
        return send(self, *args, **kwargs)

    monkeypatch.setattr(Rule, "send_to_targets", held)

    answer = events.start_replay(
        ReplayName="held",
        EventSourceArn=archive,
        EventStartTime=NOW - timedelta(hours=1),
        EventEndTime=datetime.now(UTC) + timedelta(minutes=1),
        Destination={"Arn": bus},
    )

    assert answer["State"] == "STARTING"
    assert events.describe_replay(ReplayName="held")["State"] == "RUNNING"
    assert not delivering.is_set()
    delivering.set()
    assert ended(events, "held") == "COMPLETED"
    assert drain(aws, model) == ["One"]
