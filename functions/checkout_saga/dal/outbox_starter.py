"""Starts a choreographed checkout: no execution, an event. One transaction marks the saga log
`coordination: choreography` (keeping the saga's document, which the sweeper's undo needs) and writes the
CheckoutRequested event to the outbox; the orders service reacts to it with CreateOrder."""

from collections.abc import Mapping

from checkout_saga.clock import utc_now_iso
from checkout_saga.dal.dynamodb_outbox import DynamoDBOutbox
from checkout_saga.models import Coordination, OrderStatus, SagaState
from checkout_saga.saga_events import CHECKOUT_REQUESTED, SagaEvent


class OutboxSagaStarter:
    def __init__(self, saga_log_table: str, outbox: DynamoDBOutbox) -> None:
        self._saga_log_table = saga_log_table
        self._outbox = outbox

    def start(self, name: str, saga_input: Mapping[str, object]) -> str:
        """Returns the id of the saga's CheckoutRequested event (what an execution ARN is to an orchestrated
        saga). Starting a name again writes the same event again, which the publisher does not send twice."""
        event = SagaEvent(saga_id=name, name=CHECKOUT_REQUESTED, round=0, context=dict(saga_input))
        now = utc_now_iso()
        self._outbox.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._saga_log_table,
                        "Key": {"sagaId": name},
                        # A valid record from the start: the order view and the byStatus index see the saga
                        # before its STARTED transition is appended. No history yet: the first transition opens it,
                        # with STARTED first if the orders service logs ORDER_CREATED before the API logs STARTED.
                        "UpdateExpression": "SET coordination = :coordination, "
                        "checkout = if_not_exists(checkout, :doc), startedAt = if_not_exists(startedAt, :at), "
                        "updatedAt = :at, #state = if_not_exists(#state, :started), "
                        "#status = if_not_exists(#status, :pending)",
                        "ExpressionAttributeNames": {"#state": "state", "#status": "status"},
                        "ExpressionAttributeValues": {
                            ":coordination": Coordination.CHOREOGRAPHY.value,
                            ":doc": dict(saga_input),
                            ":at": now,
                            ":started": SagaState.STARTED.value,
                            ":pending": OrderStatus.PENDING.value,
                        },
                    }
                },
                {"Put": self._outbox.put_request(event, now)},
            ]
        )
        return event.event_id
