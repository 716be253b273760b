"""The local API Gateway's token bucket (stage throttling), with the clock given."""

from __future__ import annotations

from local_cloud.apigateway.stage_throttle import TokenBucket


def test_the_bucket_lets_a_burst_through_then_the_steady_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, updated=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(100.4) is False  # 0.8 of a token
    assert bucket.take(100.5) is True  # 1 token after half a second at 2/s
    assert [bucket.take(110.0) for _ in range(4)] == [True, True, True, False]  # refills to the burst, no more


def test_a_burst_of_zero_refuses_everything() -> None:
    bucket = TokenBucket(rate=100.0, burst=0, updated=0.0)
    assert not any(bucket.take(float(second)) for second in range(5))
