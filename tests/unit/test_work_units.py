"""How `make test` hands the suite's units to its xdist workers (tests/conftest.py)."""

from tests.conftest import e2e_workers, may_run, work_unit

CHAOS = "tests/e2e/test_chaos_small.py::test_a_chaos_round_keeps_every_invariant[choreography]"
SHARED = "tests/e2e/test_operator_e2e.py::test_x"
IN_PROCESS = "tests/statemachine/test_saga_paths.py::test_x"


def test_half_the_workers_run_the_end_to_end_units_and_every_worker_the_others() -> None:
    assert [e2e_workers(n) for n in (1, 2, 3, 4, 6)] == [1, 1, 1, 2, 3]
    assert (work_unit(CHAOS), work_unit(SHARED), work_unit(IN_PROCESS)) == (
        "tests/e2e/test_chaos_small.py[choreography]",
        "e2e-slow-retry-stack",
        "statemachine-checkouts",
    )
    assert [may_run(f"gw{i}", [CHAOS], 4) for i in range(4)] == [True, True, False, False]
    assert [may_run(f"gw{i}", [SHARED], 4) for i in range(4)] == [True, True, False, False]
    assert all(may_run(f"gw{i}", [IN_PROCESS], 4) for i in range(4))
    assert may_run("gw0", [CHAOS], 1)
    assert may_run("gw4", [CHAOS], 4)  # a worker that replaced a crashed one
