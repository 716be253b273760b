"""`make chaos`: many checkouts on a deployed stack with faults injected at every step and compensation,
random payment tokens, requests and steps delivered twice, buyers racing for scarce stock, restocks between
batches, sagas forced into COMPENSATION_FAILED and resumed; then the invariants of all-or-nothing
(saga_client.invariants) are checked on the stored data, before and after the resume.

Phases: the random batches (a new fault plan each, on the return saga's steps too; deliveries restocked
through POST /products/{sku}/restock while the batch's sagas run; returns of the previous batch's CONFIRMED
orders running alongside, saga_client.chaos_returns), a race for a
few units, a pivot phase (ConfirmOrder takes effect then keeps failing), a stuck phase (every compensation
keeps failing), steps of finished sagas delivered again (nothing may change), the resume of every saga left
COMPENSATION_FAILED. The scenario follows the seed (saga_client.chaos_scenario); which faults fire is drawn
inside the Lambdas, unseeded."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from local_cloud.stepfunctions.express import is_express_arn
from saga_client import choreography_stack as choreography
from saga_client.api_client import ApiError
from saga_client.chaos_driver import Driver, SagaRun
from saga_client.chaos_events import check_read_model
from saga_client.chaos_returns import ReturnRun, collect_returns, pick_returns, resume_returns, run_returns
from saga_client.chaos_scenario import (
    PIVOT_PLAN,
    STUCK_PLAN,
    ChaosOptions,
    CheckoutSpec,
    Scenario,
    make_scenario,
)
from saga_client.express_runs import duplicates_started, set_duplicate_rate
from saga_client.function_failures import recent_failures
from saga_client.histories import failed_attempts, retries, scheduled
from saga_client.invariants import Holding, OrderFacts, Race, ReturnFacts, Snapshot, check, holdings
from saga_client.progress import Progress
from saga_client.resume import Resumed, resume_compensation
from saga_client.stack_data import StackData
from saga_client.stored_data import collect, fingerprint, orders_of

REACTION_TIMEOUT = 30.0  # an event delivered again to a choreographed saga: how long its services may take to react
RESTOCK_SPACING = 0.5  # seconds between the deliveries of one batch, so they land while its sagas run
API_FUNCTION = "ApiFunction"  # the template's function behind every API route
STUCK_KINDS = ("tok_visa", "tok_declined", "out_of_stock", "unknown_sku")


@dataclass
class ChaosReport:
    options: ChaosOptions
    run_id: str = ""
    runs: list[SagaRun] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (phase, final status) -> sagas
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)  # (state, error) -> failed attempts
    retries: Counter[str] = field(default_factory=Counter)  # state -> retried attempts
    repeated_requests: int = 0
    retried_requests: int = 0  # POST /checkout sent again after a 5xx, a 409 in progress or a timeout
    retried_reads: int = 0  # GET /orders asked again after a 5xx or a timeout
    redelivered_in_flight: int = 0
    redelivered_after: int = 0
    restocked: dict[str, int] = field(default_factory=dict)
    returns: Counter[str] = field(default_factory=Counter)  # final status -> returns
    rejections: list[str] = field(default_factory=list)  # why ValidateReturn refused each REJECTED return
    lowest_seen: dict[str, int] = field(default_factory=dict)
    race: str = ""
    held_before_resume: list[Holding] = field(default_factory=list)
    resumed: list[Resumed] = field(default_factory=list)
    violations_before_resume: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # every violation found (before and after the resume)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    swept: list[str] = field(default_factory=list)  # choreographed sagas compensated for standing still
    dead_letters: int = 0  # messages left in the choreography's dead-letter queues
    read_model_sagas: int = 0  # sagas whose read model projection was checked, then rebuilt by a replay
    duplicate_executions: int = 0  # EXPRESS: executions the local cloud started a second time


class StockSampler(threading.Thread):
    """Reads `available` of the run's skus twice a second: invariant 4 is about every moment, not the end."""

    def __init__(self, stack: StackData, skus: list[str]) -> None:
        super().__init__(daemon=True)
        self._stack, self._skus = stack, skus
        self.lowest: dict[str, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.5):
            for sku, units in self._stack.raw_available(self._skus).items():
                self.lowest[sku] = min(units, self.lowest.get(sku, units))

    def stop(self) -> dict[str, int]:
        self._stop_event.set()
        self.join()
        return self.lowest


