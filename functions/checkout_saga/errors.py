"""Domain errors. A Lambda error's class name is the error name Step Functions matches in Retry and Catch,
so these names are part of the state machine's contract (statemachine/checkout.asl.json)."""


class SagaError(Exception):
    """Base of every error the saga raises on purpose."""


# ----------------------------------------------------------- business outcomes (not retried)
class UnknownProduct(SagaError):
    pass


class OutOfStock(SagaError):
    pass


class PaymentDeclined(SagaError):
    pass


class InsufficientFunds(SagaError):
    pass


class OrderAlreadyExists(SagaError):
    """Another order already holds this id: the saga must not touch it."""


class SagaAlreadyCompensated(SagaError):
    """A forward step arrived after its saga was undone (a late duplicate delivery): it must change nothing.
    Also raised by MarkCompensationFailed when the undo had in fact completed (CancelOrder's answer was lost)."""


class SagaGivenUp(SagaError):
    """An undo step arrived after its saga was marked COMPENSATION_FAILED (a late delivery, or an invocation the
    state machine stopped waiting for): it must not end the saga behind the operator's back. Only a resume
    (POST /sagas/{orderId}/resume) runs the undo again, visibly."""


class OrderConfirmed(SagaError):
    """The order is CONFIRMED: the checkout passed its pivot (ConfirmOrder took effect, only its answer was
    lost), so nothing may be undone; the saga ends as a success."""


class PaymentNotCaptured(SagaError):
    """ConfirmOrder found no captured payment for the order (a PaymentCharged that no charge wrote): nothing is
    confirmed, and the saga undoes what it did."""


class ReturnNotAllowed(SagaError):
    """ValidateReturn refuses the return (order not CONFIRMED, item not bought, too many units, too late):
    the return is REJECTED, nothing is refunded or restocked."""


class ReturnCompleted(SagaError):
    """The return is COMPLETED: CompleteReturn took effect and only its answer was lost, so nothing may be
    undone; the return saga ends as a success (the return's pivot, as OrderConfirmed is the checkout's)."""


class RefundRefused(SagaError):
    """The payment cannot give this refund back (not captured, or it would exceed what was captured)."""


class UnknownOrder(SagaError):
    """A step that needs an existing order (or return) was invoked for an id that has none."""


class SealedTokenUnreadable(SagaError):
    """The saga's sealed payment token does not open (another order's, or altered): nothing is charged."""


class InjectedFailure(SagaError):
    """Fault injection, mode "fail"."""


# ---------------------------------------- transient (retried: the Retry of every Task in the ASL)
class TransientStepError(SagaError):
    """A failure worth retrying: fault injection (mode "transient"), or a write refused for a concurrent one."""


class StockMoved(TransientStepError):
    """A stock shard no longer held what a reservation planned to take from it (a concurrent sale): read the
    shards again and plan anew; if it keeps happening, the step's retry decides."""


class PaymentProviderUnavailable(SagaError):
    """The payment provider did not answer; the charge may be retried."""
