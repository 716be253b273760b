"""The one Lambda runner abstraction, in two implementations.

- ``InProcessRunner``: calls the handler in this process (pytest suites under ``moto.mock_aws``);
- ``WorkerPoolRunner``: warm worker processes per function (the local cloud server).

Both take a ``FunctionSpec`` and the event as JSON text and return an ``InvokeResult`` whose
payload is the handler's JSON result or Lambda's error shape. moto reaches them through
``local_cloud.awslambda.moto_runner.install_lambda_runner``.
"""

from local_cloud.awslambda.inprocess_runner import InProcessRunner
from local_cloud.awslambda.types import FunctionSpec, InvokeResult, LambdaRunner
from local_cloud.awslambda.worker_pool import WorkerPoolRunner

__all__ = ["FunctionSpec", "InProcessRunner", "InvokeResult", "LambdaRunner", "WorkerPoolRunner"]
