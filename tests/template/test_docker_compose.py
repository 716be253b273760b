"""docker-compose.yml starts LocalStack with every service the translated template creates resources in."""

from pathlib import Path

import yaml

from deployer.template import load_template, translate

ROOT = Path(__file__).resolve().parents[2]
# A resource type's service (AWS::<Service>::...) as LocalStack's SERVICES names it.
LOCALSTACK_NAMES = {"Cognito": "cognito-idp", "ApiGateway": "apigateway", "StepFunctions": "stepfunctions"}


def compose_services() -> set[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["localstack"]["environment"]
    [services] = [item.split("=", 1)[1] for item in environment if item.startswith("SERVICES=")]
    return set(services.split(","))


def test_localstack_runs_every_service_the_template_uses() -> None:
    template = ROOT / "template.yaml"
    cfn = translate(template, load_template(template), {}, "us-east-1").cfn
    services = {resource["Type"].split("::")[1] for resource in cfn["Resources"].values()}
    needed = {LOCALSTACK_NAMES.get(service, service.lower()) for service in services}
    if any("StreamSpecification" in resource.get("Properties", {}) for resource in cfn["Resources"].values()):
        needed.add("dynamodbstreams")  # a table's stream is LocalStack service of its own

    assert needed - compose_services() == set()
    assert {"s3", "cloudformation", "sts"} <= compose_services()  # what `samlocal deploy` itself calls
