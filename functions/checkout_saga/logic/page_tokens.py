"""Opaque page tokens of the paged listings: the storage's page key as base64url JSON.

A token comes back from the client, so it is checked field by field (against the listing's own key model)
before it reaches the storage: a bad token is the client's mistake (400), never a 500."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from checkout_saga.dal.interfaces import PageKey

KeyT = TypeVar("KeyT", bound=BaseModel)
ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """One page of a listing, and the token to continue from (None: the last page)."""

    items: list[ItemT]
    next: str | None


class BadPageToken(ValueError):
    pass


def encode_token(key: PageKey) -> str:
    document = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(document).rstrip(b"=").decode()


def decode_token(token: str, model: type[KeyT]) -> KeyT:
    try:
        document = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        return model.model_validate_json(document)
    except ValueError as exc:  # binascii.Error, pydantic's ValidationError: not base64, not JSON, not a key
        raise BadPageToken("not a token this API gave") from exc
