"""EventBridge schedules, run: moto stores a rule's ``ScheduleExpression`` but never fires it.

``ScheduleRunner`` looks at every enabled rule with a ``rate(...)`` expression (cron expressions are not run:
logged once) and, each period after it first saw the rule, invokes each Lambda target asynchronously with the
``Scheduled Event`` EventBridge sends, if the function's resource policy lets ``events.amazonaws.com`` invoke
it for that rule (the AWS::Lambda::Permission SAM adds), as on AWS. A clock can be injected for tests.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local_cloud.iam.policies import resource_policy_allows
from local_cloud.iam.resources import function_arn as invoked_arn
from local_cloud.periodic import Periodic

_log = logging.getLogger(__name__)
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def period_seconds(expression: str) -> int | None:
    """rate(5 minutes) -> 300; None for what is not a rate expression."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_event(rule_arn: str, account: str, region: str, now: float) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


Fire = Callable[[str, str, str, dict[str, Any]], None]  # (account, region, function ARN, event)


class ScheduleRunner(Periodic):
    def __init__(self, fire: Fire | None = None, clock: Callable[[], float] = time.time, tick: float = 1.0) -> None:
        super().__init__(period=tick, name="schedules")
        self._fire = fire or _invoke_async
        self._clock = clock
        self._next: dict[str, float] = {}
        self._warned: set[str] = set()

    def run_once(self) -> list[str]:
        return self.run_due()

    def run_due(self) -> list[str]:
        """Fire every schedule that is due; the ARNs of the rules fired."""
        from moto.events.models import events_backends

        now, fired = self._clock(), []
        for account, regions in list(events_backends.items()):
            for region, backend in list(regions.items()):
                for bus in list(backend.event_buses.values()):
                    for rule in list(bus.rules.values()):
                        if self._due(rule, now):
                            fired.append(rule.arn)
                            for target in rule.targets:
                                if ":lambda:" in target["Arn"]:
                                    self._fire(
                                        account, region, target["Arn"], scheduled_event(rule.arn, account, region, now)
                                    )
        return fired

    def _due(self, rule: Any, now: float) -> bool:
        expression = getattr(rule, "scheduled_expression", None)
        if not expression or rule.state != "ENABLED":
            return False
        period = period_seconds(expression)
        if period is None:
            if rule.arn not in self._warned:
                self._warned.add(rule.arn)
                _log.warning("rule %s: only rate() schedules run on the local cloud, not %s", rule.arn, expression)
            return False
        due = self._next.setdefault(rule.arn, now + period)
        if now < due:
            return False
        self._next[rule.arn] = now + period
        return True


def _invoke_async(account: str, region: str, function_arn: str, event: dict[str, Any]) -> None:
    from moto.awslambda.utils import get_backend

    backend = get_backend(account, region)
    try:
        function = backend.get_function(function_arn)
        statements = list(function.policy.statements) if function.policy else []
    except Exception as exc:
        _log.warning("schedule target %s: %s", function_arn, exc)
        return
    rule_arn = event["resources"][0]
    if not resource_policy_allows(
        statements,
        service="events.amazonaws.com",
        action="lambda:InvokeFunction",
        source_arn=rule_arn,
        source_account=account,
        resource=invoked_arn(function_arn, region, account),  # the alias, when the target names it
    ):
        _log.warning("rule %s may not invoke %s (no resource policy allows it)", rule_arn, function_arn)
        return
    threading.Thread(
        target=backend.invoke,
        args=(function_arn, None, json.dumps(event), {"x-amz-invocation-type": "Event"}, {}),
        name="scheduled-invoke",
        daemon=True,
    ).start()
