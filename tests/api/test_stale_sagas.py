"""The scheduled sweep of sagas PENDING for too long, its handler in process with its own execution role from
template.yaml (a permission missing there fails here): it reports exactly the stale PENDING sagas and counts them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from checkout_saga.clock import iso
from checkout_saga.handlers import sweep_stale_sagas
from checkout_saga.handlers.dependencies import reset_caches
from checkout_saga.models import OrderStatus, SagaState
from tests.api.conftest import REGION, Cloud
from tests.support.events import LambdaContextStub
from tests.support.function_roles import FunctionRole


@pytest.fixture(scope="module")
def sweeper_role(moto_cloud: Cloud) -> FunctionRole:
    return FunctionRole(boto3.client("iam", region_name=REGION), "SweepStaleSagasFunction", moto_cloud.physical())


def _at(minutes_ago: int) -> str:
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return iso(moment)


def test_the_sweep_reports_and_counts_only_sagas_pending_too_long(
    cloud: Cloud,
    sweeper_role: FunctionRole,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given sagas pending for 30 and 20 minutes, one pending for 1 minute, and an old one that ended
    saga_log = cloud.stack.saga_log
    saga_log.record("stale-oldest", SagaState.STARTED, _at(30), customer_id="c-1")
    saga_log.record("stale-newer", SagaState.STOCK_RESERVED, _at(20), customer_id="c-2")
    saga_log.record("fresh", SagaState.STARTED, _at(1), customer_id="c-3")
    saga_log.record("ended", SagaState.STARTED, _at(40), customer_id="c-4")
    saga_log.record("ended", SagaState.CONFIRMED, _at(39), status=OrderStatus.CONFIRMED)
    monkeypatch.setenv("STALE_AFTER_SECONDS", "600")
    reset_caches()
    capsys.readouterr()

    # When the sweep runs with its own role
    sweeper_role.grant(cloud.physical())
    with sweeper_role.acting():
        result = sweep_stale_sagas.handler({}, LambdaContextStub(function_name="SweepStaleSagasFunction"))

    # Then it names the stale PENDING sagas, oldest first, logs each and counts them
    assert result == {"stale": ["stale-oldest", "stale-newer"]}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [line["StalePendingSagas"] for line in lines if "StalePendingSagas" in line] == [[2.0]]
    warned = [record for record in caplog.records if record.getMessage() == "saga pending too long"]
    assert [record.saga_id for record in warned] == ["stale-oldest", "stale-newer"]  # type: ignore[attr-defined]
    reset_caches()
