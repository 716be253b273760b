"""Lambda's seams on moto, installed together: handlers run by a LambdaRunner with their role's credentials,
Lambda's payload limits, reserved concurrency."""

from __future__ import annotations

from local_cloud.awslambda import concurrency, invocation_credentials, limits, moto_runner
from local_cloud.awslambda.types import LambdaRunner
from local_cloud.iam.role_credentials import RoleCredentials
from local_cloud.seams import Installation


def install_all(
    runner: LambdaRunner, endpoint_url: str | None = None, roles: RoleCredentials | None = None
) -> Installation:
    parts = [
        invocation_credentials.install(),
        moto_runner.install_lambda_runner(runner, endpoint_url, roles),
        # Both wrap LambdaBackend.invoke; in this order the concurrency gate is the outer one.
        limits.install_invoke_payload_limits(),
        concurrency.install_reserved_concurrency(),
    ]
    return Installation([part.uninstall for part in parts])
