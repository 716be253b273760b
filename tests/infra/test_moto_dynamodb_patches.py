"""dynamodb.patches and dynamodb.gsi_index: each patch's seam is still where it was, and DynamoDB answers exactly as
moto does without it (same items, same errors, same pages), only faster; plus the atomicity the lock adds."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud.dynamodb import gsi_index
from local_cloud.dynamodb import patches as dynamodb_patches
from local_cloud.seams import is_ours

Client = Any
STATUSES = ("PENDING", "CONFIRMED", "CANCELLED")


def _create_saga_log(client: Client, name: str = "log") -> None:
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("sagaId", "status", "startedAt")],
        KeySchema=[{"AttributeName": "sagaId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byStatus",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "startedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@pytest.fixture
def ddb() -> Iterator[Client]:
    with mock_aws(), dynamodb_patches.install_all():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create_saga_log(client)
        client.create_table(
            TableName="stock",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        yield client


def _backend_table(name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables[name]


def test_every_patch_installs_and_uninstalls_cleanly() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    def current() -> list[Any]:
        return [
            DynamoHandler.__dict__["call_action"],
            DynamoDBBackend.transact_write_items,
            Table.query,
            DynamoResult.__dict__.get("execute_result"),
        ]

    before = current()
    with dynamodb_patches.install_all():
        assert all(p is not o for p, o in zip(current(), before, strict=True))
    assert current() == before


# -- 1 + 2: atomic requests, item-level transaction rollback -------------------------------------------


def _reserve(client: Client, order: str, quantity: int) -> None:
    client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "stock",
                    "Item": {"pk": {"S": f"RESERVATION#{order}"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": "stock",
                    "Key": {"pk": {"S": "PRODUCT#A"}},
                    "UpdateExpression": "SET available = available - :q",
                    "ConditionExpression": "available >= :q",
                    "ExpressionAttributeValues": {":q": {"N": str(quantity)}},
                }
            },
        ]
    )


def test_a_failed_transaction_undoes_its_writes_and_keeps_the_table(ddb: Client) -> None:
    ddb.put_item(TableName="stock", Item={"pk": {"S": "PRODUCT#A"}, "available": {"N": "1"}})
    table = _backend_table("stock")
    _reserve(ddb, "o-1", 1)
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        _reserve(ddb, "o-2", 1)  # its Put applied, then the Update's condition failed: the Put is undone
    assert _backend_table("stock") is table  # moto's own rollback swaps in a deep copy of the table
    assert "Item" not in ddb.get_item(TableName="stock", Key={"pk": {"S": "RESERVATION#o-2"}})
    assert "Item" in ddb.get_item(TableName="stock", Key={"pk": {"S": "RESERVATION#o-1"}})
    assert ddb.get_item(TableName="stock", Key={"pk": {"S": "PRODUCT#A"}})["Item"]["available"] == {"N": "0"}


def test_a_cancelled_transaction_leaves_no_stream_record(ddb: Client) -> None:
    ddb.update_table(TableName="stock", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ddb.put_item(TableName="stock", Item={"pk": {"S": "PRODUCT#A"}, "available": {"N": "1"}})
    shard = _backend_table("stock").stream_shard
    _reserve(ddb, "o-1", 1)
    streamed = [record.record["eventName"] for record in shard.items]

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        _reserve(ddb, "o-2", 1)  # moto wrote the Put before the Update's condition failed

    assert [record.record["eventName"] for record in shard.items] == streamed == ["INSERT", "INSERT", "MODIFY"]


def test_concurrent_conditional_transactions_never_oversell(ddb: Client) -> None:
    ddb.put_item(TableName="stock", Item={"pk": {"S": "PRODUCT#A"}, "available": {"N": "60"}})
    sold: list[str] = []

    def buyer(number: int) -> None:
        client = boto3.client("dynamodb", region_name="us-east-1")
        for attempt in range(15):
            order = f"o-{number}-{attempt}"
            try:
                _reserve(client, order, 1)
                sold.append(order)
            except ClientError:
                pass

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sold) == 60
    assert ddb.get_item(TableName="stock", Key={"pk": {"S": "PRODUCT#A"}})["Item"]["available"] == {"N": "0"}
    reservations = ddb.scan(
        TableName="stock",
        FilterExpression="begins_with(pk, :r)",
        ExpressionAttributeValues={":r": {"S": "RESERVATION#"}},
    )["Items"]
    assert sorted(item["pk"]["S"] for item in reservations) == sorted(f"RESERVATION#{o}" for o in sold)


# -- 3 + 5: cached parses and static checks ------------------------------------------------------------


def test_a_cached_expression_is_still_checked_against_its_names(ddb: Client) -> None:
    update = "SET #f = :v"
    ddb.update_item(
        TableName="log",
        Key={"sagaId": {"S": "s-1"}},
        UpdateExpression=update,
        ExpressionAttributeNames={"#f": "state"},
        ExpressionAttributeValues={":v": {"S": "X"}},
    )
    # The same (cached, already checked) expression, now naming the key attribute: still refused.
    with pytest.raises(ClientError, match="part of the key"):
        ddb.update_item(
            TableName="log",
            Key={"sagaId": {"S": "s-1"}},
            UpdateExpression=update,
            ExpressionAttributeNames={"#f": "sagaId"},
            ExpressionAttributeValues={":v": {"S": "Y"}},
        )
    overlapping = {"UpdateExpression": "SET a = :v, a.b = :v", "ExpressionAttributeValues": {":v": {"S": "Z"}}}
    for _ in range(2):  # refused the first time, so never cached as checked
        with pytest.raises(ClientError, match="Two document paths overlap"):
            ddb.update_item(TableName="log", Key={"sagaId": {"S": "s-1"}}, **overlapping)
    item = ddb.get_item(TableName="log", Key={"sagaId": {"S": "s-1"}})["Item"]
    assert item == {"sagaId": {"S": "s-1"}, "state": {"S": "X"}}


def test_the_update_expression_parse_is_shared() -> None:
    from moto.dynamodb.parsing import expressions

    parser = getattr(expressions, "UpdateExpressionParser")  # noqa: B009 - untyped module
    with dynamodb_patches.install_all():
        assert parser.make("SET a = :v") is parser.make("SET a = :v")
    assert parser.make("SET a = :v") is not parser.make("SET a = :v")


# -- 9: cached condition expressions ---------------------------------------------------------------------


def _conditional_answers(cached: bool) -> list[Any]:
    """Each conditional request twice (the second finds its condition cached), passing and failing, with the
    answer or the error (code, message, the item and cancellation reasons it returns)."""
    without = () if cached else ("condition_expression_cache",)
    with mock_aws(), dynamodb_patches.install_all(without=without):
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create_saga_log(client)
        log = {"TableName": "log"}
        item = {"sagaId": {"S": "s-1"}, "status": {"S": "PENDING"}, "n": {"N": "1"}, "tags": {"L": [{"S": "a"}]}}
        guarded = {"ExpressionAttributeNames": {"#s": "status"}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        key = {"sagaId": {"S": "s-1"}}
        requests: list[tuple[str, dict[str, Any]]] = [
            ("put_item", {**log, "Item": item, "ConditionExpression": "attribute_not_exists(sagaId)"}),
            (
                "update_item",
                {
                    **log,
                    **guarded,
                    "Key": key,
                    "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "#s = :p AND n BETWEEN :one AND :ten",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":p": {"S": "PENDING"}, ":ten": {"N": "10"}},
                },
            ),
            (
                "update_item",
                {
                    **log,
                    **guarded,
                    "Key": key,
                    "UpdateExpression": "SET #s = :c",
                    "ConditionExpression": "#s IN (:c, :x) OR contains(tags, :t)",
                    "ExpressionAttributeValues": {":c": {"S": "DONE"}, ":x": {"S": "X"}, ":t": {"S": "zz"}},
                },
            ),
            (
                "delete_item",
                {
                    **log,
                    "Key": key,
                    "ConditionExpression": "size(tags) > :n",
                    "ExpressionAttributeValues": {":n": {"N": "3"}},
                },
            ),
            (
                "put_item",
                {**log, "Item": item, "ConditionExpression": "#s = :p", "ExpressionAttributeNames": {"#s": "status"}},
            ),  # :p is not given
            (
                "put_item",
                {
                    **log,
                    "Item": item,
                    "ConditionExpression": "#s = = :p",
                    **guarded,
                    "ExpressionAttributeValues": {":p": {"S": "PENDING"}},
                },
            ),  # not an expression
            (
                "put_item",
                {
                    **log,
                    "Item": item,
                    "ConditionExpression": "attribute_exists(sagaId)",
                    "ExpressionAttributeNames": {"#unused": "status"},
                },
            ),
            (
                "put_item",
                {
                    **log,
                    "Item": item,
                    "ConditionExpression": "status = :p",  # a reserved word
                    "ExpressionAttributeValues": {":p": {"S": "PENDING"}},
                },
            ),
            (
                "put_item",
                {
                    **log,
                    "Item": item,
                    "ConditionExpression": "n BETWEEN :nothing AND :one",
                    "ExpressionAttributeValues": {":nothing": {"NULL": True}, ":one": {"N": "1"}},
                },
            ),
            (
                "transact_write_items",
                {
                    "TransactItems": [
                        {
                            "ConditionCheck": {
                                **log,
                                **guarded,
                                "Key": key,
                                "ConditionExpression": "#s = :p",
                                "ExpressionAttributeValues": {":p": {"S": "PENDING"}},
                            }
                        },
                        {
                            "Put": {
                                **log,
                                "Item": {"sagaId": {"S": "s-2"}},
                                "ConditionExpression": "attribute_not_exists(sagaId)",
                            }
                        },
                    ]
                },
            ),
        ]
        answers: list[Any] = []
        for operation, request in requests:
            for _ in range(2):
                try:
                    answer = getattr(client, operation)(**request)
                    answer.pop("ResponseMetadata")
                except ClientError as error:
                    answer = {name: value for name, value in error.response.items() if name != "ResponseMetadata"}
                except (KeyError, ValueError) as error:  # moto's own, raised as they are: a missing placeholder,
                    answer = {type(error).__name__: str(error)}  # a condition it cannot parse
                answers.append((operation, answer))
        answers.append(client.scan(TableName="log")["Items"])
        return answers


def test_a_cached_condition_answers_and_refuses_exactly_as_moto_does() -> None:
    cached = _conditional_answers(cached=True)
    assert cached == _conditional_answers(cached=False)
    errors = [answer["Error"]["Code"] for _, answer in cached[:-1] if "Error" in answer]
    assert {"ConditionalCheckFailedException", "ValidationException", "TransactionCanceledException"} <= set(errors)
    refused = [answer for _, answer in cached[:-1] if "Item" in answer]  # ALL_OLD: the item the condition refused
    assert refused
    assert refused[0]["Item"]["status"] == {"S": "PENDING"}
    assert {"KeyError", "ValueError", "IncorrectOperandType"} <= {name for _, answer in cached[:-1] for name in answer}


def test_a_cached_condition_is_its_own_and_keyed_on_the_values_it_names() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    def parse(names: Any, values: Any) -> tuple[Any, Any]:
        parser = ConditionExpressionParser("#s = :v AND contains(tags, :t)", names, values)
        return parser.parse(), parser

    stored = Item(
        DynamoType({"S": "k"}), None, {"k": {"S": "k"}, "status": {"S": "A"}, "tags": {"L": [{"L": [{"S": "x"}]}]}}
    )
    listed: list[Any] = [{"S": "x"}]
    values = {":v": {"S": "A"}, ":t": {"L": listed}, ":other": {"S": "ignored"}}
    _, uncached = parse({"#s": "status"}, values)
    with dynamodb_patches.install_all():
        first, parser = parse({"#s": "status"}, values)
        _, hit = parse({"#s": "status"}, values)
        for found in (parser, hit):  # what moto checks the request's placeholders against
            assert found.expr_attr_names_found == uncached.expr_attr_names_found == ["#s", "tags"]
            assert found.expr_attr_values_found == uncached.expr_attr_values_found == [":v", ":t"]
        listed.append({"S": "y"})  # the caller's map changes after the parse: not the cached condition
        again, _ = parse({"#s": "status"}, {":v": {"S": "A"}, ":t": {"L": [{"S": "x"}]}, ":other": {"S": "2"}})
        assert again is first
        assert first.expr(stored)
        assert parse({"#s": "status"}, {":v": {"S": "B"}, ":t": {"L": [{"S": "x"}]}})[0] is not first
        assert not parse({"#s": "status"}, {":v": {"S": "B"}, ":t": {"L": [{"S": "x"}]}})[0].expr(stored)
        assert parse({"#s": "other"}, {":v": {"S": "A"}, ":t": {"L": [{"S": "x"}]}})[0] is not first
        assert (
            parse({"#s": "status"}, {":v": {"BOOL": True}, ":t": {"L": []}})[0]
            is not parse({"#s": "status"}, {":v": {"BOOL": 1}, ":t": {"L": []}})[0]
        )
        with pytest.raises(KeyError):
            parse({"#s": "status"}, {":v": {"S": "A"}})  # :t missing: refused every time, never cached
        with pytest.raises(KeyError):
            parse({"#s": "status"}, {":v": {"S": "A"}})


# -- 10: the validator's walk ------------------------------------------------------------------------------


def _update_answers(fast: bool) -> list[Any]:
    """UpdateItems that go through every pass of the validator (functions, arithmetic, nested paths, each kind of
    clause), twice each, then the ones each pass refuses, with moto's answer or error."""
    without = () if fast else ("fast_traversal",)
    with mock_aws(), dynamodb_patches.install_all(without=without):
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create_saga_log(client)
        key = {"sagaId": {"S": "s-1"}}
        client.put_item(
            TableName="log",
            Item={**key, "n": {"N": "1"}, "m": {"M": {"a": {"L": [{"S": "x"}]}}}, "ss": {"SS": ["a", "b"]}},
        )
        updates: list[dict[str, Any]] = [
            {
                "UpdateExpression": "SET n = n + :one, #h = list_append(if_not_exists(#h, :none), :entry) ADD c :one",
                "ExpressionAttributeNames": {"#h": "history"},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":none": {"L": []}, ":entry": {"L": [{"S": "e"}]}},
            },
            {
                "UpdateExpression": "SET m.a[0] = :v, m.b = m.a, k = n - :one REMOVE gone DELETE ss :a",
                "ExpressionAttributeValues": {":v": {"S": "y"}, ":one": {"N": "1"}, ":a": {"SS": ["a"]}},
            },
            {
                "UpdateExpression": "SET #s = :s",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":s": {"S": "DONE"}},
                "ReturnValues": "UPDATED_OLD",
            },
            {"UpdateExpression": "SET n = :missing, o = :one", "ExpressionAttributeValues": {":one": {"N": "1"}}},
            {
                "UpdateExpression": "SET n = #missing, o = #other",
                "ExpressionAttributeNames": {"#other": "x"},
            },
            {"UpdateExpression": "SET n = nope.deeper + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}},
            {"UpdateExpression": "SET n = n + :s", "ExpressionAttributeValues": {":s": {"S": "text"}}},
            {"UpdateExpression": "SET sagaId = :k", "ExpressionAttributeValues": {":k": {"S": "s-2"}}},
            {"UpdateExpression": "ADD ss :n", "ExpressionAttributeValues": {":n": {"N": "1"}}},
            {"UpdateExpression": "SET n = list_append(n, :l)", "ExpressionAttributeValues": {":l": {"L": []}}},
            {"UpdateExpression": "SET startedAt = :e", "ExpressionAttributeValues": {":e": {"S": ""}}},
        ]
        answers: list[Any] = []
        for update in updates:
            for _ in range(2):
                try:
                    answer = client.update_item(TableName="log", Key=key, **update)
                    answer.pop("ResponseMetadata")
                except ClientError as error:
                    answer = {name: value for name, value in error.response.items() if name != "ResponseMetadata"}
                answers.append(answer)
        answers.append(client.get_item(TableName="log", Key=key)["Item"])
        answers.append(
            client.update_item(
                TableName="log",
                Key={"sagaId": {"S": "new"}},
                UpdateExpression="SET a = :a",
                ExpressionAttributeValues={":a": {"S": "A"}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        )
        return answers


def test_the_fast_walk_validates_and_refuses_exactly_as_moto_does() -> None:
    fast = _update_answers(fast=True)
    assert fast == _update_answers(fast=False)
    refused = fast[6:-2]  # the last eight updates, each refused both times
    assert all("Error" in answer for answer in refused)
    assert {answer["Error"]["Message"] for answer in refused} >= {
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
        "attribute value: :missing",
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #missing",
        "The provided expression refers to an attribute that does not exist in the item",
    }
    assert fast[-2]["history"] == {"L": [{"S": "e"}, {"S": "e"}]}  # the first update ran twice
    assert fast[-2]["m"] == {"M": {"a": {"L": [{"S": "y"}]}, "b": {"L": [{"S": "y"}]}}}


def test_the_fast_walk_leaves_a_pass_that_walks_otherwise_to_moto() -> None:
    from moto.dynamodb.parsing import ast_nodes, expressions
    from moto.dynamodb.parsing.validators import NoneExistingPathChecker

    traverser = getattr(ast_nodes, "DepthFirstTraverser")  # noqa: B009 - untyped module

    walked: list[Any] = []

    class Counting(NoneExistingPathChecker):  # type: ignore[misc]  # moto is untyped
        def traverse_node_recursively(self, node: Any, child_id: int = -1) -> Any:
            walked.append(node)
            return super().traverse_node_recursively(node, child_id)

    tree = getattr(expressions, "UpdateExpressionParser").make("SET a = :v")  # noqa: B009 - untyped module
    with dynamodb_patches.install_all():
        assert is_ours(traverser.traverse)
        assert Counting().traverse(tree) is tree
    assert len(walked) > 1  # its own walk, node by node, ran


# -- 4: responses written with json.dumps are the ones moto's serializer writes ------------------------

ITEM = {
    "sagaId": {"S": "s-1"},
    "status": {"S": "CONFIRMED"},
    "startedAt": {"S": "2026-01-01T00:00:00.000Z"},
    "n": {"N": "12.50"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "tags": {"SS": ["a", "b"]},
    "counts": {"NS": ["1", "2"]},
    "history": {"L": [{"M": {"state": {"S": "STARTED"}, "at": {"S": "x"}}}]},
    "blob": {"B": b"\x00\x01"},  # binary: moto's serializer still writes this response
}


def _responses(patched: bool) -> list[Any]:
    installation = dynamodb_patches.install_all() if patched else None
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            _create_saga_log(client)
            client.put_item(TableName="log", Item={k: v for k, v in ITEM.items() if k != "blob"})
            client.put_item(TableName="log", Item={**ITEM, "sagaId": {"S": "s-2"}})
            calls: list[Callable[[], Any]] = [
                lambda: client.get_item(TableName="log", Key={"sagaId": {"S": "s-1"}}),
                lambda: client.get_item(TableName="log", Key={"sagaId": {"S": "s-2"}}),
                lambda: client.get_item(TableName="log", Key={"sagaId": {"S": "missing"}}),
                lambda: client.query(
                    TableName="log",
                    IndexName="byStatus",
                    KeyConditionExpression="#s = :s",
                    ExpressionAttributeNames={"#s": "status"},
                    Limit=1,
                    ExpressionAttributeValues={":s": {"S": "CONFIRMED"}},
                ),
                lambda: client.update_item(
                    TableName="log",
                    Key={"sagaId": {"S": "s-1"}},
                    ReturnValues="ALL_NEW",
                    UpdateExpression="SET n = n + :one",
                    ReturnConsumedCapacity="TOTAL",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                ),
                lambda: client.batch_get_item(RequestItems={"log": {"Keys": [{"sagaId": {"S": "s-1"}}]}}),
                lambda: client.scan(TableName="log"),
            ]
            results = []
            for call in calls:
                response = call()
                response.pop("ResponseMetadata")
                results.append(response)
            return results
    finally:
        if installation is not None:
            installation.uninstall()


def test_fast_json_responses_equal_moto_serializer_responses() -> None:
    assert _responses(patched=True) == _responses(patched=False)


# -- 6: GSI queries from the sorted index ---------------------------------------------------------------


def _query_both(client: Client, **kwargs: Any) -> tuple[Any, Any, bool]:
    """The same query of the log's status index answered by the patched path and by moto's own scan; and whether
    the index answered."""
    return _answered_both(client, TableName="log", IndexName="byStatus", **kwargs)


def _answered_both(client: Client, **kwargs: Any) -> tuple[Any, Any, bool]:
    """The same Query answered with the items the seam hands moto, and by moto's own scan; and whether it handed
    any."""
    original = gsi_index._page
    pages: list[Any] = []

    def spy(*args: Any, **kw: Any) -> Any:
        pages.append(original(*args, **kw))
        return pages[-1]

    gsi_index._page = spy  # type: ignore[assignment]
    try:
        fast = client.query(**kwargs)
        gsi_index._page = lambda *args, **kw: None  # type: ignore[assignment]
        slow = client.query(**kwargs)
    finally:
        gsi_index._page = original
    for response in (fast, slow):
        response.pop("ResponseMetadata")
    return fast, slow, pages[0] is not None


def _item(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "sagaId": {"S": f"s-{number:03d}"},
        "status": {"S": rng.choice(STATUSES)},
        "startedAt": {"S": f"2026-01-01T00:00:{rng.randrange(20):02d}.000Z"},  # ties: ordered by sagaId
    }


def _mutate(client: Client, rng: random.Random, number: int) -> None:
    key = {"sagaId": {"S": f"s-{rng.randrange(60):03d}"}}
    kind = rng.randrange(6)
    try:
        if kind == 0:
            client.put_item(TableName="log", Item=_item(rng, rng.randrange(60)))
        elif kind == 1:
            client.update_item(
                TableName="log",
                Key=key,
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": rng.choice(STATUSES)}},
            )
        elif kind == 2:
            client.delete_item(TableName="log", Key=key)
        elif kind == 3:
            writes = [{"PutRequest": {"Item": _item(rng, 60 + number * 3 + i)}} for i in range(3)]
            client.batch_write_item(RequestItems={"log": [*writes, {"DeleteRequest": {"Key": key}}]})
        elif kind == 4:  # applied, then rolled back by the failing condition
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "log", "Item": _item(rng, 500 + number)}},
                    {"ConditionCheck": {"TableName": "log", "Key": key, "ConditionExpression": "attribute_exists(x)"}},
                ]
            )
        else:
            client.update_item(TableName="log", Key=key, UpdateExpression="REMOVE startedAt")  # leaves the index
    except ClientError:
        pass


