"""Lambda's seams on moto, installed together: handlers run by a LambdaRunner with their role's credentials,
Lambda's payload limits, reserved concurrency."""

from __future__ import annotations

from collections.abc import Collection

from local_cloud.awslambda import concurrency, invocation_credentials, limits, moto_runner, qualifier
from local_cloud.awslambda.types import LambdaRunner
from local_cloud.iam.role_credentials import RoleCredentials
from local_cloud.seams import Installation, install_each


def install_all(
    runner: LambdaRunner,
    endpoint_url: str | None = None,
    roles: RoleCredentials | None = None,
    without: Collection[str] = (),
) -> Installation:
    return install_each(
        {
            "invocation_credentials": invocation_credentials.install,
            "lambda_runner": lambda: moto_runner.install_lambda_runner(runner, endpoint_url, roles),
            # Both wrap LambdaBackend.invoke; in this order the concurrency gate is the outer one.
            "invoke_payload_limits": limits.install_invoke_payload_limits,
            "reserved_concurrency": concurrency.install_reserved_concurrency,
            "invoke_qualifier": qualifier.install_invoke_qualifier,
            "alias_permissions": qualifier.install_alias_permissions,
        },
        without,
    )
