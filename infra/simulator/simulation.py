"""One schedule: a few checkouts (orchestrated and choreographed), the returns and operator actions they lead
to, every call interleaved by the scheduler and every fault drawn from the same `Choices`; then the invariants.

The orchestrated sagas walk their ASL (simulator.asl), each Task an invocation actor running the step's real
handler. The choreographed ones start as the API starts them (OutboxSagaStarter); every event their steps write
to the outbox is delivered to the service that reacts to it (`choreography.service.react`, the real consumer),
once, twice or never; a saga left standing when nothing more can happen is swept as its timer sweeps it."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout, suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from unittest.mock import patch

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from greenlet import getcurrent

from checkout_saga import observability
from checkout_saga.choreography import service
from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.outbox_starter import OutboxSagaStarter
from checkout_saga.errors import UnknownOrder
from checkout_saga.faults import FaultInjector, FaultSpec
from checkout_saga.handlers import dependencies, step
from checkout_saga.logic import catalog, return_start, saga_operations
from checkout_saga.logic.stalled_sagas import stalled_failure
from checkout_saga.models import LineItem, Product, StepName
from checkout_saga.saga_definition import CHECKOUT, RETURN
from checkout_saga.saga_events import REACTIONS, SagaEvent
from checkout_saga.settings import StepSettings, load_settings
from saga_client.chaos_driver import SagaRun
from saga_client.chaos_returns import ReturnRun, ReturnSpec, return_facts
from saga_client.invariants import ReturnFacts, Snapshot
from saga_client.stored_data import order_facts
from simulator import asl
from simulator.choices import Choices
from simulator.faults import Delivery, Fate, FaultPlan, InvocationFault
from simulator.scheduler import Actor, Crashed, Scheduler, Stopped
from simulator.world import World, seed, simulated_cloud, standard_checkout_substitutions

# The ASL's template parameters: the template's own retry counts are larger; two attempts make running out of
# them reachable within a few calls (as the state machine tests deploy it).
ASL_PARAMETERS = {
    "RetryIntervalSeconds": "1",
    "RetryBackoffRate": "1",
    "StepMaxAttempts": "2",
    "CompensationMaxAttempts": "2",
    **standard_checkout_substitutions(),
}
SERVICE_ENVIRONMENT = {  # the choreographed services' own variables, the same retry counts
    "STEP_MAX_ATTEMPTS": ASL_PARAMETERS["StepMaxAttempts"],
    "COMPENSATION_MAX_ATTEMPTS": ASL_PARAMETERS["CompensationMaxAttempts"],
    "RETRY_INTERVAL_SECONDS": "0",
    "RETRY_BACKOFF_RATE": "1",
    "FAULTS_PARAMETER": "/checkout-saga/faults",  # the injector is the schedule's (see _fault_injector)
}
MACHINES = {kind: asl.load(kind, ASL_PARAMETERS) for kind in asl.MACHINES}
HANDLERS = {**service.step_handlers(CHECKOUT), **service.step_handlers(RETURN)}
# The steps a plan may make fail, as the chaos run's fault plans do: forward and undo, not the last resort that
# records a stuck undo (a function that never works leaves its saga to the dead-letter queue, not to the checker).
FAULTY_STEPS = tuple(step.name for saga in (CHECKOUT, RETURN) for step in saga.steps)
CHECKOUT_STEPS = tuple(step.name for step in CHECKOUT.steps)  # every schedule runs some; returns, not always
CHECKOUT_UNDO_STEPS = tuple(step.name for step in CHECKOUT.compensations)
# (sku, price, units): enough of P1 and P3 for most checkouts to reach the pivot, P2 scarce (buyers race for it)
PRODUCTS = (("P1", 1000, 12), ("P2", 2500, 3), ("P3", 400, 20))
DECLINED = "tok_declined"
TOKENS = ("tok_visa", DECLINED, "tok_flaky", "tok_visa")
MAX_SWEEPS = 10  # timer rounds per schedule (a saga swept again after each lost event)
HEALED_AFTER_SWEEPS = 3
RECEIVES = 10  # a choreographed message goes to its dead-letter queue at its 10th receive (template.yaml)


@dataclass
class Saga:
    run: SagaRun
    items: dict[str, int]
    choreographed: bool
    endings: list[str] = field(default_factory=list)  # each execution's end, in order


@dataclass
class Outcome:
    snapshot: Snapshot
    violations: list[str]
    trace: list[str]


@dataclass
class Simulation:
    world: World
    choices: Choices
    scheduler: Scheduler = field(init=False)
    sagas: dict[str, Saga] = field(default_factory=dict)
    returns: list[ReturnRun] = field(default_factory=list)
    restocked: dict[str, int] = field(default_factory=dict)
    plan: FaultPlan = field(default_factory=FaultPlan)
    _published: set[str] = field(default_factory=set)
    _seen_writes: int = 0

    def __post_init__(self) -> None:
        self.scheduler = Scheduler(self.choices, after_step=self._after_step)

    # ------------------------------------------------------------------ the schedule
    def run(self) -> Outcome:
        with open(os.devnull, "w") as quiet, redirect_stdout(quiet):  # the functions' metrics (EMF lines)
            try:
                return self._run()
            finally:
                # Metrics are disabled here, and a disabled flush keeps what was counted: cleared, the shared set
                # neither grows with every schedule nor prints into the next real handler's flush.
                observability.metrics.clear_metrics()

    def _run(self) -> Outcome:
        self.world.reset(self.scheduler)
        self.plan = FaultPlan.draw(self.choices, FAULTY_STEPS)
        count = 3 + self.choices.draw(3)
        for number in range(count):
            self._checkout(number)
        self.scheduler.trace.insert(0, str(self.plan))
        if self.choices.chance(30):
            sku, *_ = PRODUCTS[self.choices.draw(len(PRODUCTS))]
            self._spawn(f"operator restocks {sku}", lambda sku=sku: self._restock(sku, 2))
        if self.choices.chance(30):
            sku, *_ = PRODUCTS[self.choices.draw(len(PRODUCTS))]
            self._spawn(f"operator counts {sku} (stocktake)", lambda sku=sku: self._stocktake(sku))
        for sweep in range(MAX_SWEEPS + 1):
            self.scheduler.run()
            if sweep == HEALED_AFTER_SWEEPS:  # the faults pass, as outages do: each saga must then end
                self.plan = FaultPlan()
                self.scheduler.trace.append("faults: none from now on (healed)")
            if not self._sweep_stalled():
                break
        return self.outcome()

    def _checkout(self, number: int) -> None:
        order_id = f"order-{number}"
        items: dict[str, int] = {}
        for _ in range(1 + self.choices.draw(2)):
            sku = PRODUCTS[self.choices.draw(len(PRODUCTS))][0]
            items[sku] = 1 + self.choices.draw(2)
        token = TOKENS[self.choices.draw(len(TOKENS))]
        focus = self.plan.focus(self.choices, order_id, FAULTY_STEPS, CHECKOUT_STEPS)
        if focus in CHECKOUT_UNDO_STEPS:
            token = DECLINED  # a saga whose undo goes wrong must turn back to run it
        document = {
            "orderId": order_id,
            "customerId": f"c-{number}",
            "items": [{"sku": sku, "quantity": units} for sku, units in items.items()],
            "paymentToken": token,
        }
        choreographed = self.choices.chance(50)
        self.sagas[order_id] = Saga(SagaRun("simulated", order_id, ""), items, choreographed)
        if choreographed:
            starter = OutboxSagaStarter(load_settings(StepSettings).saga_log_table, dependencies.outbox())
            self._spawn(f"API start {order_id} (choreography)", lambda: starter.start(order_id, document), order_id)
        else:
            self._execution("checkout", order_id, document)
            if self.choices.chance(15):
                self._spawn(f"operator compensates {order_id}", lambda: self._force(order_id), order_id)

    def _spawn(self, name: str, run: Any, saga_id: str = "", on_done: Any = None) -> Actor:
        return self.scheduler.spawn(Actor(name, run, saga_id, on_done))

    # ------------------------------------------------------------------ orchestration
    def _execution(self, kind: str, saga_id: str, document: dict[str, Any], label: str = "") -> Actor:
        name = f"{kind} execution {saga_id}{label}"
        return self._spawn(
            name,
            lambda: asl.run(MACHINES[kind], document, saga_id, lambda s, d, a: self._invoke(name, s, d, a)),
            saga_id,
            self._execution_ended,
        )

    def _invoke(self, execution: str, step_name: str, document: dict[str, Any], attempt: int) -> dict[str, Any]:
        fault = self.plan.invocation(self.choices, step_name, str(document.get("orderId")))
        label = f"{step_name} #{attempt} of {execution}" + (f" [{fault}]" if fault.fate is not Fate.NORMAL else "")
        invocation = self._spawn(label, lambda: self._handler(step_name, document, fault), str(document.get("orderId")))
        if fault.fate is Fate.CRASH:
            invocation.crash_at = fault.at_call
        if fault.fate is Fate.TIMEOUT:
            invocation.abandon_at, invocation.pause_on_abandon = fault.at_call, fault.delay
        self.scheduler.wait(lambda: invocation.done or invocation.abandoned)
        if invocation.abandoned:
            raise asl.TaskFailed("States.Timeout", "the Task's timeout elapsed")
        if isinstance(invocation.error, Crashed):
            raise asl.TaskFailed("Lambda.ServiceException", str(invocation.error))
        if invocation.error is not None:
            raise asl.TaskFailed(type(invocation.error).__name__, str(invocation.error))
        return dict(invocation.result)

    def _handler(self, step_name: str, document: dict[str, Any], fault: InvocationFault) -> Any:
        with _injecting(step_name, fault):
            return HANDLERS[step_name](document, _CONTEXT)

    def _execution_ended(self, actor: Actor) -> None:
        saga = self.sagas.get(actor.saga_id)
        ending = actor.result
        if isinstance(actor.error, Stopped) or saga is None:
            return
        if actor.error is not None:  # a walker's own error is the simulator's bug, never a violation
            raise actor.error
        assert isinstance(ending, asl.Ending)
        saga.endings.append(ending.state)
        status = self._status(actor.saga_id)
        saga.run.first_final = saga.run.first_final or status
        saga.run.reported_status = status
        if status == "CONFIRMED" and not saga.run.resumed and self.choices.chance(30):
            self._return(saga)
        if status == "COMPENSATION_FAILED" and self.choices.chance(50):
            self._spawn(f"operator resumes {actor.saga_id}", lambda: self._resume(actor.saga_id), actor.saga_id)

    def _status(self, order_id: str) -> str | None:
        read = self.world.stack.order_records.read(order_id)
        if read.order is not None:
            return read.order.status.value
        return read.saga.status.value if read.saga else None

    # ------------------------------------------------------------------ operators and returns
    def _resume(self, order_id: str) -> None:
        repos = dependencies.repositories()
        self.sagas[order_id].run.resumed = True
        saga_operations.resume(order_id, repos.orders, repos.saga_log, _Starter(self, "checkout", order_id))

    def _force(self, order_id: str) -> None:
        repos = dependencies.repositories()
        try:
            saga_operations.force_compensation(
                order_id, "simulated", repos.orders, repos.saga_log, _Starter(self, "checkout", order_id), utc_now_iso()
            )
        except (saga_operations.NotAllowedNow, UnknownOrder):
            return  # the API's 409/404: nothing changed
        self.sagas[order_id].run.resumed = True  # a forced undo ends CANCELLED after a COMPENSATION_FAILED too

    def _restock(self, sku: str, units: int) -> None:
        catalog.restock(sku, units, dependencies.repositories().inventory)
        self.restocked[sku] = self.restocked.get(sku, 0) + units

    def _stocktake(self, sku: str) -> None:
        """Staff count the shelf right (what is available), then set it, based on the version they counted: a
        sale or a release that slipped in between must refuse the write (ProductChanged), never be lost."""
        inventory = dependencies.repositories().inventory
        counted = inventory.get_stocked(sku)
        assert counted is not None
        product = Product(
            sku=sku, name=counted.name, unit_price_cents=counted.unit_price_cents, available=counted.available
        )
        with suppress(catalog.ProductChanged):
            catalog.stocktake(product, counted.version, inventory)

    def _return(self, saga: Saga) -> None:
        """One unit of the order back, started as the API starts it (the execution first, then the return stored
        PENDING and logged STARTED)."""
        sku = next(iter(saga.items))
        run = ReturnRun(ReturnSpec(saga.run.order_id, ((sku, 1),)), return_id=f"return-{saga.run.order_id}")
        self.returns.append(run)

        def start() -> None:
            repos = dependencies.repositories()
            starter = _Starter(self, "return", run.return_id, on_done=lambda done: self._return_ended(run, done))
            return_start.start_return(
                saga.run.order_id,
                [LineItem(sku=sku, quantity=1)],
                "simulated",
                repos.orders,
                repos.returns,
                repos.return_saga_log,
                starter,
                utc_now_iso(),
                return_id_factory=lambda: run.return_id,
            )

        self._spawn(f"API start {run.return_id}", start, run.return_id)

    def _return_ended(self, run: ReturnRun, actor: Actor) -> None:
        if actor.error is not None:
            raise actor.error
        record = self.world.stack.returns.get(run.return_id)
        run.reported = record.status.value if record else None

    # ------------------------------------------------------------------ choreography
    def _after_step(self) -> None:
        """The outbox's stream: each new event written goes to the service that reacts to it."""
        for operation, body in self.world.written[self._seen_writes :]:
            for item in _outbox_items(operation, body):
                if item["eventId"] not in self._published:
                    self._published.add(item["eventId"])
                    self._publish(SagaEvent.model_validate(json.loads(item["detail"])))
        self._seen_writes = len(self.world.written)

    def _publish(self, event: SagaEvent) -> None:
        if event.name not in REACTIONS:
            return  # an ending: no service reacts
        fate = self.plan.delivery(self.choices)
        for copy in range({Delivery.ONCE: 1, Delivery.LOST: 0, Delivery.TWICE: 2}[fate]):
            self._deliver(event, attempt=1, copy=copy)

    def _deliver(self, event: SagaEvent, attempt: int, copy: int = 0) -> None:
        fault = self.plan.invocation(self.choices, REACTIONS[event.name], event.saga_id)
        if fault.fate in (Fate.CRASH, Fate.TIMEOUT):
            fault = InvocationFault(Fate.CRASH, fault.at_call)  # a consumer's timeout is its crash: SQS delivers again
        name = f"deliver {event.name} of {event.saga_id} to {REACTIONS[event.name]} (receive {attempt}"
        name += f", copy {copy + 1})" if copy else ")"
        name += f" [{fault}]" if fault.fate is not Fate.NORMAL else ""
        late = self.plan.in_flight(self.choices)
        name += f" [{late} steps late]" if late else ""
        actor = self._spawn(name, lambda: self._react(event, attempt, fault), event.saga_id)
        actor.crash_at = fault.at_call if fault.fate is Fate.CRASH else 0
        actor.not_before = self.scheduler.clock + late
        actor.on_done = lambda done: self._delivered(event, attempt, done)

    def _react(self, event: SagaEvent, attempt: int, fault: InvocationFault) -> None:
        body = json.dumps({"detail": event.to_payload()})
        record = SQSRecord({"body": body, "attributes": {"ApproximateReceiveCount": str(attempt)}})
        with _injecting(REACTIONS[event.name], fault):
            service.react(record, _CONTEXT, self._service_settings)

    def _delivered(self, event: SagaEvent, attempt: int, actor: Actor) -> None:
        """A failed receive comes back (the message's visibility ran out) until the dead-letter queue takes it."""
        if actor.error is not None and attempt + 1 < RECEIVES:
            self._deliver(event, attempt + 1)

    def _sweep_stalled(self) -> bool:
        """Nothing can happen any more: each choreographed saga still running is swept by its timer."""
        sagas = dependencies.stalled_sagas()
        swept = False
        for saga in self.sagas.values():
            stalled = sagas.get(saga.run.order_id) if saga.choreographed else None
            if stalled is not None:
                self._spawn(f"timer sweeps {stalled.saga_id}", lambda s=stalled: _sweep(sagas, s), stalled.saga_id)
                swept = True
        return swept

    @cached_property
    def _service_settings(self) -> service.ServiceSettings:
        """Read once a schedule, as the consumer reads them once for each batch of records: the variables do not
        change while a schedule runs, and reading and validating them cost more than some deliveries."""
        return load_settings(service.ServiceSettings)

    # ------------------------------------------------------------------ the check
    def outcome(self) -> Outcome:
        from simulator.check import snapshot_of, violations

        for saga in self.sagas.values():
            if saga.choreographed:
                status = self._status(saga.run.order_id)
                saga.run.first_final = saga.run.reported_status = status
        returns: list[ReturnFacts] = [f for f in (return_facts(self.world.stack, r) for r in self.returns) if f]
        facts = [order_facts(self.world.stack, saga.run) for saga in self.sagas.values()]
        snapshot = snapshot_of(facts, returns, self.world.stack, dict(self.restocked))
        endings = {order_id: saga.endings for order_id, saga in self.sagas.items()}
        return Outcome(snapshot, violations(snapshot, endings), list(self.scheduler.trace))


