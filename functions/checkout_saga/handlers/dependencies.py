"""Builds what the logic needs from the function's environment: the one place that wires boto3 in.
Clients are cached per process (warm invocations reuse them); settings are validated at every
call, once (the step decorator passes them on), never at import."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError
from pydantic import ValidationError

from checkout_saga.dal.aws_errors import error_code
from checkout_saga.dal.dynamodb_customer_data import DynamoDBCustomerData
from checkout_saga.dal.dynamodb_inventory import DynamoDBInventory
from checkout_saga.dal.dynamodb_order_records import DynamoDBOrderRecords, DynamoDBReturnRecords
from checkout_saga.dal.dynamodb_orders import DynamoDBOrders
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.dal.dynamodb_payments import DynamoDBPayments
from checkout_saga.dal.dynamodb_read_model import DynamoDBReadModel
from checkout_saga.dal.dynamodb_returns import DynamoDBReturns
from checkout_saga.dal.dynamodb_saga_log import DynamoDBSagaLog
from checkout_saga.dal.dynamodb_stalled_sagas import DynamoDBStalledSagas
from checkout_saga.dal.interfaces import (
    InventoryRepository,
    OrderRecordsReader,
    OrdersRepository,
    PaymentsRepository,
    ReturnRecordsReader,
    ReturnsRepository,
    SagaController,
    SagaLogRepository,
    SagaStarter,
    TokenVault,
)
from checkout_saga.dal.kms_token_vault import KmsTokenVault
from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.dal.stepfunctions_starter import StepFunctionsSagaStarter
from checkout_saga.faults import FaultInjector, FaultPlan
from checkout_saga.observability import logger
from checkout_saga.settings import ApiSettings, StepSettings, load_settings

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table


@dataclass(frozen=True)
class Repositories:
    orders: OrdersRepository
    inventory: InventoryRepository
    payments: PaymentsRepository
    saga_log: SagaLogRepository
    returns: ReturnsRepository
    return_saga_log: SagaLogRepository  # the return sagas' log: the same shape, its own table
    token_vault: TokenVault | None = None  # only where PAYMENT_TOKEN_KEY is set: the API and ChargePayment

    def sealing(self) -> TokenVault:
        if self.token_vault is None:
            raise ValueError("PAYMENT_TOKEN_KEY is not set: this function cannot seal or open payment tokens")
        return self.token_vault


@lru_cache(maxsize=4)
def _dynamodb(endpoint_url: str | None, region: str | None) -> DynamoDBServiceResource:
    resource: DynamoDBServiceResource = boto3.resource("dynamodb", endpoint_url=endpoint_url, region_name=region)
    return resource


@lru_cache(maxsize=16)
def _repositories(settings: StepSettings, endpoint_url: str | None, region: str | None) -> Repositories:
    dynamodb = _dynamodb(endpoint_url, region)
    return Repositories(
        orders=DynamoDBOrders(dynamodb.Table(settings.orders_table)),
        inventory=DynamoDBInventory(dynamodb.Table(settings.inventory_table)),
        payments=DynamoDBPayments(dynamodb.Table(settings.payments_table)),
        saga_log=DynamoDBSagaLog(dynamodb.Table(settings.saga_log_table), settings.saga_retention_days),
        returns=DynamoDBReturns(dynamodb.Table(settings.returns_table), settings.orders_table),
        return_saga_log=DynamoDBSagaLog(dynamodb.Table(settings.return_saga_log_table), settings.saga_retention_days),
        token_vault=KmsTokenVault(_client("kms", endpoint_url, region), settings.payment_token_key)
        if settings.payment_token_key
        else None,
    )


@lru_cache(maxsize=4)
def _return_records(settings: StepSettings, endpoint_url: str | None, region: str | None) -> DynamoDBReturnRecords:
    return DynamoDBReturnRecords(
        _dynamodb(endpoint_url, region), settings.returns_table, settings.return_saga_log_table
    )


@lru_cache(maxsize=4)
def _order_records(settings: StepSettings, endpoint_url: str | None, region: str | None) -> DynamoDBOrderRecords:
    return DynamoDBOrderRecords(
        _dynamodb(endpoint_url, region), settings.orders_table, settings.payments_table, settings.saga_log_table
    )


SagaLogWrapper = Callable[[SagaLogRepository], SagaLogRepository]
_saga_log_wrapper: ContextVar[SagaLogWrapper | None] = ContextVar("saga_log_wrapper", default=None)


def repositories(settings: StepSettings | None = None) -> Repositories:
    settings = settings or load_settings(StepSettings)
    repos = _repositories(settings, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION"))
    wrap = _saga_log_wrapper.get()
    return repos if wrap is None else replace(repos, saga_log=wrap(repos.saga_log))


@contextmanager
def saga_log_seen_through(wrap: SagaLogWrapper) -> Iterator[None]:
    """The steps called in this context record their transitions through `wrap(saga_log)`: how a choreographed
    service runs the very step handlers the state machine runs, their transitions emitting events."""
    token = _saga_log_wrapper.set(wrap)
    try:
        yield
    finally:
        _saga_log_wrapper.reset(token)


def outbox(settings: StepSettings | None = None) -> DynamoDBOutbox:
    settings = settings or load_settings(StepSettings)
    table = _optional_table(settings.outbox_table, "OUTBOX_TABLE", "emit the choreography's events")
    return DynamoDBOutbox(table, settings.outbox_retention_hours * 3600)


def read_model(settings: StepSettings | None = None) -> DynamoDBReadModel:
    settings = settings or load_settings(StepSettings)
    table = _optional_table(settings.read_model_table, "READ_MODEL_TABLE", "read or keep the customers' read model")
    return DynamoDBReadModel(table)


def _optional_table(name: str | None, variable: str, purpose: str) -> Table:
    """The table a variable only some functions have names; a function without it cannot do `purpose`."""
    if not name:
        raise ValueError(f"{variable} is not set: this function cannot {purpose}")
    return _table(name, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION"))


@lru_cache(maxsize=16)
def _table(name: str, endpoint_url: str | None, region: str | None) -> Table:
    """boto3 builds a Table's class anew at each `.Table(name)` (a few ms): once per table and process."""
    return _dynamodb(endpoint_url, region).Table(name)


