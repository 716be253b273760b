"""LocalCloud in-process: start/stop restore the process as it was, and only one runs at a time."""

from __future__ import annotations

import os

import pytest
import requests

from local_cloud.netutil import PortInUseError, bind_listener
from local_cloud.server import LocalCloud, active


def test_start_stop_restores_moto_and_allows_a_restart() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.core.config import default_user_config

    if active() is not None:
        pytest.skip("a LocalCloud is already running in this process")
    original_invoke = LambdaFunction._invoke_lambda
    moto_port = os.environ.get("MOTO_PORT")
    moto_account = os.environ.get("MOTO_ACCOUNT_ID")
    for _ in range(2):
        with LocalCloud() as cloud:
            assert os.environ["MOTO_PORT"] == str(cloud.port)
            assert os.environ["MOTO_ACCOUNT_ID"] == "000000000000"  # LocalStack's: the same ARNs on both
            assert default_user_config["stepfunctions"]["execute_state_machine"] is True
            assert LambdaFunction._invoke_lambda is not original_invoke
            assert requests.get(f"{cloud.endpoint_url}/_local_cloud/health", timeout=5).json()["port"] == cloud.port
            with pytest.raises(RuntimeError, match="already running"):
                LocalCloud().start()
        assert active() is None
        assert LambdaFunction._invoke_lambda is original_invoke
        assert os.environ.get("MOTO_PORT") == moto_port
        assert os.environ.get("MOTO_ACCOUNT_ID") == moto_account


def test_port_in_use_raises() -> None:
    if active() is not None:
        pytest.skip("a LocalCloud is already running in this process")
    with bind_listener("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            LocalCloud(port=port).start()
    assert caught.value.port == port
    assert active() is None