def _sweep(sagas: Any, stalled: Any) -> None:
    sagas.sweep(stalled, stalled_failure(stalled.state, 0), utc_now_iso())


def _outbox_items(operation: str, body: bytes) -> Iterator[dict[str, str]]:
    request = json.loads(body)
    puts = [request] if operation == "PutItem" else [i["Put"] for i in request["TransactItems"] if "Put" in i]
    for put in puts:
        if put["TableName"] == "OutboxTable":
            yield {name: value["S"] for name, value in put["Item"].items() if "S" in value}


@dataclass
class _Starter:
    """The operator actions' SagaController: a new execution of the state machine, or a stop of the running one."""

    simulation: Simulation
    kind: str
    saga_id: str
    on_done: Callable[[Actor], None] | None = None

    def start(self, name: str, saga_input: Any) -> str:
        label = f" ({name.split('-')[-2]})" if name != self.saga_id else ""  # an operator's: -resume-, -compensate-
        actor = self.simulation._execution(self.kind, self.saga_id, dict(saga_input), label)
        if self.on_done is not None:
            actor.on_done = self.on_done
        return name

    def stop(self, name: str, error: str, cause: str) -> None:
        for actor in self.simulation.scheduler.actors:
            if actor.saga_id == name and actor.name.startswith(f"{self.kind} execution") and not actor.done:
                actor.stopped = True
                actor.until = None


