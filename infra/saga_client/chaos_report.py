"""The chaos run's summary table (stdout of `make chaos`)."""

from __future__ import annotations

from collections import Counter

from checkout_saga.models import StepName
from saga_client.chaos import ChaosReport
from saga_client.histories import INJECTED

STATUSES = ("CONFIRMED", "CANCELLED", "COMPENSATION_FAILED")
PHASES = ("random", "race", "pivot", "stuck")


def injected_steps(report: ChaosReport) -> set[str]:
    """The steps in which at least one injected fault fired (either mode)."""
    return {state for (state, error) in report.faults if error in INJECTED}


def render(report: ChaosReport) -> str:
    options = report.options
    runs = Counter(run.phase for run in report.runs)
    plans = -(-options.sagas // options.batch_size)
    lines = [
        f"Chaos run {report.run_id} (seed {options.seed}, {options.coordination}, {options.workflow} checkout): "
        + " + ".join(f"{runs[phase]} {phase}" for phase in PHASES)
        + f" sagas, concurrency {options.concurrency}, {plans} random fault plans + pivot + stuck; "
        f"wall time {report.seconds:.0f} s",
        "(the scenario follows the seed; whether a fault fires is drawn inside the Lambdas, unseeded)",
        "time per phase: " + ", ".join(f"{name} {spent:.0f} s" for name, spent in report.phase_seconds.items()),
        "",
        f"{'outcomes':<22}" + "".join(f"{status:>21}" for status in STATUSES),
    ]
    for phase in PHASES:
        lines.append(f"  {phase:<20}" + "".join(f"{report.outcomes[(phase, status)]:>21}" for status in STATUSES))
    others = {(p, s) for (p, s) in report.outcomes if s not in STATUSES}
    lines += [
        f"  {phase}: {count} {status}"
        for (phase, status), count in report.outcomes.items()
        if (phase, status) in others
    ]

    lines += ["", f"{'failed attempts by state':<26}{'fail':>6}{'transient':>11}{'retries':>9}  other errors"]
    states = [step.value for step in StepName] + sorted(
        {state for state, _ in report.faults} - {step.value for step in StepName}
    )
    for state in states:
        fail = report.faults[(state, "InjectedFailure")]
        transient = report.faults[(state, "TransientStepError")]
        other = ", ".join(
            f"{error} {count}"
            for (s, error), count in sorted(report.faults.items())
            if s == state and error not in INJECTED
        )
        lines.append(f"  {state:<24}{fail:>6}{transient:>11}{report.retries[state]:>9}  {other or '-'}")
    if options.workflow == "EXPRESS" and options.coordination != "choreography":
        lines.append(
            "  (the checkout's attempts are not counted: an Express execution has no history; the returns' are)"
        )
    hit = injected_steps(report)
    missing = sorted({step.value for step in StepName} - hit)
    lines.append(
        f"  injected faults fired in {len(hit & {s.value for s in StepName})}/{len(StepName)} steps"
        + (f" (none in {', '.join(missing)})" if missing else " (every forward step and compensation of both sagas)")
    )

    held = report.held_before_resume
    resumed = Counter(r.order_status for r in report.resumed)
    lines += [
        "",
        f"requests sent twice with one Idempotency-Key: {report.repeated_requests}"
        f" (and {report.retried_requests} sent again after a 5xx or a timeout;"
        f" GET /orders asked again after one: {report.retried_reads})",
        f"steps delivered twice: {report.redelivered_in_flight} while their saga ran, "
        f"{report.redelivered_after} after it had finished",
        f"scarce-stock race: {report.race}",
        "returns (of CONFIRMED orders, alongside the next batch): "
        + (", ".join(f"{count} {status}" for status, count in sorted(report.returns.items())) or "none"),
        *(f"  rejected: {cause}" for cause in report.rejections),
        "deliveries restocked while sagas ran: "
        + (", ".join(f"{sku} +{units}" for sku, units in sorted(report.restocked.items())) or "none"),
        f"lowest `available` seen while running: {min(report.lowest_seen.values(), default='n/a')}",
        f"COMPENSATION_FAILED before the resume: {len(held)}",
    ]
    if options.workflow == "EXPRESS" and options.coordination != "choreography":
        lines[-1:-1] = [
            f"executions run twice by the local cloud (Express runs at least once; rate {options.duplicate_rate}): "
            f"{report.duplicate_executions} (about half of them concurrently); an Express execution has no history, so "
            "no step is delivered again from one"
        ]
    if options.coordination == "choreography":
        lines[-1:-1] = [
            f"stalled sagas compensated (by their timer or the sweeper): {len(report.swept)}"
            + (f" ({', '.join(report.swept)})" if report.swept else ""),
            f"messages left in the dead-letter queues: {report.dead_letters}",
        ]
    lines += [f"  {h.order_id}: holds stock {h.units or '-'}, capture {h.captured_cents or '-'} cents" for h in held]
    lines.append(f"resumed: {len(report.resumed)} -> {dict(resumed) or '-'}")
    lines.append(
        f"read model: {report.read_model_sagas} sagas' projections checked against their histories, then rebuilt "
        "by a replay of the archive and compared (invariant 7)"
    )
    lines.append(
        f"invariant violations: {len(report.violations)} (before the resume: {len(report.violations_before_resume)})"
    )
    lines += [f"  - {violation}" for violation in report.violations]
    return "\n".join(lines)
