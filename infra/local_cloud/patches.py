"""Every seam the local cloud installs on moto (pinned: 5.2.5), one service package at a time. Each install
checks its seam's signature (``seams``) and raises SeamChanged if a moto upgrade moved it; docs/local-cloud-seams.md
lists them all, with why each exists and the test that guards it."""

from __future__ import annotations

from collections.abc import Collection

from local_cloud import dispatch, model_tracking, moto_api_dump, unimplemented
from local_cloud.awslambda import patches as awslambda
from local_cloud.awslambda.types import LambdaRunner
from local_cloud.cloudwatch import emf_metrics
from local_cloud.codedeploy import groups as codedeploy_groups
from local_cloud.cognito import patches as cognito
from local_cloud.dynamodb import patches as dynamodb
from local_cloud.events import patches as events
from local_cloud.iam import enforcement
from local_cloud.iam.role_credentials import RoleCredentials
from local_cloud.seams import Installation, install_each
from local_cloud.sqs import patches as sqs
from local_cloud.stepfunctions import patches as stepfunctions


def install_all(
    runner: LambdaRunner,
    endpoint_url: str | None = None,
    port: int | None = None,
    roles: RoleCredentials | None = None,
    without: Collection[str] = (),
) -> Installation:
    """Everything the local cloud needs from moto, IAM enforcement included; ``endpoint_url``/``port`` for
    server mode only; ``without``: names of seams to leave out (``measure`` compares with and without one)."""
    return install_each(
        {
            "iam_enforcement": enforcement.install,
            "awslambda": lambda: awslambda.install_all(runner, endpoint_url, roles, without),
            "stepfunctions": lambda: stepfunctions.install_all(port, without),
            "dynamodb": lambda: dynamodb.install_all(without),
            "dispatch": lambda: dispatch.install_all(without),
            "emf_metrics": emf_metrics.install_emf_metrics,
            "events": lambda: events.install_all(without),
            "cognito": cognito.install_all,
            "unimplemented_operations": unimplemented.install,
            "moto_api_data_dump": moto_api_dump.install,
            "weak_model_tracking": model_tracking.install,
            "sqs": lambda: sqs.install_all(without),
            "codedeploy_groups": codedeploy_groups.install,
        },
        without,
    )
