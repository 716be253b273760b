"""Reading the fault plan: a missing parameter means no faults, but a denied read is an error, so that a
deployment whose role cannot read it never passes for one without faults."""

from __future__ import annotations

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from checkout_saga.handlers.dependencies import fault_injector, reset_caches
from checkout_saga.models import StepName
from checkout_saga.settings import DEFAULT_FAULTS_PARAMETER as FAULTS_PARAMETER
from tests.api.conftest import REGION, Cloud


@pytest.fixture(autouse=True)
def fresh_plan() -> None:
    reset_caches()


def test_no_parameter_means_no_faults(cloud: Cloud) -> None:
    injector = fault_injector()
    injector.before_effect(StepName.CREATE_ORDER)  # nothing raised: no plan, no fault


def test_a_denied_read_of_the_plan_is_an_error(cloud: Cloud) -> None:
    # Given a plan, and a role (the API's) that has no permission to read it
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=FAULTS_PARAMETER, Value='{"CreateOrder": {"mode": "fail", "rate": 1.0}}', Type="String", Overwrite=True
    )
    try:
        with cloud.role.acting(), pytest.raises(parameters.exceptions.GetParameterError, match="AccessDenied"):
            fault_injector()
        # An allowed reader sees the plan.
        with pytest.raises(Exception, match="CreateOrder"):
            fault_injector().before_effect(StepName.CREATE_ORDER)
    finally:
        boto3.client("ssm", region_name=REGION).delete_parameter(Name=FAULTS_PARAMETER)


def test_without_the_variable_there_are_no_faults_and_no_read(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a stack deployed without fault injection (no FAULTS_PARAMETER), and a plan someone left behind
    monkeypatch.delenv("FAULTS_PARAMETER")
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=FAULTS_PARAMETER, Value='{"CreateOrder": {"mode": "fail", "rate": 1.0}}', Type="String", Overwrite=True
    )
    try:
        # Then a role that may not read it does not even try (no AccessDenied), and nothing is injected
        with cloud.role.acting():
            fault_injector().before_effect(StepName.CREATE_ORDER)
    finally:
        boto3.client("ssm", region_name=REGION).delete_parameter(Name=FAULTS_PARAMETER)
