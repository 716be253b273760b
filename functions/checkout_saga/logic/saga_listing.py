"""GET /sagas: one page of the sagas in a status, newest first, with an opaque token for the next page.

The token is the storage's page key as base64url JSON. It comes back from the client, so it is checked
field by field before it reaches the storage: a bad token is the client's mistake (400), never a 500."""

import base64
import json
from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from checkout_saga.api_models import SagaPage, SagaSummary
from checkout_saga.dal.interfaces import PageKey, SagaLogRepository
from checkout_saga.models import CamelModel, OrderId, OrderStatus

_ISO_UTC = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
Timestamp = Annotated[str, StringConstraints(pattern=_ISO_UTC)]


class BadPageToken(ValueError):
    pass


class _PageKey(CamelModel):
    model_config = ConfigDict(extra="forbid", alias_generator=None)

    sagaId: OrderId
    status: OrderStatus
    startedAt: Timestamp


def list_sagas(status: OrderStatus, limit: int, token: str | None, saga_log: SagaLogRepository) -> SagaPage:
    start = decode_token(token, status) if token else None
    records, last_key = saga_log.list_by_status(status, limit, start)
    return SagaPage(
        items=[
            SagaSummary(
                saga_id=record.saga_id,
                status=record.status,
                state=record.state,
                started_at=record.started_at,
                updated_at=record.updated_at,
            )
            for record in records
        ],
        next=encode_token(last_key) if last_key else None,
    )


def encode_token(key: PageKey) -> str:
    document = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(document).rstrip(b"=").decode()


def decode_token(token: str, status: OrderStatus) -> PageKey:
    try:
        document = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        key = _PageKey.model_validate_json(document)
    except ValueError as exc:  # binascii.Error, pydantic's ValidationError: not base64, not JSON, not a key
        raise BadPageToken("not a token this API gave") from exc
    if key.status is not status:
        raise BadPageToken(f"the token continues a listing of {key.status.value}, not of {status.value}")
    return {"sagaId": key.sagaId, "status": key.status.value, "startedAt": key.startedAt}
