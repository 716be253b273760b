"""What the local cloud keeps per service (local_cloud/stored.py): the health document gives it when asked, and it
grows with the data a service stores, on that service's line only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from local_cloud.netutil import health
from local_cloud.server import LocalCloud
from local_cloud.stored import SERVICES


def _stored(cloud: LocalCloud) -> dict[str, int]:
    document = health(urlsplit(cloud.endpoint_url).hostname or "127.0.0.1", cloud.port, 60, stored=True)
    assert document is not None
    return dict(document["storedBytes"])


def test_the_health_document_gives_the_stored_bytes_only_when_asked(cloud: LocalCloud) -> None:
    plain = health(urlsplit(cloud.endpoint_url).hostname or "127.0.0.1", cloud.port)

    assert plain is not None
    assert "storedBytes" not in plain
    assert set(_stored(cloud)) == set(SERVICES)


def test_items_put_in_a_table_are_counted_for_dynamodb_alone(cloud: LocalCloud, aws: Callable[[str], Any]) -> None:
    dynamodb = aws("dynamodb")
    table = f"stored-{uuid.uuid4().hex[:6]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    before = _stored(cloud)

    for number in range(200):
        dynamodb.put_item(TableName=table, Item={"k": {"S": f"item-{number}"}, "v": {"S": "x" * 1000}})
    after = _stored(cloud)

    grown = {service: after[service] - before[service] for service in SERVICES}
    assert grown["dynamodb"] > 200 * 1000  # each item's 1,000 characters, and moto's objects around them
    assert all(abs(grown[service]) < 50_000 for service in SERVICES if service != "dynamodb"), grown
