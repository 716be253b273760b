"""Resuming a saga stuck in COMPENSATION_FAILED once the cause is gone: a new execution of the same state
machine with {"orderId", "resumeCompensation": true}, which re-runs the (idempotent) compensations."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any


class NotResumable(RuntimeError):
    pass


def resume_compensation(
    sfn: Any, state_machine_arn: str, order_status: str, order_id: str, timeout: float = 120
) -> str:
    """Start the resume execution and wait for it; return its status. Refuses unless COMPENSATION_FAILED."""
    if order_status != "COMPENSATION_FAILED":
        raise NotResumable(f"order {order_id} is {order_status}: only COMPENSATION_FAILED sagas are resumed")
    execution_arn = sfn.start_execution(
        stateMachineArn=state_machine_arn,
        name=f"{order_id}-resume-{uuid.uuid4().hex[:8]}",  # execution names are unique: the first was the order id
        input=json.dumps({"orderId": order_id, "resumeCompensation": True}),
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        status = str(sfn.describe_execution(executionArn=execution_arn)["status"])
        if status != "RUNNING":
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still RUNNING after {timeout:.0f} s")
        time.sleep(0.1)