def test_indexed_gsi_queries_answer_exactly_as_moto_does(ddb: Client) -> None:
    rng = random.Random(6)
    for number in range(60):
        ddb.put_item(TableName="log", Item=_item(rng, number))
    for round_number in range(20):  # each mutation kind several times over (the seed is fixed)
        _mutate(ddb, rng, round_number)
        for status in STATUSES:
            for forward in (True, False):
                pages = 0
                kwargs: dict[str, Any] = {
                    "KeyConditionExpression": "#s = :s",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":s": {"S": status}},
                    "ScanIndexForward": forward,
                    "Limit": rng.choice((1, 4, 50)),
                }
                while True:
                    fast, slow, indexed = _query_both(ddb, **kwargs)
                    assert indexed
                    assert fast == slow, (round_number, status, forward, pages)
                    pages += 1
                    if "LastEvaluatedKey" not in fast:
                        break
                    kwargs["ExclusiveStartKey"] = fast["LastEvaluatedKey"]


def test_queries_the_index_cannot_answer_go_to_moto(ddb: Client) -> None:
    rng = random.Random(1)
    for number in range(20):
        ddb.put_item(TableName="log", Item=_item(rng, number))
    ranged = {
        "KeyConditionExpression": "#s = :s AND startedAt > :t",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": "CONFIRMED"}, ":t": {"S": "2026-01-01T00:00:05.000Z"}},
    }
    assert _query_both(ddb, **ranged, Limit=2) == (*_query_both(ddb, **ranged, Limit=2)[:2], False)
    unlimited = {
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": "CONFIRMED"}},
    }
    fast, slow, indexed = _query_both(ddb, **unlimited)
    assert (fast, indexed) == (slow, False)


