"""One botocore loader per process (local_cloud/awslambda/shared_loader.py), installed in the test processes and in
the Lambda runtime's zygote: every session shares it, so each JSON model is parsed once per process, and clients
made from it work as before."""

import os

import boto3
import boto3.session
import botocore.session
from moto import mock_aws

from local_cloud.awslambda import shared_loader


def test_the_seam_is_installed_and_every_session_shares_one_loader() -> None:
    assert shared_loader.installed()
    first, second = botocore.session.Session(), botocore.session.Session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    model = first.get_service_model("dynamodb")
    assert second.get_service_model("dynamodb")._service_description is model._service_description


def test_boto3_sessions_add_their_data_folder_to_the_shared_loader_once() -> None:
    # Given many boto3 sessions, each appending boto3's data folder to the loader it shares
    for _ in range(5):
        boto3.session.Session(region_name="us-east-1").client("sqs")
    loader = botocore.session.Session().get_component("data_loader")
    boto3_data = os.path.join(os.path.dirname(boto3.__file__), "data")
    # Then the folder is searched once, not once per session
    assert loader.search_paths.count(boto3_data) == 1
    assert len(loader.search_paths) == len(set(loader.search_paths))


def test_read_models_leaves_the_common_models_parsed_in_the_shared_loader() -> None:
    shared_loader.read_models(("dynamodb", "stepfunctions"))
    loader = botocore.session.Session().get_component("data_loader")
    cached = {key[1:3] for key in loader._cache if key[0] == "load_service_model"}
    assert {("dynamodb", "service-2"), ("stepfunctions", "service-2"), ("dynamodb", "resources-1")} <= cached


def test_clients_of_fresh_sessions_still_work_under_moto() -> None:
    with mock_aws():
        for _ in range(2):  # each mock_aws gives boto3 a new default session, sharing the loader
            sqs = boto3.session.Session(region_name="us-east-1").client("sqs")
            url = sqs.create_queue(QueueName="shared-loader")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="hello")
            [message] = sqs.receive_message(QueueUrl=url)["Messages"]
            assert message["Body"] == "hello"
            sqs.delete_queue(QueueUrl=url)