@dataclass(frozen=True)
class ApiDependencies:
    repos: Repositories
    order_records: OrderRecordsReader
    return_records: ReturnRecordsReader
    saga_starter: SagaController
    return_starter: SagaStarter
    choreography_starter: SagaStarter | None  # None where the stack has no outbox (OUTBOX_TABLE unset)
    idempotency_store: DynamoDBPersistenceLayer
    token_vault: TokenVault


@lru_cache(maxsize=4)
def _client(service: str, endpoint_url: str | None, region: str | None) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


@lru_cache(maxsize=4)
def _idempotency_store(table: str, endpoint_url: str | None, region: str | None) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table, boto3_client=_client("dynamodb", endpoint_url, region))


def api_dependencies(settings: ApiSettings | None = None) -> ApiDependencies:
    settings = settings or load_settings(ApiSettings)
    endpoint_url, region = os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION")
    repos = _repositories(settings, endpoint_url, region)
    return ApiDependencies(
        repos=repos,
        order_records=_order_records(settings, endpoint_url, region),
        return_records=_return_records(settings, endpoint_url, region),
        saga_starter=StepFunctionsSagaStarter(
            _client("stepfunctions", endpoint_url, region),
            settings.state_machine_arn,
            express=settings.checkout_workflow_type == "EXPRESS",
        ),
        return_starter=StepFunctionsSagaStarter(
            _client("stepfunctions", endpoint_url, region), settings.return_state_machine_arn
        ),
        choreography_starter=OutboxSagaStarter(settings.saga_log_table, outbox(settings))
        if settings.outbox_table
        else None,
        idempotency_store=_idempotency_store(settings.idempotency_table, endpoint_url, region),
        token_vault=repos.sealing(),
    )


def customer_data(settings: ApiSettings | None = None) -> DynamoDBCustomerData:
    """Every table that may name a customer (POST /customers/{customerId}/erase)."""
    settings = settings or load_settings(ApiSettings)
    dynamodb = _dynamodb(os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION"))
    return DynamoDBCustomerData(
        orders=dynamodb.Table(settings.orders_table),
        saga_log=dynamodb.Table(settings.saga_log_table),
        return_saga_log=dynamodb.Table(settings.return_saga_log_table),
        idempotency=dynamodb.Table(settings.idempotency_table),
        customer_summaries=dynamodb.Table(settings.read_model_table) if settings.read_model_table else None,
        outbox=dynamodb.Table(settings.outbox_table) if settings.outbox_table else None,
    )


def stalled_sagas(settings: StepSettings | None = None) -> DynamoDBStalledSagas:
    settings = settings or load_settings(StepSettings)
    endpoint_url, region = os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION")
    return DynamoDBStalledSagas(_table(settings.saga_log_table, endpoint_url, region), outbox(settings))


def aws_client(service: str) -> Any:
    """A boto3 client of `service` for this function's endpoint and region, cached per process."""
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION"))


def fault_injector(settings: StepSettings | None = None) -> FaultInjector:
    settings = settings or load_settings(StepSettings)
    if settings.faults_parameter is None:  # deployed with EnableFaultInjection=false
        return FaultInjector({})
    try:
        document = parameters.get_parameter(
            settings.faults_parameter, transform="json", max_age=settings.faults_max_age_seconds
        )
    except parameters.exceptions.TransformParameterError as exc:
        logger.warning("ignoring a fault plan that is not JSON", parameter=settings.faults_parameter, error=str(exc))
        return FaultInjector({})
    except parameters.exceptions.GetParameterError as exc:
        if _parameter_not_found(exc):
            return FaultInjector({})  # no parameter: no faults
        raise  # e.g. AccessDenied: a broken deployment must not pass for "no faults"
    try:
        return FaultInjector(FaultPlan.model_validate(document or {}).root)
    except ValidationError as exc:
        # A broken plan must not break checkouts: say so loudly and inject nothing.
        logger.warning(
            "ignoring invalid fault plan", parameter=settings.faults_parameter, errors=exc.errors(include_url=False)
        )
        return FaultInjector({})


def _parameter_not_found(exc: Exception) -> bool:
    # powertools raises GetParameterError inside its `except`: the SDK's error is the implicit context.
    cause = exc.__cause__ or exc.__context__
    return isinstance(cause, ClientError) and error_code(cause) == "ParameterNotFound"


def reset_caches() -> None:
    """For tests that recreate the cloud between cases."""
    _dynamodb.cache_clear()
    _table.cache_clear()
    _repositories.cache_clear()
    _order_records.cache_clear()
    _return_records.cache_clear()
    _client.cache_clear()
    _idempotency_store.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
