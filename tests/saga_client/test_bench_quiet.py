"""`make bench` judges its targets only on a quiet machine: it waits up to a minute for the load average to fall
below 1.0, and a run that stayed busy says so instead of `holds` or `MISSED`."""

import json
from typing import Any

from saga_client import bench
from saga_client.bench_quiet import wait_for_quiet
from saga_client.bench_targets import evaluate


class FakeMachine:
    def __init__(self, loads: list[float]) -> None:
        self.loads, self.now = loads, 0.0

    def loadavg(self) -> tuple[float, float, float]:
        load = self.loads.pop(0) if len(self.loads) > 1 else self.loads[0]
        return (load, load, load)

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_it_measures_as_soon_as_the_load_falls_below_one() -> None:
    machine = FakeMachine([2.4, 1.6, 0.9])
    quiet = wait_for_quiet(loadavg=machine.loadavg, sleep=machine.sleep, clock=lambda: machine.now)
    assert (quiet.quiet, quiet.load, quiet.waited_s) == (True, 0.9, 10.0)


def test_it_gives_up_after_a_minute_and_says_the_machine_was_busy() -> None:
    machine = FakeMachine([3.2])
    messages: list[str] = []
    quiet = wait_for_quiet(
        loadavg=machine.loadavg, sleep=machine.sleep, clock=lambda: machine.now, progress=messages.append
    )
    assert (quiet.quiet, quiet.load, quiet.waited_s) == (False, 3.2, 60.0)
    assert "below 1" in messages[0]


def _report(quiet: bool, load: float) -> dict[str, Any]:
    summary = {"count": 1, "p50": 10.0, "p95": 10.0}
    return {
        "conditions": {"quiet": {"quiet": quiet, "load": load, "waited_s": 60.0}},
        "sequential": {"e2e_ms": {"p95": 500.0}},
        "concurrent": {"concurrency": 8, "throughput": {"sagas_per_s": 30.0}},
        "lambda_runtime": {"warm_invoke_overhead_ms": summary},
        "orchestration": {"e2e_over_floor_p50": 1.2},
    }


def test_a_busy_run_judges_no_target() -> None:
    targets = evaluate(_report(quiet=False, load=2.5))
    assert {target["verdict"] for target in targets} == {"not measured: the machine was busy (load 2.50)"}
    assert {target["holds"] for target in targets} == {None}


def test_a_quiet_run_judges_every_target() -> None:
    verdicts = {target["name"]: target["verdict"] for target in evaluate(_report(quiet=True, load=0.4))}
    assert verdicts["p95 end-to-end, concurrency 1 (ms)"] == "MISSED"  # 500 ms against 60
    assert verdicts["throughput, concurrency 8 (sagas/s)"] == "holds"


def test_a_busy_run_exits_zero_and_says_why_or_three_when_strict(monkeypatch, tmp_path, capsys) -> None:
    report = _report(quiet=False, load=2.5)
    report["targets"] = evaluate(report)
    monkeypatch.setattr(bench, "run_bench", lambda _options: report)
    monkeypatch.setattr(bench, "render_table", lambda report: "table")
    path = tmp_path / "report.json"

    assert bench.main(bench.BenchOptions(port=0), path) == 0
    assert "not measured: the machine was busy (load 2.50)" in capsys.readouterr().err
    assert json.loads(path.read_text())["conditions"]["quiet"]["quiet"] is False
    assert bench.main(bench.BenchOptions(port=0), path, strict=True) == 3