class _Context:
    function_name = "simulated"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:simulated"
    aws_request_id = "simulated"


_CONTEXT: Any = _Context()
_injected: dict[Any, FaultInjector] = {}  # greenlet -> the fault of the invocation it runs


@contextmanager
def _injecting(step_name: str, fault: InvocationFault) -> Iterator[None]:
    plan = {}
    if fault.fate in (Fate.FAIL, Fate.TRANSIENT) and step_name in StepName.__members__.values():
        plan = {StepName(step_name): FaultSpec(mode=fault.fate.value, rate=1.0)}
    _injected[getcurrent()] = FaultInjector(plan)
    try:
        yield
    finally:
        _injected.pop(getcurrent(), None)


def fault_injector(settings: Any = None) -> FaultInjector:
    """Replaces the handlers' SSM-backed injector: the fault of the invocation running now."""
    return _injected.get(getcurrent()) or FaultInjector({})


@contextmanager
def prepared_world() -> Iterator[World]:
    """The simulated cloud with the catalog seeded, the services' variables set, and two seams of the product
    replaced for the simulation's sake: the fault injector (the schedule's, not SSM's) and a retried message's
    visibility change (SQS is the scheduler: the message comes back when it is drawn)."""
    with (
        simulated_cloud() as world,
        patch.object(step, "fault_injector", fault_injector),
        patch.object(service, "_come_back_later", lambda record, delay: None),
        patch.dict(os.environ, SERVICE_ENVIRONMENT),
    ):
        level = observability.logger.log_level
        observability.logger.setLevel(logging.CRITICAL)
        try:
            inventory = dependencies.repositories().inventory
            for sku, price, units in PRODUCTS:
                inventory.put_product(Product(sku=sku, name=sku, unit_price_cents=price, available=units))
            seed(world)
            yield world
        finally:  # the product's logger is the process's: later tests read its warnings
            observability.logger.setLevel(level)
