"""How `make test` hands the suite's units to its xdist workers (tests/conftest.py)."""

from tests.conftest import e2e_workers, may_run, work_unit


def test_half_the_workers_run_the_end_to_end_units_and_every_worker_the_others() -> None:
    assert [e2e_workers(n) for n in (1, 2, 3, 4, 6)] == [1, 1, 1, 2, 3]
    chaos = work_unit("tests/e2e/test_chaos_small.py::test_a_chaos_round_keeps_every_invariant[choreography]")
    shared = work_unit("tests/e2e/test_operator_e2e.py::test_x")
    in_process = work_unit("tests/statemachine/test_saga_paths.py::test_x")

    assert (chaos, shared, in_process) == (
        "tests/e2e/test_chaos_small.py[choreography]",
        "e2e-slow-retry-stack",
        "statemachine-checkouts",
    )
    assert [may_run(f"gw{i}", chaos, 4) for i in range(4)] == [True, True, False, False]
    assert [may_run(f"gw{i}", shared, 4) for i in range(4)] == [True, True, False, False]
    assert all(may_run(f"gw{i}", in_process, 4) for i in range(4))
    assert may_run("gw0", chaos, 1)
    assert may_run("gw4", chaos, 4)  # a worker that replaced a crashed one
