"""Step Functions' Retry waits, shortened for the in-process suites.

moto's interpreter waits out a Retry's interval with `time.sleep` in the execution's thread, so a test of a step
that keeps failing waits a real second per attempt (IntervalSeconds cannot go below 1). The suites that run the
template in process divide that wait: every Retry still happens, in the same order, after a wait, only sooner. The
seam is the `time` module as `retrier_decl` sees it, the only caller of sleep there; the rest of the interpreter
keeps real time."""

from __future__ import annotations

import time
import types

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from local_cloud.seams import Installation, SeamChanged, replace, require_source

__all__ = ["SeamChanged", "shortened"]


def shortened(divisor: float) -> Installation:
    """Every Retry wait of moto's interpreter in this process lasts `1 / divisor` of its interval."""
    require_source(retrier_decl.RetrierDecl._eval_body, ["time.sleep(interval_seconds)"], "RetrierDecl._eval_body")
    shortened_time = types.SimpleNamespace(sleep=lambda seconds: _wait(seconds / divisor))
    return Installation([replace(retrier_decl, "time", shortened_time)])


def _wait(seconds: float) -> None:
    time.sleep(seconds)
