"""The Lambda client moto's Step Functions interpreter gets in server mode: it calls moto's Lambda backend
in this process instead of sending an HTTP request back to this same server.

Over HTTP, every Task paid a botocore request (serialise, sign, send, parse) and the server's dispatch of
it (a thread's HTTP parsing, Flask routing, moto's request parsing): about 4 ms of this process's CPU per
Lambda call. The answer has the shape of botocore's ``invoke`` response, errors included (a moto client
error becomes a botocore ``ClientError``), so the interpreter cannot tell the difference.
"""

from __future__ import annotations

import io
from typing import Any

from botocore.exceptions import ClientError

from local_cloud.account import current_account_id
from local_cloud.iam.policies import AccessDenied, authorize_role, role_name
from local_cloud.iam.resources import function_arn

_STATUS = {"Event": 202, "DryRun": 204}


class DirectLambdaClient:
    def __init__(self, region: str, account_id: str | None = None, *, role_arn: str = "") -> None:
        self.region = region
        # The state machine's execution role: what it may invoke. Its account is the state machine's;
        # without one, the account moto serves every request in.
        self.role_arn = role_arn
        self.account_id = account_id or (role_arn.split(":")[4] if role_arn else current_account_id())

    def invoke(self, **parameters: Any) -> dict[str, Any]:
        from moto.awslambda.utils import get_backend
        from moto.core.exceptions import JsonRESTError

        if self.role_arn:
            self._authorize(str(parameters["FunctionName"]), str(parameters.get("Qualifier") or ""))
        payload = parameters.get("Payload") or b""
        body = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
        invocation_type = parameters.get("InvocationType", "RequestResponse")
        request_headers = {"x-amz-invocation-type": invocation_type}
        response_headers: dict[str, Any] = {}
        backend = get_backend(self.account_id, self.region)
        try:
            # The version an alias routes to runs, and is the one reported (AWS's ExecutedVersion).
            executed = backend.get_function(parameters["FunctionName"], parameters.get("Qualifier")).version
            result = backend.invoke(
                parameters["FunctionName"], parameters.get("Qualifier"), body, request_headers, response_headers
            )
        except JsonRESTError as exc:
            raise _client_error(exc.error_type, exc.message, exc.code) from exc
        except Exception as exc:  # over HTTP the server would have answered 500: a ClientError all the same
            raise _client_error("ServiceException", f"{type(exc).__name__}: {exc}", 500) from exc
        data = result.encode() if isinstance(result, str) else bytes(result or b"")
        response: dict[str, Any] = {
            "StatusCode": _STATUS.get(invocation_type, 200),
            "Payload": io.BytesIO(data),
            "ExecutedVersion": str(executed),
        }
        if "x-amz-function-error" in response_headers:
            response["FunctionError"] = response_headers["x-amz-function-error"]
        if parameters.get("LogType") == "Tail" and "x-amz-log-result" in response_headers:
            response["LogResult"] = response_headers["x-amz-log-result"]
        return response

    def _authorize(self, function: str, qualifier: str) -> None:
        """As Step Functions does with the role it assumed: ``lambda:InvokeFunction`` on the function, or on its
        version or alias when the Task names one."""
        resource = function_arn(function, self.region, self.account_id, qualifier)
        principal = f"arn:aws:sts::{self.account_id}:assumed-role/{role_name(self.role_arn)}/StepFunctions"
        try:
            authorize_role(self.role_arn, principal, "lambda:InvokeFunction", resource)
        except AccessDenied as exc:
            raise _client_error("AccessDeniedException", str(exc), 403) from exc
        except Exception as exc:  # moto's NotFoundException: the role is gone
            raise _client_error("AccessDeniedException", f"{principal} cannot be assumed: {exc}", 403) from exc


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Invoke"
    )
