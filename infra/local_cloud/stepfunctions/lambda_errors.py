"""The error name Step Functions gives a Lambda Task whose invocation was refused (moto pinned: 5.2.5), at
``StateTaskLambda._from_error``: when the Invoke call of a Task whose Resource is a function ARN fails (a client
error, not a function error), AWS Step Functions names the error ``Lambda.<error code>``
(``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``, ...), which is what the state machine's Retry
matches; moto names every such failure ``Exception``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from local_cloud.seams import Installation, replace


def install_lambda_error_names() -> Installation:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda

    original = StateTaskLambda._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        failure: Any = original(self, env, ex)
        if isinstance(ex, ClientError):
            name = f"Lambda.{ex.response.get('Error', {}).get('Code') or 'ServiceException'}"
            failure.error_name = CustomErrorName(name)
            details = failure.event_details.get("lambdaFunctionFailedEventDetails") if failure.event_details else None
            if details is not None:
                details["error"] = name
        return failure

    return Installation([replace(StateTaskLambda, "_from_error", _from_error)])
