"""The one Lambda runner abstraction, in two implementations.

- ``InProcessRunner``: calls the handler in this process (pytest suites under ``moto.mock_aws``);
- ``WorkerPoolRunner``: warm worker processes per function (the local cloud server).

Both take a ``FunctionSpec`` and the event as JSON text and return an ``InvokeResult`` whose
payload is the handler's JSON result or Lambda's error shape. moto reaches them through
``local_cloud.moto_patches.install_lambda_runner``.
"""

from local_cloud.inprocess_runner import InProcessRunner
from local_cloud.lambda_types import FunctionSpec, InvokeResult, LambdaRunner
from local_cloud.worker_pool import WorkerPoolRunner

__all__ = ["FunctionSpec", "InProcessRunner", "InvokeResult", "LambdaRunner", "WorkerPoolRunner"]
