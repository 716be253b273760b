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

_STATUS = {"Event": 202, "DryRun": 204}


class DirectLambdaClient:
    def __init__(self, region: str, account_id: str | None = None) -> None:
        self.region = region
        # Over HTTP, moto would serve the interpreter's call in the account it serves every request in.
        self.account_id = account_id or current_account_id()

    def invoke(self, **parameters: Any) -> dict[str, Any]:
        from moto.awslambda.utils import get_backend
        from moto.core.exceptions import JsonRESTError

        payload = parameters.get("Payload") or b""
        body = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
        invocation_type = parameters.get("InvocationType", "RequestResponse")
        request_headers = {"x-amz-invocation-type": invocation_type}
        response_headers: dict[str, Any] = {}
        try:
            result = get_backend(self.account_id, self.region).invoke(
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
            "ExecutedVersion": parameters.get("Qualifier") or "$LATEST",
        }
        if "x-amz-function-error" in response_headers:
            response["FunctionError"] = response_headers["x-amz-function-error"]
        if parameters.get("LogType") == "Tail" and "x-amz-log-result" in response_headers:
            response["LogResult"] = response_headers["x-amz-log-result"]
        return response


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Invoke"
    )
