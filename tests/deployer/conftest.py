"""The deployer's tests deploy the real template.yaml into in-process moto (no sockets), except
the CLI tests, which run `python -m deployer` against a moto server on a free port."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from deployer.template import load_template as deployer_load_template

ROOT = Path(__file__).resolve().parents[2]
STACK = "checkout-saga"
# What `make up` passes for the local targets.
LOCAL_PARAMETERS = {
    "LocalEndpoint": "http://localhost:4566",
    "RetryIntervalSeconds": "1",
    "RetryBackoffRate": "1",
    "EnableFaultInjection": "true",
}


def load_template(path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """The template as the deployer reads it (a copy: callers may change it)."""
    return deployer_load_template(path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the template and the code it points to, for tests that change them."""
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for directory in ("functions", "statemachine"):
        shutil.copytree(ROOT / directory, tmp_path / directory, ignore=ignore)
    return tmp_path
