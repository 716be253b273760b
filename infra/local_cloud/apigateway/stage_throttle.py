"""API Gateway's stage throttling: a token bucket per stage and method setting, as AWS applies it.

A stage's method settings (`MethodSettings` in the template; moto keeps them as `stage.method_settings`, keyed
`"*/*"` for every method or `"<resource path, / as ~1>/<METHOD>"` for one) give a steady rate (requests per second)
and a burst (the bucket's size). A request takes one token; with none left the answer is AWS's
`429 {"message": "Too Many Requests"}` and the function does not run. A burst of 0 refuses every request,
as on AWS. A stage without throttling settings is not limited here (AWS's account-level limit of
10,000 requests per second is not modelled).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

ALL_METHODS = "*/*"


@dataclass
class TokenBucket:
    rate: float  # tokens added per second
    burst: int  # the bucket's size
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def _limits(settings: Any) -> tuple[float, int] | None:
    if not isinstance(settings, dict):
        return None
    rate, burst = settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit")
    if rate is None or burst is None:
        return None
    return float(rate), int(burst)


class StageThrottle:
    """The buckets of every stage this server serves; thread-safe (the server answers requests in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def admit(self, api_id: str, stage: Any, resource_path: str, method: str) -> bool:
        """Whether a request to `method resource_path` of the stage may go on (it takes a token if so)."""
        settings = getattr(stage, "method_settings", None) or {}
        key = f"{resource_path.replace('/', '~1')}/{method}"
        if _limits(settings.get(key)) is None:
            key = ALL_METHODS
        limits = _limits(settings.get(key))
        if limits is None:
            return True
        rate, burst = limits
        bucket_key = (api_id, str(stage.name), key)
        with self._lock:
            bucket = self._buckets.get(bucket_key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):  # new, or the limits changed
                bucket = self._buckets[bucket_key] = TokenBucket(rate, burst)
            return bucket.take(time.monotonic())
