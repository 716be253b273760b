"""The simulated payment provider, with the test tokens of docs/api.md.

A decline says no more than "declined": its text travels into the execution history, the order's saga failure
and the API's answer, so it never repeats the token or why a card was refused beyond the error's name."""

from checkout_saga.errors import InsufficientFunds, PaymentDeclined, PaymentProviderUnavailable

FLAKY_FAILURES = 2  # tok_flaky fails this many attempts, then is approved
DECLINED = "the payment was declined"


def charge(token: str, amount_cents: int, attempt: int, idempotency_key: str) -> None:
    """Return if approved; raise a decline (final) or PaymentProviderUnavailable (worth retrying).
    `attempt` counts the calls made for this order, 1 for the first. `idempotency_key` (the order id) is what a
    real provider deduplicates captures by, so that two executions of one saga (an Express workflow runs one at
    least once) reaching it before either recorded the outcome capture once; this simulation's answer depends
    on the token alone, the same for every call with the key."""
    if not idempotency_key:
        raise ValueError("a charge needs an idempotency key (the order id): without one a repeat would capture twice")
    if token == "tok_visa":
        return
    if token == "tok_flaky":
        if attempt <= FLAKY_FAILURES:
            raise PaymentProviderUnavailable(f"provider timed out (attempt {attempt} of a flaky card)")
        return
    if token == "tok_declined":
        raise PaymentDeclined(DECLINED)
    if token == "tok_insufficient_funds":
        raise InsufficientFunds(DECLINED)
    raise PaymentDeclined(DECLINED)  # an unknown token: the same answer, the token not repeated
