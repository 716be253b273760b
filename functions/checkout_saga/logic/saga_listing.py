"""GET /sagas: one page of the sagas of one kind (checkouts or returns) in a status, newest first, with an opaque
token for the next page."""

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from checkout_saga.dal.interfaces import PageKey, SagaLogRepository
from checkout_saga.logic.page_tokens import BadPageToken, Page, decode_token, encode_token
from checkout_saga.models import CamelModel, OrderId, SagaRecord, SagaStatus

_ISO_UTC = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
Timestamp = Annotated[str, StringConstraints(pattern=_ISO_UTC)]


class _PageKey(CamelModel):
    model_config = ConfigDict(extra="forbid", alias_generator=None)

    sagaId: OrderId
    status: str
    startedAt: Timestamp


def list_sagas(status: SagaStatus, limit: int, token: str | None, saga_log: SagaLogRepository) -> Page[SagaRecord]:
    """`saga_log`: the log of the kind of saga listed (the checkouts' or the returns')."""
    start = decode_saga_token(token, status) if token else None
    records, last_key = saga_log.list_by_status(status, limit, start)
    return Page(records, encode_token(last_key) if last_key else None)


def decode_saga_token(token: str, status: SagaStatus) -> PageKey:
    key = decode_token(token, _PageKey)
    if key.status != status.value:
        raise BadPageToken(f"the token continues a listing of {key.status}, not of {status.value}")
    return {"sagaId": key.sagaId, "status": key.status, "startedAt": key.startedAt}
