"""The suite's one botocore loader (tests/support/shared_botocore_loader.py): every session shares it, so each
JSON model is parsed once per process, and clients made from it work as before."""

import boto3
import botocore.session
from moto import mock_aws

from tests.support import shared_botocore_loader


def test_the_seam_is_installed_and_every_session_shares_one_loader() -> None:
    assert botocore.session.create_loader is shared_botocore_loader._create_shared_loader
    first, second = botocore.session.Session(), botocore.session.Session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    model = first.get_service_model("dynamodb")
    assert second.get_service_model("dynamodb")._service_description is model._service_description


def test_clients_of_fresh_sessions_still_work_under_moto() -> None:
    with mock_aws():
        for _ in range(2):  # each mock_aws gives boto3 a new default session, sharing the loader
            sqs = boto3.session.Session(region_name="us-east-1").client("sqs")
            url = sqs.create_queue(QueueName="shared-loader")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="hello")
            [message] = sqs.receive_message(QueueUrl=url)["Messages"]
            assert message["Body"] == "hello"
            sqs.delete_queue(QueueUrl=url)
