"""dispatch and stepfunctions.parse_cache: their seams are where they were, and they answer as the originals.
No LocalCloud here: these install and uninstall the patches themselves (a running one would keep its own)."""

from __future__ import annotations

import json
from typing import Any

from botocore.client import BaseClient
from moto import mock_aws

from local_cloud import dispatch
from local_cloud.stepfunctions import parse_cache
from local_cloud.stepfunctions.direct_lambda import DirectLambdaClient

# -- moto's per-request constants ----------------------------------------------------------------------


def test_the_module_list_cache_answers_as_the_original() -> None:
    from moto import backends

    original = backends.list_of_moto_modules
    modules = list(original())
    with dispatch.install_all():
        assert backends.list_of_moto_modules is not original
        assert list(backends.list_of_moto_modules()) == modules
        assert "dynamodb" in backends.list_of_moto_modules()
    assert backends.list_of_moto_modules is original


def test_the_model_loader_cache_reads_the_models_moto_reads_with_one_loader() -> None:
    from moto.core import utils

    def loader_factory() -> Any:
        return vars(utils)["create_loader"]  # moto imports it there from its own loaders module

    original = loader_factory()
    expected = {service: utils._load_service_model(service, "service-2") for service in ("dynamodb", "sqs")}
    with dispatch.install_all():
        assert loader_factory() is not original
        assert loader_factory()() is loader_factory()()  # one loader for the process
        for service, model in expected.items():
            assert utils._load_service_model(service, "service-2") == model
        assert utils._load_service_model("dynamodb", "paginators-1")["pagination"]["Query"]["result_key"][0] == "Items"
    assert loader_factory() is original


# -- Step Functions: parse once ------------------------------------------------------------------------


def test_only_definitions_without_parallel_or_map_are_shared() -> None:
    task = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:x", "End": True}}}
    parallel = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [task], "End": True}}}
    nested_map = {
        "StartAt": "C",
        "States": {"C": {"Type": "Choice", "Choices": [], "Default": "M"}, "M": {"Type": "Map", "End": True}},
    }
    assert parse_cache.shareable(json.dumps(task))
    assert not parse_cache.shareable(json.dumps(parallel))
    assert not parse_cache.shareable(json.dumps(nested_map))
    assert not parse_cache.shareable("not json")


def test_programs_and_jsonpaths_are_parsed_once() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path as module

    json_path: Any = module  # `parse` is imported there, not exported
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultPath": "$.r", "End": True}}})

    class _Details:
        class state_machine_details:  # noqa: N801 - the attribute path moto reads
            pass

    worker: Any = ExecutionWorker.__new__(ExecutionWorker)
    worker._evaluation_details = _Details()
    worker._evaluation_details.state_machine_details.definition = definition
    original_parse = json_path.parse
    with parse_cache.install_program_cache(), parse_cache.install_jsonpath_cache():
        program = worker._get_evaluation_entrypoint()
        assert worker._get_evaluation_entrypoint() is program
        assert json_path.parse("$.a.b") is json_path.parse("$.a.b")
    assert worker._get_evaluation_entrypoint() is not program
    assert json_path.parse is original_parse


def test_in_process_mode_invokes_lambda_directly_as_the_machine_role() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
    from moto.stepfunctions.parser.asl.utils import boto_client

    from local_cloud.awslambda.runtime import InProcessRunner
    from local_cloud.patches import install_all

    runner = InProcessRunner()
    role = "arn:aws:iam::123456789012:role/machine"
    try:
        with mock_aws(), install_all(runner):
            boto_client_for = getattr(boto_client, "boto_client_for")  # noqa: B009
            client = boto_client_for("us-east-1", "lambda", StateCredentials(role_arn=role))
            assert isinstance(client, DirectLambdaClient)
            assert client.role_arn == role
            assert isinstance(boto_client_for("us-east-1", "sqs"), BaseClient)  # other services: botocore's
    finally:
        runner.close()


def test_eventbridge_target_input_paths_are_parsed_once() -> None:
    import jsonpath_ng.ext
    from moto.events.utils import EventTemplateParser

    ext: Any = jsonpath_ng.ext  # `parse` is imported there, not exported
    template: Any = EventTemplateParser
    event: Any = {"detail": {"k": 1}, "ingestion-time": "0"}
    transform = ('{"k": <k>}', {"k": "$.detail.k"}, event)  # a target's InputTransformer
    expected = template.parse(*transform)
    original_parse = ext.parse
    with parse_cache.install_jsonpath_cache():
        assert ext.parse("$.detail") is ext.parse("$.detail")
        assert template.parse(*transform) == expected == {"k": 1}
    assert ext.parse is original_parse