# -- 7: the validator's copy of the cached AST -----------------------------------------------------------


def _shape(node: Any, parent: Any = None) -> Any:
    """A node tree as plain data, checking on the way that each node's parent is the node above it."""
    from moto.dynamodb.parsing import ast_nodes

    if not isinstance(node, ast_nodes.Node):  # type: ignore[attr-defined]
        return node
    assert node.parent is parent
    return (type(node).__name__, node.type, [_shape(child, node) for child in node.children or []])


@pytest.mark.parametrize(
    "expression",
    [
        "SET #state = :state, updatedAt = :at, history = list_append(if_not_exists(history, :opening), :entry) "
        "ADD reached :reached",
        "SET available = available - :q ADD version :one",
        "SET refundedCents = if_not_exists(refundedCents, :zero) + :cents ADD refundedReturns :ids",
        "REMOVE a[1], b.c DELETE s :v",
    ],
)
def test_the_ast_copy_is_the_tree_deepcopy_makes(expression: str) -> None:
    import copy

    from moto.dynamodb.parsing import ast_nodes, expressions

    tree = expressions.UpdateExpressionParser.make(expression)  # type: ignore[attr-defined]
    before = _shape(tree)
    clone = dynamodb_patches.clone_ast(tree, ast_nodes.Node)  # type: ignore[attr-defined]
    assert _shape(clone) == _shape(copy.deepcopy(tree)) == before
    # Nothing is shared: changing the copy leaves the cached tree as it was.
    clone.children.clear()
    assert _shape(tree) == before