class ChaosRun:
    def __init__(self, stack: StackData, options: ChaosOptions, say: Callable[[str], None]) -> None:
        self.stack, self.options, self.say = stack, options, say
        self.scenario: Scenario = make_scenario(options)
        self.run_id = uuid.uuid4().hex[:6]  # fresh skus and keys: runs on the same cloud do not interfere
        self.prefix = f"CH{options.seed}-{self.run_id}"
        self.driver = Driver(stack, timeout=options.saga_timeout)
        self.report = ChaosReport(options, run_id=self.run_id)
        self.initial: dict[str, int] = {}
        self.prices: dict[str, int] = {}
        self.races: list[Race] = []
        self.return_rng = random.Random(options.seed)  # which CONFIRMED orders return what
        self.return_runs: list[ReturnRun] = []
        self._current_phase, self._phase_started = "seed", time.monotonic()
        total = options.sagas + options.race_buyers + len(STUCK_KINDS) + 2
        self.progress = Progress(total, "sagas")

    def sku(self, key: str) -> str:
        return f"{self.prefix}-{key}"

    # ---------------------------------------------------------------- phases
    def run(self) -> ChaosReport:
        started = time.monotonic()
        since = datetime.now(UTC) - timedelta(seconds=1)  # the run's events, for the replay of invariant 7
        self._seed_catalog()
        if self.express:
            set_duplicate_rate(self.stack, self.options.duplicate_rate)
        sampler = StockSampler(self.stack, list(self.initial))
        sampler.start()
        try:
            with ThreadPoolExecutor(2) as background:
                returning: Future[None] | None = None
                for number, batch in enumerate(self.scenario.batches, start=1):
                    self._set_faults(batch.faults, f"batch {number}/{len(self.scenario.batches)}")
                    restocking = background.submit(self._restock, batch.restocks)  # while the sagas run
                    runs = self._run_all("random", batch.checkouts)
                    restocking.result()
                    if returning is not None:
                        returning.result()
                    returning = background.submit(self._returns, runs)  # alongside the next batch
                if returning is not None:
                    returning.result()
            self._set_faults({}, "race")
            self._race()
            self._set_faults(PIVOT_PLAN, "pivot")
            self._run_many("pivot", [self._body("tok_visa", [("P0", 1)]) for _ in range(2)])
            self._set_faults(STUCK_PLAN, "stuck")
            self._stuck()
            self._set_faults({}, "redeliver finished steps")
            self._redeliver_finished()
        finally:
            self.report.lowest_seen = sampler.stop()
            self.stack.set_faults({})
            self.progress.close()
        self._phase("check, resume")  # the duplicate knob stays on: an Express resume may run twice too
        self._check_and_resume()
        self._phase("read model, replay")
        self._check_read_model(since)
        self._phase("histories")
        self._count_from_histories()
        if self.express:
            self.report.duplicate_executions = duplicates_started(self.stack)
            set_duplicate_rate(self.stack, 0)
        self._phase("")
        self.report.seconds = time.monotonic() - started
        return self.report

    def _seed_catalog(self) -> None:
        options = self.options
        specs = [(p.key, p.price_cents, p.initial, 1) for p in self.scenario.products]
        specs += [(self.scenario.race_key, 1500, options.race_units, options.race_shards), ("EMPTY", 700, 0, 1)]
        for key, price, units, shards in specs:
            sku = self.sku(key)
            self.initial[sku], self.prices[sku] = units, price
            self.driver.api.put_product(
                {"sku": sku, "name": f"Chaos {key}", "unitPriceCents": price, "available": units, "shards": shards}
            )
        self.say(f"run {self.run_id}: {len(specs)} skus {self.prefix}-*, scarce: {self._scarce_summary()}")

    def _scarce_summary(self) -> str:
        return ", ".join(f"{self.sku(p.key)}={p.initial}" for p in self.scenario.products if p.scarce)

    def _set_faults(self, plan: dict[str, Any], phase: str) -> None:
        self._phase(phase.split(" ")[0])
        self.stack.set_faults(plan)
        self.progress.note(phase)
        time.sleep(self.stack.fault_plan_delay)  # until every step reads the new plan

    def _phase(self, name: str) -> None:
        """Time spent per phase (the report shows where a run's wall time goes)."""
        now = time.monotonic()
        if self._current_phase:
            spent = self.report.phase_seconds.get(self._current_phase, 0.0)
            self.report.phase_seconds[self._current_phase] = spent + now - self._phase_started
        self._current_phase, self._phase_started = name, now

    def _body(self, token: str, items: Iterable[tuple[str, int]], customer_id: str = "c-chaos") -> dict[str, Any]:
        return {
            "customerId": customer_id,
            "items": [{"sku": self.sku(key), "quantity": quantity} for key, quantity in items],
            "paymentToken": token,
            "coordination": self.options.coordination,
        }

    @property
    def choreographed(self) -> bool:
        return self.options.coordination == "choreography"

    @property
    def express(self) -> bool:
        return self.options.workflow == "EXPRESS" and not self.choreographed

    def _key(self) -> str:
        return f"{self.prefix}-{uuid.uuid4().hex[:12]}"

    def _run_all(self, phase: str, checkouts: Iterable[CheckoutSpec]) -> list[SagaRun]:
        def one(spec: CheckoutSpec) -> SagaRun | None:
            body = self._body(spec.token, spec.items, spec.customer_id)
            return self._checkout(phase, body, spec.repeat, spec.watch, spec.number)

        with ThreadPoolExecutor(self.options.concurrency) as pool:
            runs = [run for run in pool.map(one, checkouts) if run is not None]
        self.report.runs.extend(runs)
        self.report.repeated_requests += sum(1 for run in runs if run.replay_same is not None)
        self.report.redelivered_in_flight += sum(run.redelivered for run in runs)
        return runs

    def _run_many(self, phase: str, bodies: list[dict[str, Any]], workers: int | None = None) -> list[SagaRun]:
        with ThreadPoolExecutor(workers or self.options.concurrency) as pool:
            runs = [run for run in pool.map(lambda body: self._checkout(phase, body), bodies) if run is not None]
        self.report.runs.extend(runs)
        return runs

    def _checkout(
        self, phase: str, body: dict[str, Any], repeat: str = "", watch: bool = False, number: int | None = None
    ) -> SagaRun | None:
        """One checkout; an API that keeps refusing a valid request is a violation, not the end of the run."""
        started_ms = int(time.time() * 1000)
        try:
            return self.driver.checkout(phase, body, self._key(), repeat, watch, number=number)
        except (ApiError, requests.RequestException) as exc:
            self.report.violations.append(f"API: a {phase} checkout got no answer: {exc}{self._why(exc, started_ms)}")
            return None
        finally:
            self.progress.advance()

    def _why(self, exc: Exception, since_ms: int) -> str:
        """For a 5xx: the API function's failures meanwhile, from its log (the answer says only "Internal server
        error")."""
        if not isinstance(exc, ApiError) or exc.status_code < 500:
            return ""
        try:
            lines = recent_failures(self.stack.client("logs"), API_FUNCTION, since_ms)
        except Exception as failure:  # the diagnosis must not hide the violation it explains
            return f" (its log could not be read: {failure})"
        return "; the API function's log: " + (" | ".join(lines) if lines else "no failed call")

    def _restock(self, restocks: Iterable[tuple[str, int]]) -> None:
        """Deliveries while sagas run: POST /products/{sku}/restock adds atomically, so no unit is lost or sold
        twice by the checkouts reserving at the same moment."""
        for key, units in restocks:
            time.sleep(RESTOCK_SPACING)
            sku = self.sku(key)
            self.driver.api.restock(sku, units)
            self.report.restocked[sku] = self.report.restocked.get(sku, 0) + units

    def _returns(self, runs: list[SagaRun]) -> None:
        """Some CONFIRMED orders of a batch return part of what they bought (sometimes more: REJECTED)."""
        items = {spec.number: spec.items for batch in self.scenario.batches for spec in batch.checkouts}
        confirmed = [
            (run.order_id, {self.sku(key): units for key, units in items[run.number]})
            for run in runs
            if run.reported_status == "CONFIRMED" and run.number is not None
        ]
        specs = pick_returns(self.return_rng, confirmed)
        self.return_runs += run_returns(
            self.stack.outputs["ApiUrl"], self.driver.token, specs, self.options.concurrency, self.options.saga_timeout
        )
        self.report.violations += [
            f"API: a return of order {run.spec.order_id} got no answer: {run.error}"
            for run in self.return_runs[-len(specs) :]
            if run.error
        ]

    def _race(self) -> None:
        options = self.options
        body = self._body("tok_visa", [(self.scenario.race_key, 1)], customer_id="racer")
        runs = self._run_many("race", [body] * options.race_buyers, workers=options.race_buyers)
        self.races = [Race(self.sku(self.scenario.race_key), options.race_units, tuple(r.order_id for r in runs))]

    def _stuck(self) -> None:
        """One saga per way into a compensation that keeps failing; each ends COMPENSATION_FAILED."""
        bodies = [
            self._body("tok_visa", [("P0", 1)]),  # captured, the answer lost: RefundPayment stuck (capture + stock)
            self._body("tok_declined", [("P1", 2)]),  # declined: RefundPayment stuck (stock)
            self._body("tok_visa", [("EMPTY", 1)]),  # out of stock: ReleaseStock stuck (nothing)
        ]
        self._run_many("stuck", bodies)
        # CreateOrder failing needs a sku the API would refuse: started directly, like `awslocal start-execution`.
        order_id = f"{self.prefix}-unknown-sku"
        body = self._body("tok_visa", [("NO-SUCH-SKU", 1)])
        body.pop("coordination")
        token = body.pop("paymentToken")  # sealed as the API would: no execution history holds a token
        document = {**body, "orderId": order_id, "sealedPaymentToken": self.stack.sealed_payment_token(order_id, token)}
        if self.choreographed:
            arn = choreography.start(self.stack, document, order_id)
        else:
            arn = self.stack.start(document, name=order_id)
        self.report.runs.append(self.driver.follow(SagaRun("stuck", order_id, arn)))
        self.progress.advance()

    def _redeliver_finished(self) -> None:
        """A step of a finished saga delivered again with its exact input must change nothing at all. (A saga
        left COMPENSATION_FAILED has not finished: its undo is still due, and a compensation delivered again
        may rightly release what it holds, though only the resume ends it CANCELLED.)"""
        by_number = {run.number: run for run in self.report.runs if run.number is not None}
        for number, pick in self.scenario.redeliveries:
            run = by_number.get(number)
            if run is None or run.reported_status == "COMPENSATION_FAILED":  # no answer (a violation), or not over
                continue
            skus = list(self.initial)
            if self.choreographed:
                events = choreography.saga_events(self.stack, run.order_id)
                if not events:
                    continue
                event = events[pick % len(events)]
                name = event["name"]
                before = fingerprint(self.stack, run.order_id, skus)
                choreography.redeliver(self.stack, event)
                choreography.wait_until_empty(self.stack, timeout=REACTION_TIMEOUT)  # the services react to it
            elif is_express_arn(run.execution_arn):
                continue  # no history to read its steps from: its duplicate executions did this
            else:
                steps = scheduled(self.stack.history(run.execution_arn))
                if not steps:
                    continue
                step = steps[pick % len(steps)]
                name = step.state
                before = fingerprint(self.stack, run.order_id, skus)
                self.driver.redeliver(step)
            after = fingerprint(self.stack, run.order_id, skus)
            self.report.redelivered_after += 1
            if before != after:
                changed = sorted(name for name in before if before[name] != after[name])
                self.report.violations.append(
                    f"duplicate: {name} delivered again to order {run.order_id} changed {changed}: "
                    f"{ {name: (before[name], after[name]) for name in changed} }"
                )

    # ---------------------------------------------------------------- checks
    def _snapshot(self, facts: list[OrderFacts], returns: list[ReturnFacts]) -> Snapshot:
        return Snapshot(
            orders=facts,
            returns=returns,
            initial_stock=self.initial,
            available=self.stack.raw_available(list(self.initial)),
            restocked=self.report.restocked,
            lowest_seen=self.report.lowest_seen,
            races=self.races,
        )

    def _check_and_resume(self) -> None:
        report = self.report
        report.violations += [
            f"1: {run.phase} saga {run.order_id} still running after {self.options.saga_timeout:.0f} s ({run.left_at})"
            for run in report.runs
            if not run.ended
        ]
        report.violations += [
            f"API: the same Idempotency-Key gave two orders (first {run.order_id})"
            for run in report.runs
            if run.replay_same is False
        ]
        report.violations += self._unanswered_orders()
        report.retried_requests = self.driver.retried_posts
        report.retried_reads = self.driver.retried_reads
        facts = collect(self.stack, report.runs, self.options.concurrency)
        returns = collect_returns(self.stack, self.return_runs, self.options.concurrency)
        report.violations_before_resume = check(self._snapshot(facts, returns))
        report.held_before_resume = holdings(facts)
        stuck = {h.order_id for h in report.held_before_resume}
        if stuck:
            self.say(f"resuming {len(stuck)} saga(s) left COMPENSATION_FAILED")
            with ThreadPoolExecutor(self.options.concurrency) as pool:
                report.resumed = list(
                    pool.map(
                        lambda order_id: resume_compensation(self.stack, order_id, operator_token=self.driver.token),
                        stuck,
                    )
                )
            for run in report.runs:
                run.resumed = run.order_id in stuck
        resumed_returns = resume_returns(self.stack, self.return_runs, self.options.saga_timeout)
        if stuck or resumed_returns:  # read again what the resumes changed: orders, stock, payments, returns
            facts = collect(self.stack, report.runs, self.options.concurrency)
        returns = collect_returns(self.stack, self.return_runs, self.options.concurrency)
        report.returns = Counter(r.status for r in returns)
        report.rejections = [run.cause or "" for run in self.return_runs if run.reported == "REJECTED"]
        report.violations += [
            f"resume: order {r.order_id} is {r.order_status} after its resume ({r.execution_arn})"
            for r in report.resumed
            if r.order_status != "CANCELLED"
        ]
        after = check(self._snapshot(facts, returns))
        before = report.violations_before_resume
        report.violations += before + [violation for violation in after if violation not in before]
        status_of = {f.order_id: f.status for f in facts}
        report.outcomes = Counter((run.phase, status_of[run.order_id]) for run in report.runs)
        self._race_summary(facts)

    def _unanswered_orders(self) -> list[str]:
        """Every order of the run's skus is one the API answered with: a request sent again after a failure (a
        5xx, a timeout) must find the saga the failed call had started, never start a second one, whose stock
        and money no invariant would count."""
        customers = {"c-chaos", "racer"} | {spec.customer_id for b in self.scenario.batches for spec in b.checkouts}
        known = {run.order_id for run in self.report.runs}
        stored = [
            order_id for customer in sorted(customers) for order_id in orders_of(self.stack, customer, self.prefix)
        ]
        return [
            f"API: order {order_id} was stored, but no request of the run was answered with it"
            for order_id in stored
            if order_id not in known
        ]

    def _check_read_model(self, since: datetime) -> None:
        checkouts = [run.order_id for run in self.report.runs]
        returns = [run.return_id for run in self.return_runs if run.return_id]
        self.report.violations += check_read_model(self.stack, checkouts, returns, since)
        self.report.read_model_sagas = len(checkouts) + len(returns)

    def _race_summary(self, facts: list[OrderFacts]) -> None:
        race = self.races[0]
        buyers = set(race.buyers)
        sold = sum(1 for f in facts if f.order_id in buyers and f.status == "CONFIRMED")
        self.report.race = f"{len(race.buyers)} buyers for {race.units} units of {race.sku}: {sold} sold"

    def _count_from_histories(self) -> None:
        choreographed = [run.order_id for run in self.report.runs if choreography.is_choreographed(run.execution_arn)]
        if choreographed:  # no execution: the services log each failed attempt
            faults, retried = choreography.step_attempts(self.stack, choreographed)
            self.report.faults.update(faults)
            self.report.retries.update(retried)
            self.report.swept = choreography.swept(self.stack, choreographed)
            self.report.dead_letters = choreography.dead_letters(self.stack)
        arns = [run.execution_arn for run in self.report.runs if not choreography.is_choreographed(run.execution_arn)]
        arns += [r.execution_arn for r in self.report.resumed]
        arns += [run.execution_arn for run in self.return_runs if run.execution_arn]
        arns = [arn for arn in arns if not is_express_arn(arn)]  # Express keeps no history (only its log group)
        with ThreadPoolExecutor(self.options.concurrency) as pool:
            for events in pool.map(self.stack.history, arns):
                self.report.faults.update(failed_attempts(events))
                self.report.retries.update(retries(events))


def run_chaos(stack: StackData, options: ChaosOptions, say: Callable[[str], None] = print) -> ChaosReport:
    return ChaosRun(stack, options, say).run()
