"""The simulated payment provider, with the test tokens of CONTRACT §5."""

from checkout_saga.errors import InsufficientFunds, PaymentDeclined, PaymentProviderUnavailable

FLAKY_FAILURES = 2  # tok_flaky fails this many attempts, then is approved


def charge(token: str, amount_cents: int, attempt: int) -> None:
    """Return if approved; raise a decline (final) or PaymentProviderUnavailable (worth retrying).
    `attempt` counts the calls made for this order, 1 for the first."""
    if token == "tok_visa":
        return
    if token == "tok_flaky":
        if attempt <= FLAKY_FAILURES:
            raise PaymentProviderUnavailable(f"provider timed out (attempt {attempt} of a flaky card)")
        return
    if token == "tok_declined":
        raise PaymentDeclined(f"card declined for {amount_cents} cents")
    if token == "tok_insufficient_funds":
        raise InsufficientFunds(f"insufficient funds for {amount_cents} cents")
    raise PaymentDeclined(f"unknown payment token {token!r}")
