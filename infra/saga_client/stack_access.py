"""Deploying and locating the stack on the local cloud, the way `make up` does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import deployer

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

# Locally: LocalStack's URL form for ApiUrl and short retries (AWS's recommended values stay the defaults).
LOCAL_RETRY_PARAMETERS = {"RetryIntervalSeconds": "1", "RetryBackoffRate": "1"}
# The stage's throttling at AWS's account-level default, and room for every compensation make chaos runs at once
# (its races start 16 sagas together): the loads measure the saga, not the limits.
LOCAL_THROTTLING_PARAMETERS = {
    "ApiRateLimit": "10000",
    "ApiBurstLimit": "5000",
    "CompensationReservedConcurrency": "50",
}
# Local stacks are thrown away: no deletion protection on their tables.
LOCAL_DATA_PARAMETERS = {"ProtectData": "false", "EnableFaultInjection": "true"}


def local_parameters(endpoint_url: str) -> dict[str, str]:
    return {
        "LocalEndpoint": endpoint_url,
        **LOCAL_RETRY_PARAMETERS,
        **LOCAL_THROTTLING_PARAMETERS,
        **LOCAL_DATA_PARAMETERS,
    }


def deploy_stack(
    endpoint_url: str, stack_name: str, log: Callable[[str], None], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`overrides`: template parameters on top of the local ones (e.g. CheckoutWorkflowType)."""
    return deployer.deploy(
        TEMPLATE,
        stack_name=stack_name,
        endpoint_url=endpoint_url,
        parameter_overrides={**local_parameters(endpoint_url), **(overrides or {})},
        log=log,
    )


def stack_outputs(endpoint_url: str, stack_name: str) -> dict[str, str]:
    return deployer.read_outputs(stack_name=stack_name, endpoint_url=endpoint_url)
