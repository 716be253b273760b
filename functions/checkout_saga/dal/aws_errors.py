"""The AWS error codes the data access tells apart (botocore's ClientError carries them)."""

from botocore.exceptions import ClientError

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"
REFUSED = (TRANSACTION_CANCELED, CONDITION_FAILED)  # a condition refused the write (alone or in a transaction)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
