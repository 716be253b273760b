"""State machine definitions: DefinitionSubstitutions applied as Step Functions does, by text.

The ASL file may hold unquoted placeholders (`"IntervalSeconds": ${RetryIntervalSeconds}`),
so it is only JSON after substitution; the result is checked to parse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import TemplateError
from .intrinsics import text

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def placeholders(definition: str) -> set[str]:
    return {match[1] for match in _PLACEHOLDER.finditer(definition)}


def render(definition: str, substitutions: Mapping[str, Any], source: str) -> str:
    """`definition` with every `${Key}` replaced; raises naming what is left or broken."""
    missing = sorted(placeholders(definition) - set(substitutions))
    if missing:
        line = definition.count("\n", 0, definition.index("${" + missing[0] + "}")) + 1
        names = ", ".join("${" + name + "}" for name in missing)
        raise TemplateError(f"{source}: no DefinitionSubstitutions entry for {names} (first at line {line})")
    rendered = _PLACEHOLDER.sub(lambda m: text(substitutions[m[1]]), definition)
    try:
        json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"{source}: not valid JSON after substitution: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    return rendered


def check(definition: str, substitution_keys: set[str], source: str) -> None:
    """Validate before anything is deployed, with stand-in values for the substitutions.

    "0" fits both a quoted placeholder and an unquoted numeric one, so a file that fails
    here fails for a reason the real values would not fix.
    """
    render(definition, dict.fromkeys(substitution_keys, "0"), source)
