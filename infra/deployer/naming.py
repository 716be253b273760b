"""Deterministic physical names: the same stack and logical id always give the same name,
which is how a re-deploy finds what the previous one created."""

from __future__ import annotations

import hashlib
import re

STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")


def physical_name(stack_name: str, logical_id: str, *, max_length: int, disallowed: str = r"[^A-Za-z0-9_-]") -> str:
    """`<stack>-<logicalId>`, with characters the service refuses replaced by '-'.

    Too long a name is cut and ends with a hash of the full one, so two long logical ids
    sharing a prefix still get different names.
    """
    name = re.sub(disallowed, "-", f"{stack_name}-{logical_id}")
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: max_length - len(digest) - 1]}-{digest}"
