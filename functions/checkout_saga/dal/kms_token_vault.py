"""Payment tokens sealed with a KMS key between the API and ChargePayment.

The API seals the customer's token before it starts the saga, so that only the sealed form travels through
the execution's input and history (which Step Functions keeps and shows to anyone who may read executions);
ChargePayment, the one function allowed to decrypt with the key, opens it. The order id is the encryption
context: a sealed token opens only for the order it was sealed for."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from checkout_saga.dal.aws_errors import error_code
from checkout_saga.errors import SealedTokenUnreadable

if TYPE_CHECKING:  # the stubs are a development dependency; the Lambda runtime does not need them
    from mypy_boto3_kms.client import KMSClient


class KmsTokenVault:
    def __init__(self, client: KMSClient, key_arn: str) -> None:
        self._client = client
        self._key_arn = key_arn

    def seal(self, order_id: str, token: str) -> str:
        answer = self._client.encrypt(
            KeyId=self._key_arn, Plaintext=token.encode(), EncryptionContext={"orderId": order_id}
        )
        return base64.b64encode(answer["CiphertextBlob"]).decode()

    def open(self, order_id: str, sealed: str) -> str:
        try:
            answer = self._client.decrypt(
                KeyId=self._key_arn,
                CiphertextBlob=base64.b64decode(sealed),
                EncryptionContext={"orderId": order_id},
            )
        except ClientError as exc:
            if error_code(exc) in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise SealedTokenUnreadable(f"the sealed payment token of order {order_id} does not open") from exc
            raise
        return bytes(answer["Plaintext"]).decode()
