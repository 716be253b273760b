"""A docker-free local cloud: moto's server plus the pieces moto lacks, one package per AWS service as moto
has them (``awslambda``, ``stepfunctions``, ``dynamodb``, ``iam``, ``apigateway``, ``cognito``, ``events``,
``cloudwatch``), the saga ``console``, and a small core: ``server`` / ``cli`` (the threaded server and the
``python -m local_cloud`` command), ``guard`` (this machine only), ``account``, ``dispatch``, ``patches`` (every
seam on moto, installed together) and ``seams`` (their install/undo helpers). docs/local-cloud.md describes it.

This package's ``__init__`` imports nothing on purpose: the Lambda worker process runs
``python -m local_cloud.awslambda.worker`` and must start without importing moto or boto3.
"""
