"""SQS reads the clock as a number, not through a datetime.

moto 5.2.5's SQS asks ``unix_time()`` or ``unix_time_millis()`` the time several times per message it receives
(visible? delayed? when first received, until when invisible), and each builds today's datetime and the epoch's,
then subtracts them: some 6 µs a call where ``time.time()`` takes a tenth of one. The seam answers the calls that
ask for now with ``time.time()``, the same number; a call that passes a datetime still goes to moto.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from local_cloud.seams import Installation, replace, require_signature


def install() -> Installation:
    import moto.sqs.models as sqs_models
    from moto.core import utils

    require_signature(utils.unix_time, ["dt"], "moto.core.utils.unix_time")
    require_signature(utils.unix_time_millis, ["dt"], "moto.core.utils.unix_time_millis")
    return Installation(
        [
            replace(sqs_models, "unix_time", _now(utils.unix_time, 1.0)),
            replace(sqs_models, "unix_time_millis", _now(utils.unix_time_millis, 1000.0)),
        ]
    )


def _now(original: Callable[[datetime.datetime | None], float], scale: float) -> Callable[..., float]:
    def clock(dt: datetime.datetime | None = None) -> float:
        return time.time() * scale if dt is None else original(dt)

    return clock
