"""`make chaos`: many checkouts on the local cloud with faults injected at every step and compensation,
random payment tokens, requests and steps delivered twice, and buyers racing for scarce stock; then the
invariants of all-or-nothing are checked on the stored data.

The scenario (catalog, fault plans, orders, tokens, duplicates) follows --seed; the draws that decide,
inside each Lambda, whether a fault fires are not seeded, so two runs differ in which sagas fail."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3

from checkout_saga.models import StepName
from saga_client.api_client import CheckoutApi
from saga_client.invariants import Snapshot, check
from saga_client.progress import Progress
from saga_client.resume import resume_compensation
from saga_client.stored_data import StoredData

TOKENS = ["tok_visa", "tok_visa", "tok_visa", "tok_flaky", "tok_declined", "tok_insufficient_funds"]
BATCH = 100  # a new fault plan every BATCH sagas
FAULT_PLAN_DELAY = 2.1  # handlers re-read the plan at most every 2 s


@dataclass
class ChaosReport:
    sagas: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)  # (state, error) -> failed attempts
    idempotent_replays: int = 0
    duplicate_deliveries: int = 0
    race: str = ""
    resumed: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Cloud:
    api: CheckoutApi
    outputs: dict[str, str]
    endpoint_url: str | None

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1")

    def set_faults(self, plan: dict[str, Any]) -> None:
        self.client("ssm").put_parameter(
            Name=self.outputs["FaultsParameterName"], Value=json.dumps(plan), Type="String", Overwrite=True
        )
        time.sleep(FAULT_PLAN_DELAY)


def random_fault_plan(rng: random.Random) -> dict[str, Any]:
    """Every forward step and every compensation gets a fault, moderate enough that most sagas finish."""
    return {
        step.value: {"mode": rng.choice(["fail", "transient"]), "rate": round(rng.uniform(0.05, 0.2), 2)}
        for step in StepName
    }


def run_chaos(
    cloud: Cloud, sagas: int, seed: int, concurrency: int = 8, say: Callable[[str], None] = print
) -> ChaosReport:
    started = time.monotonic()
    rng = random.Random(seed)
    report = ChaosReport(sagas=sagas)
    prefix = f"CH{seed}-{uuid.uuid4().hex[:4]}"  # fresh skus: runs on the same cloud do not interfere
    skus = [f"{prefix}-{index}" for index in range(6)]
    initial = {sku: rng.randint(sagas // 4 + 5, sagas // 2 + 20) for sku in skus}
    race_sku, race_units, race_buyers = f"{prefix}-RACE", 5, 16
    initial[race_sku] = race_units
    for sku, units in initial.items():
        cloud.api.put_product(
            {"sku": sku, "name": f"Chaos product {sku}", "unitPriceCents": rng.randint(100, 9999), "available": units}
        )

    order_ids: list[str] = []
    say(f"phase 1: {sagas} checkouts, faults at every step and compensation, concurrency {concurrency}")
    progress = Progress(sagas, "checkouts")
    for batch_start in range(0, sagas, BATCH):
        cloud.set_faults(random_fault_plan(rng))
        bodies = [_random_checkout(rng, skus) for _ in range(min(BATCH, sagas - batch_start))]
        twice = {index for index in range(len(bodies)) if rng.random() < 0.1}
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(
                pool.map(
                    lambda job: _checkout(cloud.api, *job, progress), [(b, i in twice) for i, b in enumerate(bodies)]
                )
            )
        for order_id, replay_ok in results:
            order_ids.append(order_id)
            if replay_ok is not None:
                report.idempotent_replays += 1
                if not replay_ok:
                    report.violations.append(f"idempotency: the same key gave two orders ({order_id})")
    cloud.set_faults({})

    say(f"phase 2: {race_buyers} buyers race for {race_units} units of {race_sku}")
    race_body = {"customerId": "racer", "items": [{"sku": race_sku, "quantity": 1}], "paymentToken": "tok_visa"}
    with ThreadPoolExecutor(race_buyers) as pool:
        race_ids = [
            order_id
            for order_id, _ in pool.map(lambda _: _checkout(cloud.api, race_body, False, None), range(race_buyers))
        ]

    say("phase 3: steps delivered twice")
    report.duplicate_deliveries = _deliver_twice(cloud, rng, order_ids, sample=min(40, len(order_ids)))

    stored = StoredData(cloud.outputs, cloud.endpoint_url)
    stuck = [facts.order_id for facts in stored.order_facts(order_ids) if facts.status == "COMPENSATION_FAILED"]
    if stuck:
        say(f"phase 4: resuming {len(stuck)} saga(s) left in COMPENSATION_FAILED")
        sfn = cloud.client("stepfunctions")
        for order_id in stuck:
            report.resumed[
                resume_compensation(sfn, cloud.outputs["CheckoutStateMachineArn"], "COMPENSATION_FAILED", order_id)
            ] += 1

    say("checking the invariants")
    facts = stored.order_facts([*order_ids, *race_ids])
    report.outcomes = Counter(f.status for f in facts)
    report.faults = _faults_from_histories(cloud, [*order_ids, *race_ids], concurrency)
    snapshot = Snapshot(
        orders=facts,
        initial_stock=initial,
        available={sku: units for sku, units in stored.available().items() if sku in initial},
        race_sku=race_sku,
        race_units=race_units,
        race_buyers=race_ids,
    )
    report.violations.extend(check(snapshot))
    sold = sum(1 for f in facts if f.order_id in set(race_ids) and f.status == "CONFIRMED")
    report.race = f"{race_buyers} buyers, {race_units} units, {sold} sold"
    report.seconds = time.monotonic() - started
    return report


def _random_checkout(rng: random.Random, skus: list[str]) -> dict[str, Any]:
    chosen = rng.sample(skus, rng.randint(1, 3))
    return {
        "customerId": f"c-{rng.randint(1, 50)}",
        "items": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in chosen],
        "paymentToken": rng.choice(TOKENS),
    }


def _checkout(
    api: CheckoutApi, body: dict[str, Any], twice: bool, progress: Progress | None
) -> tuple[str, bool | None]:
    """POST the checkout (twice with the same Idempotency-Key when asked) and wait until it is terminal."""
    key = uuid.uuid4().hex
    first = api.checkout(body, idempotency_key=key)
    replay_ok = api.checkout(body, idempotency_key=key)["orderId"] == first["orderId"] if twice else None
    api.wait_until_terminal(first["orderId"], timeout=180)
    if progress:
        progress.advance()
    return first["orderId"], replay_ok


def _deliver_twice(cloud: Cloud, rng: random.Random, order_ids: list[str], sample: int) -> int:
    """Invoke again, with the same input, a step each sampled saga already ran; nothing may change."""
    sfn, lambda_ = cloud.client("stepfunctions"), cloud.client("lambda")
    arn_prefix = cloud.outputs["CheckoutStateMachineArn"].replace(":stateMachine:", ":execution:")
    delivered = 0
    for order_id in rng.sample(order_ids, sample):
        scheduled = [
            event["lambdaFunctionScheduledEventDetails"]
            for event in _history(sfn, f"{arn_prefix}:{order_id}")
            if event["type"] == "LambdaFunctionScheduled"
        ]
        if not scheduled:
            continue
        step = rng.choice(scheduled)
        lambda_.invoke(FunctionName=step["resource"], Payload=step["input"].encode())
        delivered += 1
    return delivered


def _history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def _faults_from_histories(cloud: Cloud, order_ids: list[str], concurrency: int) -> Counter[tuple[str, str]]:
    sfn = cloud.client("stepfunctions")
    arn_prefix = cloud.outputs["CheckoutStateMachineArn"].replace(":stateMachine:", ":execution:")

    def failures(order_id: str) -> Counter[tuple[str, str]]:
        counted: Counter[tuple[str, str]] = Counter()
        state = ""
        for event in _history(sfn, f"{arn_prefix}:{order_id}"):
            if event["type"].endswith("StateEntered"):
                state = event["stateEnteredEventDetails"]["name"]
            elif event["type"] == "LambdaFunctionFailed":
                counted[(state, event["lambdaFunctionFailedEventDetails"].get("error", "?"))] += 1
        return counted

    total: Counter[tuple[str, str]] = Counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for counted in pool.map(failures, order_ids):
            total.update(counted)
    return total


def render(report: ChaosReport) -> str:
    lines = [f"sagas run: {report.sagas} (+ race buyers)   wall time: {report.seconds:.0f} s", "", "outcomes:"]
    lines += [f"  {status:<22} {count:>6}" for status, count in sorted(report.outcomes.items())]
    lines += ["", "failed attempts by state and error (faults injected, declines, retries):"]
    for (state, error), count in sorted(report.faults.items()):
        lines.append(f"  {state:<16} {error:<28} {count:>6}")
    injected = {
        state for (state, error), _ in report.faults.items() if error in ("InjectedFailure", "TransientStepError")
    }
    missing = sorted({step.value for step in StepName} - injected)
    lines += [
        "",
        f"steps with injected faults: {len(injected)}/{len(StepName)}"
        + (f" (none hit: {', '.join(missing)})" if missing else ""),
        f"idempotent replays (same key twice): {report.idempotent_replays}",
        f"steps delivered twice: {report.duplicate_deliveries}",
        f"scarce-stock race: {report.race}",
        f"resumed from COMPENSATION_FAILED: {dict(report.resumed) or 0}",
        f"invariant violations: {len(report.violations)}",
    ]
    lines += [f"  - {violation}" for violation in report.violations]
    return "\n".join(lines)
