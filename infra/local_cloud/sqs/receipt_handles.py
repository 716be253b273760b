"""A received message's receipt handle is drawn in one call, not one letter at a time.

moto 5.2.5's ``generate_receipt_handle`` joins 185 calls of ``random.choice``, each its own Python-level draw, for
every message a receive hands out: the largest single cost of a poller's receive once its queue stops being
walked (``visible_messages``). The seam draws the 185 bytes from the OS at once and maps each to a lowercase
letter, as moto's handles are: as opaque, as long and as unlikely to repeat.
"""

from __future__ import annotations

import os
import string

from local_cloud.seams import Installation, replace, require_source

_LENGTH = 185  # moto's, as its comment says after the SQS guide's limit on a handle's size
_LETTERS = bytes(ord(string.ascii_lowercase[byte % 26]) for byte in range(256))


def receipt_handle() -> str:
    return os.urandom(_LENGTH).translate(_LETTERS).decode()


def install() -> Installation:
    import moto.sqs.models as sqs_models
    from moto.sqs import utils

    require_source(
        utils.generate_receipt_handle,
        [f"length = {_LENGTH}", "random.choice(string.ascii_lowercase)"],
        "receipt handle",
    )
    return Installation([replace(sqs_models, "generate_receipt_handle", receipt_handle)])
