"""Queue policies decide whether EventBridge and SNS may deliver to an SQS queue, as on AWS.

On AWS a rule's SQS target, or a topic's SQS subscription, delivers only if the queue's policy lets the service
principal (``events.amazonaws.com``, ``sns.amazonaws.com``) perform ``sqs:SendMessage`` on the queue, with its
conditions (typically ``aws:SourceArn``: the rule's or the topic's ARN); a queue without a policy gets nothing.
AWS drops such a message (EventBridge counts a FailedInvocation), so here it is dropped with a warning naming
the sender and the queue. moto 5.2.5 delivers unchecked, in ``Rule._send_to_sqs_queue`` and
``Subscription.publish``: each is wrapped by a check of the queue's ``Policy`` attribute.

A rule's target with a ``DeadLetterConfig`` keeps what it could not deliver, as on AWS: the event goes to that
queue (if its own policy lets the rule send to it), with the message attributes AWS sets (``RULE_ARN``,
``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``, ``EXHAUSTED_RETRY_CONDITION``, ``RETRY_ATTEMPTS``). A refused
or missing queue is not an error EventBridge retries, so the target's ``RetryPolicy`` plays no part here: the
event goes to the dead-letter queue at once, as AWS sends it there (moto ignores both settings).
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from local_cloud.iam.policies import account_of, resource_policy_allows
from local_cloud.seams import Installation, replace, require_signature

_log = logging.getLogger(__name__)

# The seams' parameters as this module calls them (tests/infra/test_moto_seams.py checks moto's against them).
SEND_TO_QUEUE_PARAMETERS = ["self", "resource_id", "event", "group_id"]
PUBLISH_PARAMETERS = [
    "self",
    "message",
    "message_id",
    "subject",
    "message_attributes",
    "group_id",
    "deduplication_id",
    "message_structure",
]


def install() -> Installation:
    from moto.events.models import Rule
    from moto.sns.models import Subscription

    send_to_queue = Rule._send_to_sqs_queue
    require_signature(send_to_queue, SEND_TO_QUEUE_PARAMETERS, "Rule._send_to_sqs_queue")
    publish = Subscription.publish
    require_signature(publish, PUBLISH_PARAMETERS, "Subscription.publish")

    def _send_to_sqs_queue(self: Any, resource_id: str, event: dict[str, Any], group_id: str | None = None) -> None:
        # moto sends to the queue of that name in the rule's own account and region.
        if may_deliver("events.amazonaws.com", self.arn, self.account_id, self.region_name, resource_id):
            send_to_queue(self, resource_id, event, group_id)
        else:
            send_to_dead_letter_queue(self, resource_id, event)

    def publish_checked(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.protocol == "sqs":
            # moto sends to the queue named by the endpoint ARN, in the subscription's account.
            queue_name, region = self.endpoint.split(":")[-1], self.endpoint.split(":")[3]
            if not may_deliver("sns.amazonaws.com", self.topic.arn, self.account_id, region, queue_name):
                return
        publish(self, *args, **kwargs)

    return Installation(
        [
            replace(Rule, "_send_to_sqs_queue", _send_to_sqs_queue),
            replace(Subscription, "publish", publish_checked),
        ]
    )


def send_to_dead_letter_queue(rule: Any, queue_name: str, event: dict[str, Any]) -> None:
    """What EventBridge does with an event its target's queue refused: the target's dead-letter queue gets it."""
    from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
    from moto.sqs.models import sqs_backends

    target = next((t for t in rule.targets if t["Arn"].split(":")[-1] == queue_name), None)
    dead_letter_arn = ((target or {}).get("DeadLetterConfig") or {}).get("Arn")
    if target is None or not dead_letter_arn:
        return
    dead_letter_queue = dead_letter_arn.split(":")[-1]
    if not may_deliver("events.amazonaws.com", rule.arn, rule.account_id, rule.region_name, dead_letter_queue):
        return
    body = dict(event)
    if "time" in body:  # as moto's own delivery writes it
        body["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(float(body["time"])))  # type: ignore[arg-type]  # as moto calls it
    attributes = {
        "RULE_ARN": rule.arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": "SQS.AccessDeniedException",
        "ERROR_MESSAGE": f"EventBridge may not send to {target['Arn']}: its queue policy does not allow it",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "RETRY_ATTEMPTS": "0",
    }
    sqs_backends[rule.account_id][rule.region_name].send_message(
        dead_letter_queue,
        json.dumps(body),
        message_attributes={name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()},
    )
    _log.warning("%s: the event for %s went to its dead-letter queue %s", rule.arn, target["Arn"], dead_letter_arn)


def may_deliver(service: str, source_arn: str, account_id: str, region: str, queue_name: str) -> bool:
    """Whether the queue's policy lets ``service`` send it a message on behalf of ``source_arn``; logs why not."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account_id][region].queues.get(queue_name)
    if queue is None:
        _log.warning("%s: no queue %s in %s/%s to deliver to", source_arn, queue_name, account_id, region)
        return False
    if _allows(queue.policy, service, source_arn, queue.queue_arn):
        return True
    _log.warning(
        "%s may not deliver to %s: no statement of its queue policy allows %s sqs:SendMessage",
        source_arn,
        queue.queue_arn,
        service,
    )
    return False


@functools.lru_cache(maxsize=256)
def _allows(policy: str | None, service: str, source_arn: str, queue_arn: str) -> bool:
    """The decision depends on nothing else: it is taken once per policy text and sender, not for every event (a
    replay of 10,000 events parsed the queue's policy 10,000 times)."""
    return resource_policy_allows(
        _statements(policy),
        service=service,
        action="sqs:SendMessage",
        source_arn=source_arn,
        source_account=account_of(source_arn),
        resource=queue_arn,
    )


def _statements(policy: str | None) -> list[dict[str, Any]]:
    statements = json.loads(policy)["Statement"] if policy else []
    return [statements] if isinstance(statements, dict) else list(statements)
