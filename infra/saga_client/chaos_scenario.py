"""The chaos run's scenario, drawn entirely from the seed before anything runs: the catalog (with scarce
skus), the batches of checkouts with their tokens, items and repeats, one fault plan per batch covering every
step and compensation of both sagas, the deliveries restocked during each batch, the race, and which finished
steps are delivered again.

The same seed gives the same scenario. What it cannot fix: whether a fault fires inside a Lambda (drawn
there, unseeded), and so which sagas fail, and the timing of concurrent sagas."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

from checkout_saga.models import StepName

# Weights: most cards pay; the flaky one pays through retries; two kinds of declines compensate.
TOKENS = {"tok_visa": 3, "tok_flaky": 1, "tok_declined": 1, "tok_insufficient_funds": 1}
Repeat = Literal["", "after", "together"]  # the same Idempotency-Key again: after the answer, or concurrently

# Fixed phases after the random batches (not drawn: they must happen in every run).
# Pivot: ConfirmOrder takes effect and then keeps failing, and the first undo keeps failing too: a CONFIRMED
# order must stay CONFIRMED (the saga has passed its pivot), nothing may be undone.
PIVOT_PLAN = {"ConfirmOrder": {"mode": "transient", "rate": 1.0}, "RefundPayment": {"mode": "fail", "rate": 1.0}}
# Stuck: every compensation keeps failing; each saga enters the undo at another point and ends
# COMPENSATION_FAILED holding something different; they are resumed once the plan is cleared.
STUCK_PLAN = {
    "ChargePayment": {"mode": "transient", "rate": 1.0},  # captured, then the answer is lost every time
    "RefundPayment": {"mode": "fail", "rate": 1.0},
    "ReleaseStock": {"mode": "fail", "rate": 1.0},
    "CancelOrder": {"mode": "fail", "rate": 1.0},
}


@dataclass(frozen=True)
class ProductSpec:
    key: str  # the sku without the run's prefix
    price_cents: int
    initial: int
    scarce: bool


@dataclass(frozen=True)
class CheckoutSpec:
    number: int
    customer_id: str
    items: tuple[tuple[str, int], ...]  # (product key, quantity)
    token: str
    repeat: Repeat = ""
    watch: bool = False  # deliver each of its steps a second time while the saga runs


@dataclass(frozen=True)
class BatchSpec:
    faults: dict[str, dict[str, Any]]
    checkouts: tuple[CheckoutSpec, ...]
    restocks: tuple[tuple[str, int], ...] = ()  # (product key, units added) while the batch runs


@dataclass(frozen=True)
class ChaosOptions:
    sagas: int
    seed: int
    concurrency: int = 8
    batch_size: int = 100  # a new fault plan every batch
    fault_rates: tuple[float, float] = (0.05, 0.2)
    repeat_share: float = 0.1
    watch_share: float = 0.1
    redeliveries: int | None = None  # finished steps delivered again; default max(10, sagas // 20)
    race_buyers: int = 16
    race_units: int = 5
    race_shards: int = 4  # the raced sku is a hot product: its few units split over shards (docs/scale.md)
    saga_timeout: float = 300.0  # the bound within which every saga must end
    coordination: str = "orchestration"  # or "choreography" (docs/choreography.md)
    workflow: str = "STANDARD"  # the checkout state machine's type: EXPRESS runs on a stack deployed as one
    duplicate_rate: float = 0.3  # EXPRESS: the share of executions the local cloud runs twice (docs/scale.md)


@dataclass(frozen=True)
class Scenario:
    options: ChaosOptions
    products: tuple[ProductSpec, ...]
    batches: tuple[BatchSpec, ...]
    race_key: str
    redeliveries: tuple[tuple[int, int], ...] = field(default=())  # (checkout number, pick among its steps)

    @property
    def checkouts(self) -> list[CheckoutSpec]:
        return [checkout for batch in self.batches for checkout in batch.checkouts]


def make_scenario(options: ChaosOptions) -> Scenario:
    rng = random.Random(options.seed)
    products = _catalog(rng, options.sagas)
    plentiful = [p.key for p in products if not p.scarce]
    scarce = [p.key for p in products if p.scarce]
    offsets = {step: rng.randrange(2) for step in StepName}  # each step alternates modes from batch to batch
    batches = []
    for number, start in enumerate(range(0, options.sagas, options.batch_size)):
        count = min(options.batch_size, options.sagas - start)
        faults = {
            step.value: {
                "mode": ("fail", "transient")[(number + offsets[step]) % 2],
                "rate": round(rng.uniform(*options.fault_rates), 2),
            }
            for step in StepName
        }
        checkouts = tuple(_checkout(rng, start + i, plentiful, scarce, options) for i in range(count))
        last = start + count >= options.sagas
        restocks = () if last else tuple((key, rng.randint(1, 3)) for key in scarce if rng.random() < 0.5)
        batches.append(BatchSpec(faults, checkouts, restocks))
    count = options.redeliveries if options.redeliveries is not None else max(10, options.sagas // 20)
    chosen = rng.sample(range(options.sagas), min(count, options.sagas))
    return Scenario(
        options=options,
        products=products,
        batches=tuple(batches),
        race_key="RACE",
        redeliveries=tuple((number, rng.randrange(1000)) for number in chosen),
    )


def _catalog(rng: random.Random, sagas: int) -> tuple[ProductSpec, ...]:
    """Four plentiful skus (some may still run out late) and two scarce ones: fewer units than buyers."""
    plentiful = [
        ProductSpec(f"P{i}", rng.randint(100, 9999), rng.randint(sagas // 3, sagas // 2) + 10, False) for i in range(4)
    ]
    scarce = [ProductSpec(f"S{i}", rng.randint(100, 9999), max(2, sagas // 40), True) for i in range(2)]
    return (*plentiful, *scarce)


def _checkout(
    rng: random.Random, number: int, plentiful: list[str], scarce: list[str], options: ChaosOptions
) -> CheckoutSpec:
    keys = rng.sample(plentiful, rng.randint(1, 2)) + (rng.sample(scarce, 1) if rng.random() < 0.3 else [])
    draw = rng.random()
    repeat: Repeat = (
        "" if draw >= options.repeat_share else ("after" if draw < options.repeat_share / 2 else "together")
    )
    return CheckoutSpec(
        number=number,
        customer_id=f"c-{rng.randint(1, 50)}",
        items=tuple((key, rng.randint(1, 3)) for key in keys),
        token=rng.choices(list(TOKENS), weights=list(TOKENS.values()))[0],
        repeat=repeat,
        watch=rng.random() < options.watch_share,
    )
