"""The simulator over today's code: schedules replay exactly from their seed, a few seeds break no invariant, the
ASL walker follows the state machines' own Retry and Catch, and the checker flags a saga that ended twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from checkout_saga import observability
from checkout_saga.handlers import dependencies
from local_cloud.usage_meter import USAGE
from saga_client.invariants import OrderFacts
from simulator import asl
from simulator.check import ended_once
from simulator.explore import explore, replay
from simulator.measure import measure, seed_range
from simulator.simulation import ASL_PARAMETERS, prepared_world
from simulator.world import TABLE_VARIABLES, World


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with prepared_world() as prepared:
        yield prepared


@pytest.mark.slow  # whole schedules of several sagas, seconds each: make test, not test-fast
def test_a_seed_replays_the_same_schedule_and_data(world: World) -> None:
    first, drawn = replay(world, 7)
    again, drawn_again = replay(world, 7)
    assert first.trace == again.trace
    assert drawn == drawn_again
    assert [o.history for o in first.snapshot.orders] == [o.history for o in again.snapshot.orders]
    assert first.snapshot.available == again.snapshot.available
    assert len(first.snapshot.orders) >= 3  # 3 to 5 sagas per schedule


@pytest.mark.slow  # whole schedules of several sagas, seconds each: make test, not test-fast
@pytest.mark.parametrize("seed", [1, 2])
def test_todays_code_breaks_no_invariant(world: World, seed: int) -> None:
    outcome, _ = replay(world, seed)
    assert outcome.violations == []
    assert all(order.status in ("CONFIRMED", "CANCELLED", "COMPENSATION_FAILED") for order in outcome.snapshot.orders)
    # Nothing counted is left in the process's shared metric set, to print in a later real handler's flush.
    assert not observability.metrics.metric_set


def test_the_walker_retries_then_catches_as_the_asl_says() -> None:
    machine = asl.load("checkout", ASL_PARAMETERS)
    called: list[tuple[str, int]] = []

    def invoke(step: str, document: dict[str, object], attempt: int) -> dict[str, object]:
        called.append((step, attempt))
        if step == "ConfirmOrder":
            raise asl.TaskFailed("States.Timeout")
        if step == "RefundPayment":
            raise asl.TaskFailed("OrderConfirmed")  # the pivot was passed: no retry, the saga succeeded
        return dict(document)

    ending = asl.run(machine, {"orderId": "o-1", "items": [], "paymentToken": "t"}, "o-1", invoke)
    confirm_attempts = 1 + int(ASL_PARAMETERS["StepMaxAttempts"])
    assert called[3:] == [("ConfirmOrder", n) for n in range(1, confirm_attempts + 1)] + [("RefundPayment", 1)]
    assert ending.state == "CheckoutSucceeded"


def test_the_checker_flags_a_saga_that_ended_twice() -> None:
    ended_twice = OrderFacts("o-1", "CANCELLED", history=("ORDER_CREATED", "COMPENSATION_FAILED", "CANCELLED"))
    assert ended_once(ended_twice, ["CompensationFailed"]) == [
        "7: order o-1 ended 2 times: ['COMPENSATION_FAILED', 'CANCELLED']",
        "7: order o-1's execution ended in CompensationFailed but the order is CANCELLED",
    ]
    resumed = OrderFacts("o-2", "CANCELLED", history=("COMPENSATION_FAILED", "CANCELLED"), resumed=True)
    assert ended_once(resumed, ["CompensationFailed", "CheckoutCancelled"]) == []


@pytest.mark.slow
def test_a_fixed_budget_of_new_schedules_breaks_no_invariant(world: World) -> None:
    """What `make test` explores: seeds from 1, at most 24 of them, within 30 s (fixed seeds, so that a failure here
    is the code's, not the clock's or the machine's speed; `make simulate BUDGET=...` explores new ones)."""
    count, failure = explore(world, 1, budget=30, most=24)
    assert failure is None, f"seed {failure.seed}: {failure.outcome.violations}" if failure else ""
    assert count >= 1


def test_the_transport_answers_through_moto_and_bills_nothing(world: World) -> None:
    """A DynamoDB call answered in process is moto's answer as its server gives it (a refused condition is the
    modeled error, with the item when asked), and the simulator meters no usage."""
    client = dependencies.aws_client("dynamodb")
    table = TABLE_VARIABLES["ORDERS_TABLE"]
    item = {"orderId": {"S": "transport-check"}, "status": {"S": "PENDING"}}
    billed = USAGE.snapshot()
    client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(orderId)")
    with pytest.raises(ClientError) as refused:
        client.put_item(
            TableName=table,
            Item={**item, "status": {"S": "CONFIRMED"}},
            ConditionExpression="attribute_not_exists(orderId)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert refused.value.response["Item"] == item
    assert client.get_item(TableName=table, Key={"orderId": item["orderId"]})["Item"] == item
    assert USAGE.snapshot() == billed


def test_a_measure_counts_only_the_seeds_timed_after_its_warm_up(world: World) -> None:
    """`python -m simulator --measure 1-2` (docs/simulation.md, "Throughput"): the figure covers seeds 1 and 2, the
    same schedules `--seed` prints, and the warm-up's schedule is not in it."""
    assert seed_range("1-16") == range(1, 17)
    assert seed_range("5") == range(5, 6)
    throughput = measure(world, range(1, 3))
    replayed = [replay(world, seed)[0] for seed in (1, 2)]
    assert throughput.schedules == 2
    assert throughput.calls == sum(len(outcome.trace) for outcome in replayed)
    assert throughput.violations == 0
    assert throughput.cpu_seconds > 0
    assert str(throughput).startswith("measure: 2 schedules, ")
