"""Step Functions' execution metrics (``AWS/States`` ``ExecutionsSucceeded``, ``ExecutionsFailed``,
``ExecutionsTimedOut``, ``ExecutionsAborted``, per ``StateMachineArn``), which moto never writes: an alarm on a
failed or timed-out execution fires from the execution itself. The seam is where moto's interpreter records an
execution's end, ``BaseExecutionWorkerCommunication.terminated``."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudwatch import service_metrics
from local_cloud.seams import Installation, replace, require_signature


def install_execution_metrics() -> Installation:
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated
    require_signature(original, ["self"], "BaseExecutionWorkerCommunication.terminated")

    def terminated(self: Any) -> None:
        original(self)
        execution = self.execution
        status = getattr(execution.exec_status, "value", str(execution.exec_status))
        service_metrics.execution_ended(str(execution.state_machine.arn), status)

    return Installation([replace(BaseExecutionWorkerCommunication, "terminated", terminated)])
