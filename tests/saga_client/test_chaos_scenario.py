"""The chaos run's scenario is drawn from its seed alone, and covers what docs/chaos.md describes."""

from checkout_saga.models import StepName
from saga_client.chaos_scenario import ChaosOptions, make_scenario


def test_the_same_seed_gives_the_same_scenario_and_another_seed_another():
    options = ChaosOptions(sagas=120, seed=42, batch_size=40)

    assert make_scenario(options) == make_scenario(options)
    assert make_scenario(options) != make_scenario(ChaosOptions(sagas=120, seed=43, batch_size=40))


def test_every_plan_covers_every_step_and_each_step_meets_both_modes():
    scenario = make_scenario(ChaosOptions(sagas=30, seed=7, batch_size=10, fault_rates=(0.2, 0.4)))

    assert len(scenario.batches) == 3
    for batch in scenario.batches:
        assert set(batch.faults) == {step.value for step in StepName}
        assert all(0.2 <= spec["rate"] <= 0.4 for spec in batch.faults.values())
    for step in StepName:
        assert {batch.faults[step.value]["mode"] for batch in scenario.batches} == {"fail", "transient"}


def test_scarce_skus_have_fewer_units_than_buyers_and_are_restocked_between_batches_only():
    scenario = make_scenario(ChaosOptions(sagas=1000, seed=42))
    scarce = {p.key: p.initial for p in scenario.products if p.scarce}
    buyers = {key: sum(1 for c in scenario.checkouts if key in dict(c.items)) for key in scarce}

    assert scarce
    assert all(scarce[key] < buyers[key] for key in scarce)
    assert scenario.batches[-1].restocks == ()
    assert any(batch.restocks for batch in scenario.batches)


def test_the_scenario_repeats_requests_watches_sagas_and_picks_steps_to_deliver_again():
    scenario = make_scenario(ChaosOptions(sagas=1000, seed=42))
    checkouts = scenario.checkouts

    assert [c.number for c in checkouts] == list(range(1000))
    assert {c.repeat for c in checkouts} == {"", "after", "together"}
    assert 50 < sum(c.watch for c in checkouts) < 150
    assert {c.token for c in checkouts} == {"tok_visa", "tok_flaky", "tok_declined", "tok_insufficient_funds"}
    assert len(scenario.redeliveries) == 50
