"""What the stack's code consumes of the billed dimensions, counted by the local cloud as it serves it:
DynamoDB requests and capacity units per caller and operation, Lambda requests and billed duration per
function, Express workflows' executions and billed duration per state machine. ``make bench`` reads the totals
from the health endpoint before and after a phase and turns the difference into a cost (saga_client.bench_cost).

A caller is named as AWS would show it in CloudTrail: the session name of an assumed role (the local cloud
names a Lambda's session after its function), ``admin`` for the account's own keys.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class _DynamoDBCounts:
    requests: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    throttled: int = 0  # refused for a partition's throughput: not billed, not counted in `requests`


@dataclass
class _LambdaCounts:
    requests: int = 0
    billed_ms: int = 0
    gb_seconds: float = 0.0
    memory_mb: int = 0


# Step Functions bills an Express execution's duration rounded up to the next 100 ms, at its memory rounded up to
# 64 MB steps: a saga's state is a few KB, so the first step.
EXPRESS_BILLING_STEP_MS = 100
EXPRESS_BILLED_MEMORY_MB = 64


@dataclass
class _ExpressCounts:
    executions: int = 0
    billed_ms: int = 0
    gb_seconds: float = 0.0


class UsageMeter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dynamodb: dict[tuple[str, str], _DynamoDBCounts] = {}
        self._lambda: dict[str, _LambdaCounts] = {}
        self._express: dict[str, _ExpressCounts] = {}

    def add_dynamodb(self, caller: str, operation: str, read_units: float, write_units: float) -> None:
        with self._lock:
            counts = self._dynamodb.setdefault((caller, operation), _DynamoDBCounts())
            counts.requests += 1
            counts.read_units += read_units
            counts.write_units += write_units

    def add_dynamodb_throttle(self, caller: str, operation: str) -> None:
        with self._lock:
            self._dynamodb.setdefault((caller, operation), _DynamoDBCounts()).throttled += 1

    def add_lambda(self, function_name: str, duration_ms: float, memory_mb: int) -> None:
        """One invocation; Lambda bills its duration rounded up to the millisecond."""
        billed = max(1, math.ceil(duration_ms))
        with self._lock:
            counts = self._lambda.setdefault(function_name, _LambdaCounts())
            counts.requests += 1
            counts.billed_ms += billed
            counts.gb_seconds += memory_mb / 1024 * billed / 1000
            counts.memory_mb = memory_mb

    def add_express_execution(self, state_machine: str, duration_ms: float) -> None:
        """One Express execution ended (whatever its status: AWS bills a failed one too)."""
        step = EXPRESS_BILLING_STEP_MS
        billed = max(step, math.ceil(duration_ms / step) * step)
        with self._lock:
            counts = self._express.setdefault(state_machine, _ExpressCounts())
            counts.executions += 1
            counts.billed_ms += billed
            counts.gb_seconds += EXPRESS_BILLED_MEMORY_MB / 1024 * billed / 1000

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "dynamodb": [
                    {
                        "caller": caller,
                        "operation": operation,
                        "requests": counts.requests,
                        "readUnits": counts.read_units,
                        "writeUnits": counts.write_units,
                        "throttled": counts.throttled,
                    }
                    for (caller, operation), counts in sorted(self._dynamodb.items())
                ],
                "lambda": [
                    {
                        "function": name,
                        "requests": counts.requests,
                        "billedMs": counts.billed_ms,
                        "gbSeconds": counts.gb_seconds,
                        "memoryMb": counts.memory_mb,
                    }
                    for name, counts in sorted(self._lambda.items())
                ],
                "express": [
                    {
                        "stateMachine": name,
                        "executions": counts.executions,
                        "billedMs": counts.billed_ms,
                        "gbSeconds": counts.gb_seconds,
                    }
                    for name, counts in sorted(self._express.items())
                ],
            }


USAGE = UsageMeter()
