"""Returns in the chaos run's traffic: some CONFIRMED orders of each batch return part of what they bought
(now and then more than they bought: REJECTED) while the next batch's checkouts run; returns left
COMPENSATION_FAILED are resumed at the end. Their stored facts feed the invariants (saga_client.invariants)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from checkout_saga.logic.saga_operations import undo_document
from saga_client.api_client import ApiError, CheckoutApi
from saga_client.invariants import ReturnFacts
from saga_client.stack_data import RETURN, StackData

RETURN_SHARE = 0.3  # of the CONFIRMED orders of a batch
TOO_MANY_SHARE = 0.15  # of the returns: one unit more than bought (ValidateReturn must reject it)


@dataclass(frozen=True)
class ReturnSpec:
    order_id: str
    items: tuple[tuple[str, int], ...]  # (sku, units)


@dataclass
class ReturnRun:
    spec: ReturnSpec
    return_id: str = ""
    execution_arn: str = ""
    reported: str | None = None  # the final status GET /returns/{id} showed
    cause: str | None = None  # why it failed, as GET /returns/{id} showed it (REJECTED: the rule it broke)
    error: str | None = None  # the API gave no answer
    resumed: bool = False


def pick_returns(rng: random.Random, confirmed: Iterable[tuple[str, dict[str, int]]]) -> list[ReturnSpec]:
    """`confirmed`: (order id, sku -> units bought) of CONFIRMED orders, in a stable order. About RETURN_SHARE of
    them return something, and one at least when there is one: a round whose faults let few orders through still
    runs returns (whether a fault fires is drawn in the Lambdas, unseeded)."""
    orders = list(confirmed)
    specs = [_return_spec(rng, order_id, bought) for order_id, bought in orders if rng.random() < RETURN_SHARE]
    if not specs and orders:
        specs.append(_return_spec(rng, *rng.choice(orders)))
    return specs


def _return_spec(rng: random.Random, order_id: str, bought: dict[str, int]) -> ReturnSpec:
    skus = sorted(bought)
    chosen = rng.sample(skus, rng.randint(1, len(skus)))
    extra = 1 if rng.random() < TOO_MANY_SHARE else 0
    return ReturnSpec(order_id, tuple((sku, rng.randint(1, bought[sku]) + extra) for sku in chosen))


def run_returns(api_url: str, token: str, specs: list[ReturnSpec], workers: int, timeout: float) -> list[ReturnRun]:
    """`token`: an operator's, who may return any customer's order."""

    def one(spec: ReturnSpec) -> ReturnRun:
        run, api = ReturnRun(spec), CheckoutApi(api_url, token=token)
        body = {"items": [{"sku": sku, "quantity": units} for sku, units in spec.items], "reason": "chaos"}
        try:
            accepted = api.start_return(spec.order_id, body)
            run.return_id, run.execution_arn = str(accepted["returnId"]), str(accepted["executionArn"])
            shown = api.wait_return(run.return_id, timeout)
            run.reported = str(shown["status"])
            failure = shown["saga"]["failure"]
            run.cause = f"{failure['error']}: {failure['cause']}" if failure else None
        except (ApiError, requests.RequestException, TimeoutError) as exc:
            run.error = str(exc)
        return run

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, specs))


def resume_returns(stack: StackData, runs: list[ReturnRun], timeout: float) -> int:
    """A return saga left COMPENSATION_FAILED runs its undo again: {"returnId", "resumeCompensation": true,
    "resumesFailure": the mark it ends}.
    The number resumed: their undo changed the payments and the stock, which must then be read again."""
    resumed = 0
    for run in runs:
        record = stack.returns.get(run.return_id) if run.return_id else None
        if record is None or record.status.value != "COMPENSATION_FAILED":
            continue
        arn = stack.start(undo_document("returnId", run.return_id, record.compensation_failures), machine=RETURN)
        stack.wait(arn, timeout)
        run.resumed = True
        resumed += 1
    return resumed


def return_facts(stack: StackData, run: ReturnRun) -> ReturnFacts | None:
    if not run.return_id:
        return None
    record = stack.returns.get(run.return_id)
    restock = stack.inventory.get_return_restock(run.return_id)
    payment = stack.payments.get(run.spec.order_id)
    return ReturnFacts(
        return_id=run.return_id,
        order_id=run.spec.order_id,
        status=record.status.value if record else "MISSING",
        refund_cents=record.refund_cents if record else 0,
        units={item.sku: item.quantity for item in record.items} if record and record.validated_at else {},
        restocked=restock is not None and restock.status.value == "RESTOCKED",
        refunded=payment is not None and run.return_id in payment.refunded_returns,
        reported=run.reported,
        resumed=run.resumed,
    )


def collect_returns(stack: StackData, runs: list[ReturnRun], workers: int = 8) -> list[ReturnFacts]:
    with ThreadPoolExecutor(workers) as pool:
        return [facts for facts in pool.map(lambda run: return_facts(stack, run), runs) if facts is not None]