def test_the_fast_copy_replaces_only_the_validators_deepcopy() -> None:
    import copy

    from moto.dynamodb.parsing import validators

    def current() -> Any:
        return getattr(validators, "deepcopy")  # noqa: B009 - imported there, not exported

    with dynamodb_patches.install_fast_ast_copy():
        assert current() is not copy.deepcopy
        assert current()([{"a": 1}]) == [{"a": 1}]  # anything but a tree: copy.deepcopy
    assert current() is copy.deepcopy


def test_queries_of_the_tables_own_key_answer_exactly_as_moto_does(ddb: Client) -> None:
    ddb.create_table(
        TableName="pairs",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": p, "AttributeType": "S"} for p in ("customerId", "sagaId")],
        KeySchema=[{"AttributeName": "customerId", "KeyType": "HASH"}, {"AttributeName": "sagaId", "KeyType": "RANGE"}],
    )
    rng = random.Random(3)
    for _ in range(90):
        item = {"customerId": {"S": f"c-{rng.randrange(6)}"}, "sagaId": {"S": f"s-{rng.randrange(40):02d}"}}
        ddb.put_item(TableName="pairs", Item={**item, "n": {"N": str(rng.randrange(5))}})
    ddb.delete_item(TableName="pairs", Key={"customerId": {"S": "c-5"}, "sagaId": {"S": "s-00"}})
    for customer in ("c-0", "c-1", "c-5", "c-missing"):
        for forward in (True, False):
            for extra in ({}, {"range": "s-20"}, {"filter": "1"}):
                kwargs: dict[str, Any] = {
                    "TableName": "pairs",
                    "KeyConditionExpression": "customerId = :c" + (" AND sagaId > :r" if "range" in extra else ""),
                    "ExpressionAttributeValues": {":c": {"S": customer}}
                    | ({":r": {"S": extra["range"]}} if "range" in extra else {})
                    | ({":n": {"N": extra["filter"]}} if "filter" in extra else {}),
                    "ScanIndexForward": forward,
                    "Limit": rng.choice((1, 3, 100)),
                }
                if "filter" in extra:
                    kwargs["FilterExpression"] = "n > :n"
                while True:
                    fast, slow, handed = _answered_both(ddb, **kwargs)
                    assert handed
                    assert fast == slow, (customer, forward, extra)
                    if "LastEvaluatedKey" not in fast:
                        break
                    kwargs["ExclusiveStartKey"] = fast["LastEvaluatedKey"]
    # A table with no range key: its partition is one item.
    ddb.put_item(TableName="log", Item={"sagaId": {"S": "s-1"}, "status": {"S": "CONFIRMED"}})
    one = {
        "TableName": "log",
        "KeyConditionExpression": "sagaId = :s",
        "ExpressionAttributeValues": {":s": {"S": "s-1"}},
    }
    fast, slow, handed = _answered_both(ddb, **one)
    assert handed
    assert fast == slow
    assert fast["Count"] == 1
