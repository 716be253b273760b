"""Following sagas run by an Express checkout (CheckoutWorkflowType=EXPRESS, docs/scale.md). Step Functions keeps
no history of an Express execution and answers no DescribeExecution for it, so a client watches the saga log, the
one record every execution writes; and the local cloud's knob (tag `local-cloud:duplicate-executions` on the
machine) starts some executions twice, as AWS may."""

from __future__ import annotations

import time
from collections.abc import Callable

from checkout_saga.models import SagaRecord
from local_cloud.stepfunctions.express import DUPLICATE_RATE_TAG, DUPLICATES_STARTED_TAG
from saga_client.stack_data import CHECKOUT, StackData


def wait_for_saga(
    stack: StackData, saga_id: str, done: Callable[[SagaRecord], bool], timeout: float, interval: float = 0.1
) -> SagaRecord | None:
    """The saga's log once `done` holds for it; the last read (None if never logged) when `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        saga = stack.saga_log.get(saga_id)
        if (saga is not None and done(saga)) or time.monotonic() > deadline:
            return saga
        time.sleep(interval)


def set_duplicate_rate(stack: StackData, rate: float) -> None:
    """Have the local cloud start this share of the checkout's executions twice (0: none); the count restarts."""
    sfn, machine = stack.client("stepfunctions"), stack.outputs[CHECKOUT]
    sfn.untag_resource(resourceArn=machine, tagKeys=[DUPLICATE_RATE_TAG, DUPLICATES_STARTED_TAG])
    if rate > 0:
        sfn.tag_resource(resourceArn=machine, tags=[{"key": DUPLICATE_RATE_TAG, "value": str(rate)}])


def duplicates_started(stack: StackData) -> int:
    tags = stack.client("stepfunctions").list_tags_for_resource(resourceArn=stack.outputs[CHECKOUT])["tags"]
    return int({tag["key"]: tag["value"] for tag in tags}.get(DUPLICATES_STARTED_TAG, "0"))
