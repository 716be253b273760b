"""`Idempotency-Key` for POST /checkout and POST /orders/{orderId}/returns, with powertools' idempotency
utility on IDEMPOTENCY_TABLE.

The first request with a key runs and its answer is stored; a later one with the same key and the same
body gets that answer back without running anything (no second saga); the same key with another body
raises IdempotencyValidationError. If the run fails, the key is released (nothing is stored for it), so the
saga it may have started already is found by its name instead: see `saga_id_of`."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from checkout_saga.handlers.api_routes.errors import Conflict

KEY_TTL_SECONDS = 24 * 60 * 60  # how long a key is remembered
Answer = dict[str, Any]


def run_once(
    store: BasePersistenceLayer,
    key: str,
    body: dict[str, Any],
    run: Callable[[], Answer],
    lambda_context: Any,
    key_prefix: str = "checkout",
) -> Answer:
    """`key_prefix` keeps each route's keys apart (the same key on checkout and on a return are two requests)."""
    config = IdempotencyConfig(
        event_key_jmespath="idempotencyKey",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=KEY_TTL_SECONDS,
    )
    if hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)  # a key left in progress by a timed-out call frees itself
    once = idempotent_function(
        _run, data_keyword_argument="request", persistence_store=store, config=config, key_prefix=key_prefix
    )
    return once(request={"idempotencyKey": key, "body": body}, run=run)  # type: ignore[no-any-return]


def answer_once(
    store: BasePersistenceLayer,
    key: str | None,
    body: dict[str, Any],
    run: Callable[[], Answer],
    lambda_context: Any,
    key_prefix: str,
) -> Answer:
    """`run` once per key and body (every time without a key); a key reused with another body, or still in
    progress, is the client's conflict (409)."""
    if key is None:
        return run()
    try:
        return run_once(store, key, body, run, lambda_context, key_prefix=key_prefix)
    except IdempotencyValidationError as exc:
        raise Conflict("this Idempotency-Key was already used with a different body") from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly") from exc


def saga_id_of(key_prefix: str, key: str | None, body: dict[str, Any]) -> str | None:
    """The id a keyed request names its saga by (32 hex digits, as a new id): the same caller, key and body always
    give the same one. A call that failed or timed out after it had started the saga leaves no answer behind, so
    the client's retry runs again; with this id it starts the same execution name (or writes the same
    CheckoutRequested event) and finds that saga, where a new id would start a second one. None without a key."""
    if key is None:
        return None
    request = json.dumps([key_prefix, key, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(request.encode()).hexdigest()[:32]


def _run(request: dict[str, Any], run: Callable[[], Answer]) -> Answer:
    """`request` is what the key and the body are read from; `run` does the work."""
    return run()
