"""A docker-free local cloud: moto's server plus the pieces moto lacks.

- ``lambda_runtime``: runs deployed Lambda handlers (in-process or in warm worker processes);
- ``moto_patches``: the few narrow seams where moto is patched to use that runtime;
- ``apigateway``: REST API (v1) invocation with Lambda proxy integrations;
- ``server`` / ``cli``: the threaded server and the ``python -m local_cloud`` command.

This package's ``__init__`` imports nothing on purpose: the Lambda worker process runs
``python -m local_cloud.worker`` and must start without importing moto or boto3.
"""
