"""Lambda: the runtime that runs deployed handlers (in this process or in warm worker processes), the seam
through which moto's Lambda uses it, and what Lambda enforces around an invocation (payload limits, reserved
concurrency, the execution role's credentials).

Imports nothing on purpose: the worker process runs ``python -m local_cloud.awslambda.worker`` and must start
without importing moto or boto3."""
