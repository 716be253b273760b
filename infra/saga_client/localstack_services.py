"""Before `make deploy-localstack`: does the LocalStack at hand run every AWS service template.yaml needs?

LocalStack's health endpoint (`/_localstack/health`) lists the services it serves. Since 2026-03-23 every current
LocalStack image needs an auth token, and its free plan has no Cognito: a deployment that would stop half-way at
the user pool is refused up front, with the service it lacks and the plan that has it. The project's own local
cloud (`make up`) runs all of them with neither a token nor Docker."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from deployer.template import parse_template_text

# A resource type's prefix -> the LocalStack services that deploy and run it.
SERVICES_OF_TYPE = {
    "AWS::Serverless::Function": ("lambda",),
    "AWS::Lambda::": ("lambda",),
    "AWS::Serverless::StateMachine": ("stepfunctions",),
    "AWS::Serverless::Api": ("apigateway",),
    "AWS::DynamoDB::": ("dynamodb", "dynamodbstreams"),
    "AWS::Cognito::": ("cognito-idp",),
    "AWS::KMS::": ("kms",),
    "AWS::SNS::": ("sns",),
    "AWS::SQS::": ("sqs",),
    "AWS::Events::": ("events",),
    "AWS::SSM::": ("ssm",),
    "AWS::Logs::": ("logs",),
    "AWS::CloudWatch::": ("cloudwatch",),
}
DEPLOYING = ("cloudformation", "s3", "iam", "sts")  # what `samlocal deploy` itself calls
# Services LocalStack's free plan does not have, and where they are.
PAID = {"cognito-idp": "Cognito user pools are in LocalStack's paid plans only (from its first paid tier up)"}
RUNNING = frozenset({"available", "running"})


def needed_services(template: Path) -> list[str]:
    resources = parse_template_text(template.read_text(encoding="utf-8")).get("Resources", {})
    needed = set(DEPLOYING)
    for resource in resources.values():
        for prefix, services in SERVICES_OF_TYPE.items():
            if str(resource.get("Type", "")).startswith(prefix):
                needed.update(services)
    return sorted(needed)


def served_services(endpoint_url: str, timeout: float = 5) -> dict[str, str]:
    """service -> its state, as LocalStack's health endpoint reports it."""
    with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/_localstack/health", timeout=timeout) as answer:
        return {str(name): str(state) for name, state in json.load(answer).get("services", {}).items()}


def missing_services(needed: list[str], served: dict[str, str]) -> list[str]:
    return [service for service in needed if served.get(service) not in RUNNING]


def explain(missing: list[str]) -> str:
    lines = [f"LocalStack does not run {', '.join(missing)}, which template.yaml needs:"]
    for service in missing:
        lines.append(f"  - {service}: {PAID.get(service, 'not in its SERVICES list, or failed to start')}")
    if any(service in PAID for service in missing):
        lines.append(
            "  A paid plan needs LOCALSTACK_AUTH_TOKEN and its Pro image (docker-compose.yml says how). The "
            "project's local cloud runs every service with neither a token nor Docker: `make up`."
        )
    return "\n".join(lines)


def check(endpoint_url: str, template: Path) -> int:
    try:
        served = served_services(endpoint_url)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(
            f"LocalStack does not answer at {endpoint_url}/_localstack/health ({exc}): start it first "
            "(`docker compose up -d --wait`)",
            file=sys.stderr,
        )
        return 2
    missing = missing_services(needed_services(template), served)
    if missing:
        print(explain(missing), file=sys.stderr)
        return 2
    print(f"LocalStack at {endpoint_url} runs every service template.yaml needs", file=sys.stderr)
    return 0
