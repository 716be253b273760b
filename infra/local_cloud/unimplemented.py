"""An operation moto (pinned: 5.2.5) does not implement answers as AWS answers an error, not as a crashed server.

moto's ``BaseResponse.call_action`` raises ``NotImplementedError`` for an action its service class lacks; the
server then answers an HTML page with status 500, which an SDK retries and then reports as garbage. Here that
error is serialized in the service's own protocol, as LocalStack answers what it does not emulate: code
``InternalFailure``, status 501 (``__type``/``message`` JSON for JSON protocols, an XML ``ErrorResponse`` for
query protocols), and a message naming the service and the operation.
"""

from __future__ import annotations

from typing import Any

from local_cloud.seams import Installation, replace, require_source

ERROR_CODE = "InternalFailure"
STATUS = 501


def install() -> Installation:
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, BaseResponse

    original = BaseResponse.call_action
    require_source(original, ['raise NotImplementedError(f"The {action} action has not been implemented")'],
                   "BaseResponse.call_action")  # fmt: skip

    class NotImplementedOperation(ServiceException):
        code = ERROR_CODE

    def call_action(self: Any) -> Any:
        try:
            return original(self)
        except NotImplementedError:
            operation = self._get_action()
            message = (
                f"The local cloud does not implement {self.boto3_service_name} {operation} "
                f"(moto 5.2.5 has no such operation): run it on AWS, or leave it out of what runs locally"
            )
            _, headers, body = self.serialized(ActionResult(NotImplementedOperation(message)))
            return STATUS, headers, body

    return Installation([replace(BaseResponse, "call_action", call_action)])
