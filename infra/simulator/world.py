"""The simulated cloud: moto's DynamoDB in this process, the template's tables, the step functions' environment,
and a snapshot of the seeded state that each schedule starts from."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from unittest.mock import patch

import boto3
from moto import mock_aws
from moto.core import responses as moto_responses
from moto.core.utils import method_names_from_class

from checkout_saga.handlers import dependencies
from deployer.template import load_template
from local_cloud import model_tracking
from local_cloud.dynamodb import patches as dynamodb_patches
from local_cloud.dynamodb.gsi_index import INDEXES
from saga_client.sam_env import VARIABLE_OUTPUTS
from saga_client.stack_data import StackData
from simulator import json_errors, response_ids, transport, value_copies, value_sizes
from simulator.scheduler import Scheduler

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
_TABLE_KEYS = ("KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes")
# The step functions' variables (template.yaml), each naming a table by its logical id.
# The steps' table variables, each naming its table by its logical id (the stack's outputs map them already).
TABLE_VARIABLES = {
    variable: VARIABLE_OUTPUTS[variable].removesuffix("Name")
    for variable in (
        "ORDERS_TABLE",
        "INVENTORY_TABLE",
        "PAYMENTS_TABLE",
        "SAGA_LOG_TABLE",
        "RETURNS_TABLE",
        "RETURN_SAGA_LOG_TABLE",
        "OUTBOX_TABLE",
    )
}
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "POWERTOOLS_SERVICE_NAME": "simulator",
    "POWERTOOLS_METRICS_NAMESPACE": "simulator",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "LOG_LEVEL": "CRITICAL",
}


@dataclass
class World:
    scheduler_of: list[Scheduler]  # the schedule running now (one at a time): the transport's hooks ask it
    written: list[tuple[str, bytes]]  # (operation, request body) of each successful write: the outbox stream
    stack: StackData
    _backend: Any
    _seeded: dict[str, Any]

    def reset(self, scheduler: Scheduler) -> None:
        """Back to the seeded state, for a new schedule."""
        for name, items in self._seeded.items():
            self._backend.tables[name].items = copy.deepcopy(items)
        INDEXES.drop_all()  # the local cloud's sorted GSI indexes, rebuilt from the items on first use
        self.scheduler_of[:] = [scheduler]
        self.written.clear()


def standard_checkout_substitutions() -> dict[str, str]:
    """The checkout machine's substitutions that depend on its workflow type, as a STANDARD stack has them (the
    simulator runs each execution once: an Express workflow's second run is the chaos suite's to inject)."""
    substitutions = load_template(TEMPLATE)["Resources"]["CheckoutStateMachine"]["Properties"][
        "DefinitionSubstitutions"
    ]
    chosen: dict[str, str] = {}
    for name, value in substitutions.items():
        if isinstance(value, dict) and "Fn::If" in value:
            condition, _express, standard = value["Fn::If"]
            assert condition == "IsExpressCheckout", f"{name} depends on {condition}, not on the workflow type"
            chosen[name] = str(standard)
    return chosen


def _create_tables(client: Any) -> None:
    resources = load_template(TEMPLATE)["Resources"]
    for logical_id in set(TABLE_VARIABLES.values()):
        properties = resources[logical_id]["Properties"]
        request = {key: properties[key] for key in _TABLE_KEYS if key in properties}
        client.create_table(TableName=logical_id, **request)


@contextmanager
def simulated_cloud() -> Iterator[World]:
    """moto in process with the local cloud's DynamoDB seams (atomic transactions, item-level rollback), the
    template's tables, every function's table variables; the step functions' clients answered in process."""
    with ExitStack() as stack:
        environment = {**ENVIRONMENT, **dict(TABLE_VARIABLES.items())}
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        stack.callback(_restore_environment, saved)
        stack.enter_context(mock_aws())
        # A partition's write throughput is metered in wall-clock seconds, which mean nothing here (a schedule's
        # time is its steps): a simulated write is never throttled, and nothing is billed either.
        stack.enter_context(dynamodb_patches.install_all(without=("partition_throughput",)))
        stack.enter_context(patch.object(dynamodb_patches, "metered", lambda handler, call: call()))
        # moto lists every model instance it makes (each item it copies) and never lets one go: a long exploration
        # grew by thousands of items a schedule. The local cloud's weak lists keep only those that live.
        stack.enter_context(model_tracking.install())
        # moto's errors, copies, sizes and request ids, each as moto makes them at less cost (each module says how).
        stack.enter_context(json_errors.without_xml())
        stack.enter_context(value_copies.direct_value_copies())
        stack.enter_context(value_sizes.direct_value_sizes())
        stack.enter_context(response_ids.cheaper_request_ids())
        # moto lists a handler class's methods (inspect.getmembers) at every request to find the operation's;
        # they do not change while the simulator runs.
        stack.enter_context(patch.object(moto_responses, "method_names_from_class", cache(method_names_from_class)))
        dependencies.reset_caches()
        stack.callback(dependencies.reset_caches)
        _create_tables(boto3.client("dynamodb", region_name=REGION))
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends["123456789012"][REGION]
        world = World([], [], StackData(_outputs()), backend, {})
        # Every client the steps and the checker use: the functions' resource and client, the checker's resource
        # and client (its stock reads).
        clients = (
            dependencies._dynamodb(None, REGION).meta.client,
            dependencies.aws_client("dynamodb"),
            world.stack._dynamodb().meta.client,
            world.stack.client("dynamodb"),
        )
        for client in clients:
            transport.install(
                client, lambda operation: _at_call(world, operation), lambda *write: _wrote(world, *write)
            )
        yield world


def seed(world: World) -> None:
    """Keep the current tables as the state every schedule starts from."""
    world._seeded = {name: copy.deepcopy(table.items) for name, table in world._backend.tables.items()}


def _at_call(world: World, operation: str) -> None:
    if world.scheduler_of:
        world.scheduler_of[0].at_call(operation)


def _wrote(world: World, operation: str, body: bytes, status: int) -> None:
    if status == 200 and operation in ("PutItem", "TransactWriteItems"):
        world.written.append((operation, body))


def _outputs() -> dict[str, str]:
    return {f"{logical_id}Name": logical_id for logical_id in TABLE_VARIABLES.values()}


def _restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
