"""Which (action, resource ARN) pairs IAM evaluates for one request, as AWS's authorization does.

moto authorizes every non-S3 request as one action on resource ``"*"``, so a policy scoped to one table
allows every table. AWS evaluates each resource the request touches, and for some operations other
actions than the operation's name:

- DynamoDB ``TransactWriteItems``/``TransactGetItems`` have no IAM action of their own: each item is
  authorized as the single-item action (``PutItem``, ``UpdateItem``, ``DeleteItem``, ``ConditionCheckItem``,
  ``GetItem``) on its own table. ``BatchGetItem``/``BatchWriteItem`` are authorized on every table they name.
  ``Query``/``Scan`` on an index are authorized on the index's ARN.
- SSM parameters are named ``/a/b``; their ARN is ``parameter/a/b`` (one slash).
- Step Functions execution operations are authorized on the execution's ARN.
- Lambda operations on the function's ARN (a name, a partial or a full ARN may be given), qualified when the
  request names a version or an alias (in the name or its ``Qualifier``): a policy naming the unqualified ARN does
  not allow invoking ``function:name:live``, nor one naming the alias invoking the unqualified function.
- KMS operations on the key's ARN (a key id or ARN in ``KeyId``; an alias is not resolved here).
- EventBridge ``PutEvents`` on the bus of each entry; SQS operations on the queue of ``QueueUrl``.

Pure functions of the request's parameters: no moto here, so they can be tested on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

Check = tuple[str, str]  # (service:Action, resource ARN)

# Operations whose IAM action has another name than the operation.
_IAM_ACTION = {("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeWithResponseStream"): "InvokeFunction"}
_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def request_checks(
    service: str,
    action: str,
    params: Mapping[str, Any],
    *,
    region: str,
    account: str,
    path: str = "",
    qualifier: str = "",
) -> list[Check]:
    """What to authorize for ``service:action`` with these parameters (a request's JSON body, or for
    REST services the decoded URL path, and Lambda's ``Qualifier`` from the query string). Unknown services and
    actions are authorized on ``"*"``."""
    action = _IAM_ACTION.get((service, action), action)
    if service == "lambda":
        return _lambda(action, path, qualifier, region, account) or [(f"lambda:{action}", "*")]
    resolver = _RESOLVERS.get(service)
    checks = resolver(action, params, region, account, path) if resolver else None
    return checks or [(f"{service}:{action}", "*")]


def _dynamodb(action: str, params: Mapping[str, Any], region: str, account: str, path: str) -> list[Check]:
    def table(name: str) -> str:
        # A table may be named by its ARN as well as by its name.
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"

    if action == "TransactWriteItems":
        checks = []
        for item in params.get("TransactItems") or []:
            for kind, operation in item.items():
                checks.append((f"dynamodb:{_TRANSACT_WRITE.get(kind, kind)}", table(operation["TableName"])))
        return checks
    if action == "TransactGetItems":
        return [("dynamodb:GetItem", table(item["Get"]["TableName"])) for item in params.get("TransactItems") or []]
    if action in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{action}", table(name)) for name in params.get("RequestItems") or {}]
    name = params.get("TableName")
    if not name:
        return []
    resource = table(name)
    if params.get("IndexName") and action in ("Query", "Scan"):
        resource += f"/index/{params['IndexName']}"
    return [(f"dynamodb:{action}", resource)]


def _ssm(action: str, params: Mapping[str, Any], region: str, account: str, path: str) -> list[Check]:
    def parameter(name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"

    names = params.get("Names") or ([params["Name"]] if params.get("Name") else [])
    if action == "GetParametersByPath" and params.get("Path"):
        names = [params["Path"]]
    return [(f"ssm:{action}", parameter(name)) for name in names]


def _states(action: str, params: Mapping[str, Any], region: str, account: str, path: str) -> list[Check]:
    for key in ("executionArn", "stateMachineArn", "mapRunArn", "activityArn"):
        if params.get(key):
            return [(f"states:{action}", str(params[key]))]
    return []


def _lambda(action: str, path: str, qualifier: str, region: str, account: str) -> list[Check]:
    # /2015-03-31/functions/<name, partial ARN or ARN>/invocations and the other function routes.
    parts = path.split("/functions/", 1)
    if len(parts) != 2 or not parts[1]:
        return []
    name = unquote(parts[1].split("/", 1)[0])
    return [(f"lambda:{action}", function_arn(name, region, account, qualifier))]


def function_arn(name: str, region: str, account: str, qualifier: str = "") -> str:
    """The ARN IAM authorizes a call to a function on, from a name, ``account:function:name`` partial ARN or full
    ARN, each with or without ``:qualifier``, or the qualifier given apart (a qualifier in the name wins, as Lambda
    has it): the function's unqualified ARN, or with a version or alias, that qualified ARN."""
    if name.startswith("arn:"):
        fields = name.split(":")
        owner, function, named = fields[4], fields[6], fields[7] if len(fields) > 7 else ""
        region = fields[3]
    elif ":function:" in name:
        owner, _, rest = name.split(":", 2)
        function, _, named = rest.partition(":")
    else:
        owner = account
        function, _, named = name.partition(":")
    qualified = named or qualifier
    return f"arn:aws:lambda:{region}:{owner}:function:{function}" + (f":{qualified}" if qualified else "")


_Resolver = Callable[[str, Mapping[str, Any], str, str, str], list[Check]]


def _kms(action: str, params: Mapping[str, Any], region: str, account: str, path: str) -> list[Check]:
    key = str(params.get("KeyId") or "")
    if not key or key.startswith("alias/"):
        return []  # a Decrypt without KeyId (the key is in the ciphertext) or an alias: authorized on "*"
    arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"
    return [(f"kms:{action}", arn)]


def _events(action: str, params: Mapping[str, Any], region: str, account: str, path: str) -> list[Check]:
    def bus(name: str) -> str:
        return name if name.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{name}"

    if action == "PutEvents":  # each entry on its own bus (the account's default bus when it names none)
        names = {str(entry.get("EventBusName") or "default") for entry in params.get("Entries") or []}
        return [("events:PutEvents", bus(name)) for name in sorted(names)]
    return []


# A redrive reads and deletes on the dead-letter queue and sends to the destination (AWS's documented permissions).
_MESSAGE_MOVE_ON_SOURCE = ("StartMessageMoveTask", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes")


def _sqs(action: str, params: Mapping[str, Any], region: str, account: str, path: str) -> list[Check]:
    if action == "StartMessageMoveTask":
        source = str(params.get("SourceArn") or "*")
        destination = [("sqs:SendMessage", str(params["DestinationArn"]))] if params.get("DestinationArn") else []
        return [*((f"sqs:{name}", source) for name in _MESSAGE_MOVE_ON_SOURCE), *destination]
    if action in ("ListMessageMoveTasks", "CancelMessageMoveTask"):
        return [(f"sqs:{action}", str(params.get("SourceArn") or "*"))]
    # .../<account>/<queue name>: the queue's ARN, whatever host the URL names.
    url = str(params.get("QueueUrl") or "")
    if not url:
        return []
    owner, name = url.rstrip("/").split("/")[-2:]
    return [(f"sqs:{action}", f"arn:aws:sqs:{region}:{owner}:{name}")]


_RESOLVERS: dict[str, _Resolver] = {
    "dynamodb": _dynamodb,
    "ssm": _ssm,
    "states": _states,
    "kms": _kms,
    "events": _events,
    "sqs": _sqs,
}
