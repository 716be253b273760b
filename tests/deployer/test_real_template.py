"""The real template.yaml deployed into in-process moto: every resource is checked against the
template itself, so these tests follow the template rather than a second list of resources."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import deployer
from deployer.engine import prepare
from tests.deployer.conftest import LOCAL_PARAMETERS, ROOT, STACK, load_template

pytestmark = pytest.mark.slow  # whole-template deploys, a few seconds each

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBALS: dict[str, Any] = TEMPLATE["Globals"]["Function"]


def of_type(resource_type: str) -> dict[str, Any]:
    return {k: v for k, v in RESOURCES.items() if v["Type"] == resource_type}


def parameter(name: str) -> str:
    return LOCAL_PARAMETERS.get(name, str(TEMPLATE["Parameters"][name].get("Default")))


@pytest.fixture(scope="module")
def deployed() -> Iterator[tuple[dict[str, str], list[str]]]:
    log: list[str] = []
    with mock_aws():
        outputs = deployer.deploy(
            ROOT / "template.yaml",
            stack_name=STACK,
            endpoint_url=None,
            region="us-east-1",
            parameter_overrides=LOCAL_PARAMETERS,
            log=log.append,
        )
        yield outputs, log


@pytest.fixture
def outputs(deployed: tuple[dict[str, str], list[str]]) -> dict[str, str]:
    return deployed[0]


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")


def ref_value(logical_id: str, outputs: dict[str, str]) -> str:
    """What !Ref of a template parameter or resource should have become on the target."""
    if logical_id in TEMPLATE["Parameters"]:
        return parameter(logical_id)
    machine, _, alias = logical_id.partition("Alias")  # SAM's AutoPublishAlias: <machine>Alias<name>, its ARN
    if alias and RESOURCES.get(machine, {}).get("Type") == "AWS::Serverless::StateMachine":
        return f"{outputs[f'{machine}Arn']}:{alias}"
    resource = RESOURCES[logical_id]
    if resource["Type"] == "AWS::SSM::Parameter":
        return str(resource["Properties"]["Name"])
    if resource["Type"] == "AWS::Serverless::StateMachine":
        return outputs[f"{logical_id}Arn"]
    if resource["Type"] == "AWS::SQS::Queue":  # a queue's Ref is its URL
        return outputs[f"{logical_id}Url"]
    return f"{STACK}-{logical_id}"


def test_every_table_has_the_key_schema_indexes_and_ttl_of_the_template(outputs: dict[str, str]) -> None:
    tables = of_type("AWS::DynamoDB::Table")
    assert tables
    ddb = client("dynamodb")
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(f"{STACK}-{t}" for t in tables)
    for logical_id, resource in tables.items():
        props = resource["Properties"]
        table = ddb.describe_table(TableName=f"{STACK}-{logical_id}")["Table"]
        assert table["KeySchema"] == props["KeySchema"], logical_id
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
        assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
        indexes = {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in props.get("GlobalSecondaryIndexes", [])}
        ttl = ddb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in props:
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"
    assert "byStatus" in str(ddb.describe_table(TableName=outputs["SagaLogTableName"]))


def test_every_function_has_its_handler_settings_and_resolved_environment(outputs: dict[str, str]) -> None:
    functions = of_type("AWS::Serverless::Function")
    lam, iam = client("lambda"), client("iam")
    assert len(lam.list_functions()["Functions"]) == len(functions)
    for logical_id, resource in functions.items():
        props = resource["Properties"]
        config = lam.get_function_configuration(FunctionName=f"{STACK}-{logical_id}")
        assert config["Handler"] == props["Handler"]
        assert config["Runtime"] == GLOBALS["Runtime"]
        assert config["Timeout"] == props.get("Timeout", int(parameter(GLOBALS["Timeout"]["Ref"])))
        assert config["MemorySize"] == props.get("MemorySize", GLOBALS["MemorySize"])
        assert config["TracingConfig"]["Mode"] == GLOBALS["Tracing"]
        declared = {**GLOBALS["Environment"]["Variables"], **props.get("Environment", {}).get("Variables", {})}
        # Set only when FunctionsEndpointUrl is (for `sam local invoke`): empty, it would break boto3 on AWS.
        assert "Fn::If" in declared.pop("AWS_ENDPOINT_URL")
        expected = {name: _variable(value, outputs) for name, value in declared.items()}
        assert config["Environment"]["Variables"] == expected, logical_id
        role_name = config["Role"].rsplit("/", 1)[1]
        assert iam.list_role_policies(RoleName=role_name)["PolicyNames"], f"{logical_id} has no policies"
    env = lam.get_function_configuration(FunctionName=f"{STACK}-ApiFunction")["Environment"]["Variables"]
    assert env["ORDERS_TABLE"] == outputs["OrdersTableName"] == f"{STACK}-OrdersTable"
    assert env["STATE_MACHINE_ARN"] == f"{outputs['CheckoutStateMachineArn']}:live"  # sagas start through the alias


def _variable(value: Any, outputs: dict[str, str]) -> str:
    """What an environment variable of the template became: a Ref's value, the key's alias ARN, or the text."""
    if isinstance(value, dict) and "Ref" in value:
        return ref_value(value["Ref"], outputs)
    if isinstance(value, dict) and str(value.get("Fn::Sub", "")).endswith("-payment-tokens"):
        return outputs["PaymentTokenKeyAliasArn"]
    if isinstance(value, dict) and "Fn::If" in value:  # FAULTS_PARAMETER: these tests deploy with fault injection
        condition, when_true, _ = value["Fn::If"]
        assert condition == "FaultInjectionEnabled"
        return _variable(when_true, outputs)
    return str(value)


def _leaves(raw: Any, deployed: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(raw, dict):
        assert isinstance(deployed, dict)
        assert raw.keys() == deployed.keys()
        for key in raw:
            yield from _leaves(raw[key], deployed[key])
    elif isinstance(raw, list):
        assert isinstance(deployed, list)
        assert len(raw) == len(deployed)
        for pair in zip(raw, deployed, strict=True):
            yield from _leaves(*pair)
    else:
        yield raw, deployed


@pytest.mark.parametrize("logical_id", sorted(of_type("AWS::Serverless::StateMachine")))
def test_state_machine_definition_has_every_placeholder_substituted(logical_id: str, outputs: dict[str, str]) -> None:
    resource = RESOURCES[logical_id]
    sfn, lam = client("stepfunctions"), client("lambda")
    machine = sfn.describe_state_machine(stateMachineArn=outputs[f"{logical_id}Arn"])
    assert machine["name"] == f"{STACK}-{logical_id}"
    assert "${" not in machine["definition"]
    deployed = json.loads(machine["definition"])

    # The ASL file with each placeholder turned into a marker string, walked alongside the result.
    source = (ROOT / resource["Properties"]["DefinitionUri"]).read_text()
    marked = re.sub(r'"?\$\{(\w+)\}"?', lambda m: json.dumps("@@" + m[1]), source)
    substitutions = resource["Properties"]["DefinitionSubstitutions"]
    seen = set()
    for raw, value in _leaves(json.loads(marked), deployed):
        if isinstance(raw, str) and raw.startswith("@@"):
            key = raw[2:]
            seen.add(key)
            spec = substitutions[key]
            if str(spec.get("Ref", "")).endswith(".Alias"):  # each Task invokes its function's alias `live`
                function = spec["Ref"].removesuffix(".Alias")
                assert value == lam.get_alias(FunctionName=f"{STACK}-{function}", Name="live")["AliasArn"], key
            elif "Fn::If" in spec:  # a state's name or a number, by CheckoutWorkflowType (STANDARD here)
                condition, _express, standard = spec["Fn::If"]
                assert (condition, value) == ("IsExpressCheckout", standard), key
            else:
                assert value == int(parameter(spec["Ref"])), key  # unquoted placeholder -> a JSON number
    assert seen == set(substitutions)

    alias_arns = {f"{f['FunctionArn']}:live" for f in lam.list_functions()["Functions"]}
    tasks = [s for s in deployed["States"].values() if s["Type"] == "Task"]
    assert tasks
    assert all(task["Resource"] in alias_arns for task in tasks)
    retries = [r for task in tasks for r in task.get("Retry", [])]
    assert retries
    assert all(r["IntervalSeconds"] == 1 and r["BackoffRate"] == 1 for r in retries)


def test_api_has_a_proxy_method_per_event_pointing_at_the_api_function(outputs: dict[str, str]) -> None:
    events = {
        event["Properties"]["Path"]: event["Properties"]["Method"].upper()
        for resource in of_type("AWS::Serverless::Function").values()
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    }
    assert {"/checkout", "/orders/{orderId}", "/sagas", "/products/{sku}", "/openapi.json"} <= set(events)
    apigw, lam = client("apigateway"), client("lambda")
    (api,) = apigw.get_rest_apis()["items"]
    assert outputs["ApiUrl"] == f"http://localhost:4566/restapis/{api['id']}/{parameter('StageName')}/_user_request_"
    function_arn = lam.get_alias(FunctionName=f"{STACK}-ApiFunction", Name="live")["AliasArn"]  # through its alias
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"])["items"]}
    for path, method in events.items():
        assert set(resources[path]["resourceMethods"]) == {method}, path
        integration = apigw.get_integration(restApiId=api["id"], resourceId=resources[path]["id"], httpMethod=method)
        assert integration["type"] == "AWS_PROXY"
        assert integration["httpMethod"] == "POST"
        assert f"/functions/{function_arn}/invocations" in integration["uri"]
    stage = apigw.get_stage(restApiId=api["id"], stageName=parameter("StageName"))
    assert stage["deploymentId"] in {d["id"] for d in apigw.get_deployments(restApiId=api["id"])["items"]}
    policy = json.loads(lam.get_policy(FunctionName=function_arn)["Policy"])
    assert len(policy["Statement"]) == len(events)


def test_faults_parameter_starts_empty(outputs: dict[str, str]) -> None:
    assert outputs["FaultsParameterName"] == "/checkout-saga/faults"
    assert client("ssm").get_parameter(Name="/checkout-saga/faults")["Parameter"]["Value"] == "{}"


def test_outputs_are_all_template_outputs_and_readable_from_the_target(
    deployed: tuple[dict[str, str], list[str]],
) -> None:
    outputs, log = deployed
    assert set(outputs) == set(TEMPLATE["Outputs"])
    assert outputs["CheckoutStateMachineArn"].startswith("arn:aws:states:us-east-1:123456789012:stateMachine:")
    assert deployer.read_outputs(stack_name=STACK, endpoint_url=None) == outputs
    _, plan = prepare(
        ROOT / "template.yaml",
        stack_name=STACK,
        endpoint_url=None,
        region="us-east-1",
        parameter_overrides=LOCAL_PARAMETERS,
    )
    created = [line.split() for line in log if line.startswith("  created")]
    assert [c[2] for c in created] == plan.order  # one progress line per resource, in dependency order
    assert ["created", "AWS::Lambda::Function", "CreateOrderFunction"] in created


def test_the_saga_dashboard_is_deployed_with_the_template_body(outputs):
    body = client("cloudwatch").get_dashboard(DashboardName=outputs["SagaDashboardName"])["DashboardBody"]
    widgets = json.loads(body)["widgets"]
    assert [widget["properties"]["title"] for widget in widgets] == [
        "Sagas per outcome",
        "Failed steps per step and error",
        "Saga duration p50 / p95 per outcome (ms)",
        "Returns per outcome",
    ]
    assert {widget["properties"]["region"] for widget in widgets} == {"us-east-1"}


def test_the_user_pool_its_client_and_the_admins_group_are_created(outputs: dict[str, str]) -> None:
    cognito = client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
    assert pool["Name"] == f"{STACK}-users"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    app_client = cognito.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=outputs["UserPoolClientId"])
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in app_client["UserPoolClient"]["ExplicitAuthFlows"]
    assert "ClientSecret" not in app_client["UserPoolClient"]
    assert cognito.get_group(GroupName="admins", UserPoolId=pool["Id"])["Group"]["GroupName"] == "admins"


def test_every_api_method_but_the_openapi_document_has_the_pools_authorizer(outputs: dict[str, str]) -> None:
    apigw = client("apigateway")
    (api,) = apigw.get_rest_apis()["items"]
    (authorizer,) = apigw.get_authorizers(restApiId=api["id"])["items"]
    pool_arn = client("cognito-idp").describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]["Arn"]
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["providerARNs"] == [pool_arn]
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    methods = {
        resource["path"]: apigw.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod=verb)
        for resource in apigw.get_resources(restApiId=api["id"])["items"]
        for verb in resource.get("resourceMethods", {})
    }
    assert methods.pop("/openapi.json")["authorizationType"] == "NONE"
    assert methods
    assert {(m["authorizationType"], m.get("authorizerId")) for m in methods.values()} == {
        ("COGNITO_USER_POOLS", authorizer["id"])
    }


def test_the_stage_is_throttled_with_the_template_parameters(outputs: dict[str, str]) -> None:
    apigw = client("apigateway")
    (api,) = apigw.get_rest_apis()["items"]
    stage = apigw.get_stage(restApiId=api["id"], stageName=parameter("StageName"))
    settings = stage["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == float(parameter("ApiRateLimit"))
    assert settings["throttlingBurstLimit"] == int(parameter("ApiBurstLimit"))


def test_the_compensation_functions_have_their_reserved_concurrency(outputs: dict[str, str]) -> None:
    reserved = {
        logical_id: resource["Properties"]["ReservedConcurrentExecutions"]
        for logical_id, resource in of_type("AWS::Serverless::Function").items()
        if "ReservedConcurrentExecutions" in resource["Properties"]
    }
    assert set(reserved) == {
        "CancelOrderFunction",
        "ReleaseStockFunction",
        "RefundPaymentFunction",
        "MarkCompensationFailedFunction",
    }
    lam = client("lambda")
    for logical_id in reserved:
        answer = lam.get_function_concurrency(FunctionName=f"{STACK}-{logical_id}")
        assert answer["ReservedConcurrentExecutions"] == int(parameter("CompensationReservedConcurrency"))
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=f"{STACK}-ApiFunction")


def test_every_function_has_a_log_group_with_the_retention(outputs: dict[str, str]) -> None:
    functions = set(of_type("AWS::Serverless::Function"))
    groups = {
        g["logGroupName"]: g for g in client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    }
    assert set(groups) == {f"/aws/lambda/{STACK}-{function}" for function in functions}
    assert {group.get("retentionInDays") for group in groups.values()} == {int(parameter("LogRetentionDays"))}


def test_traces_keep_no_results_or_exception_texts() -> None:
    variables = GLOBALS["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


def test_a_compensation_failure_alarms_to_the_alerts_topic(outputs: dict[str, str]) -> None:
    topic = outputs["AlertsTopicArn"]
    assert topic in {t["TopicArn"] for t in client("sns").list_topics()["Topics"]}
    (alarm,) = client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{STACK}-CompensationFailedAlarm")["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("CheckoutSaga", "SagaCompensationFailed")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "checkout-saga"}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        1.0,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["AlarmActions"] == [topic]


def test_the_stale_saga_sweep_is_scheduled(outputs: dict[str, str]) -> None:
    events, lam = client("events"), client("lambda")
    (rule,) = [r for r in events.list_rules(NamePrefix=f"{STACK}-")["Rules"] if "SweepStaleSagas" in r["Name"]]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert rule["State"] == "ENABLED"
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    sweeper = lam.get_function_configuration(FunctionName=f"{STACK}-SweepStaleSagasFunction")
    alias = lam.get_alias(FunctionName=sweeper["FunctionName"], Name="live")["AliasArn"]
    assert target["Arn"] == alias  # the schedule invokes the function's alias
    assert sweeper["Environment"]["Variables"]["STALE_AFTER_SECONDS"] == "900"
    policy = json.loads(lam.get_policy(FunctionName=alias)["Policy"])
    assert [(s["Principal"], s["Condition"]["ArnLike"]["AWS:SourceArn"]) for s in policy["Statement"]] == [
        ({"Service": "events.amazonaws.com"}, rule["Arn"])
    ]
