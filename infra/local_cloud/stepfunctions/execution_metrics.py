"""Step Functions' execution metrics (``AWS/States`` ``ExecutionsSucceeded``, ``ExecutionsFailed``,
``ExecutionsTimedOut``, ``ExecutionsAborted``, per ``StateMachineArn``), which moto never writes: an alarm on a
failed or timed-out execution fires from the execution itself. An Express execution's billed duration goes to the
usage meter there too (``make bench`` prices Express from it). The seam is where moto's interpreter records an
execution's end, ``BaseExecutionWorkerCommunication.terminated``."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudwatch import service_metrics
from local_cloud.seams import Installation, replace, require_signature
from local_cloud.stepfunctions.express import EXPRESS
from local_cloud.usage_meter import USAGE


def install_execution_metrics() -> Installation:
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated
    require_signature(original, ["self"], "BaseExecutionWorkerCommunication.terminated")

    def terminated(self: Any) -> None:
        original(self)
        execution = self.execution
        status = getattr(execution.exec_status, "value", str(execution.exec_status))
        machine_arn = str(execution.state_machine.arn)
        service_metrics.execution_ended(machine_arn, status)
        if getattr(execution.state_machine, "type", None) == EXPRESS and execution.stop_date is not None:
            duration = execution.stop_date - execution.start_date
            USAGE.add_express_execution(machine_arn, duration.total_seconds() * 1000)

    return Installation([replace(BaseExecutionWorkerCommunication, "terminated", terminated)])
