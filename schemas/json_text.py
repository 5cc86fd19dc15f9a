"""JSON read from outside: a document nested too deeply for the parser is malformed JSON, not a crash."""

from __future__ import annotations

import json
from typing import Any

TOO_DEEP = "nested too deeply (brackets or braces within one another beyond what hrcase reads)"


def loads(data: str | bytes | bytearray) -> Any:
    """`json.loads`; a document whose nesting exhausts the parser's recursion raises JSONDecodeError, as any other
    malformed JSON does, so that every caller's handling of bad JSON covers it (400, a rejected line)."""
    try:
        return json.loads(data)
    except RecursionError:
        # A document of its own (never empty: webargs reads an empty one as no body at all).
        raise json.JSONDecodeError(TOO_DEEP, TOO_DEEP, 0) from None
