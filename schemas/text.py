"""Free text as people write it: every control character but tab and line feed refused, line breaks as "\n".

The one rule for text entering hrcase by any way (situation-report files, the API, the web forms, the history
import): a NUL or an escape sequence in a name or a place is refused, naming the field. A carriage return before a
line feed (Windows files, every browser's text areas) is not refused but read as a plain line break.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

# Unicode category Cc: C0 (U+0000-U+001F), DEL, C1 (U+0080-U+009F); tab and line feed are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def normalised(text: str) -> str:
    """Line breaks as line feeds only: CRLF (and a lone CR, old Mac files) become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def refusal(text: str) -> str | None:
    """Why this (normalised) text cannot be taken, or None: the first control character and where it is."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return (f"contains a control character (U+{ord(found.group()):04X} at position {found.start() + 1}); "
            "only tab and line breaks are allowed in text")


def check(text: Any) -> None:
    """A marshmallow validator: the refusal as a ValidationError on the field it validates."""
    if isinstance(text, str) and (reason := refusal(text)) is not None:
        raise ValidationError(reason)


class Text(fields.String):
    """A string field under the rule: line breaks normalised on load, any other control character refused.

    The published schema says so (its description), since JSON Schema's `pattern` cannot be relied on for it.
    """

    RULE = "No control characters but tab and line breaks (CRLF is read as a line break)."

    def __init__(self, **kwargs: Any):
        validators = kwargs.pop("validate", None)
        chain = [check, *(validators if isinstance(validators, list | tuple) else [validators] if validators else [])]
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata["description"] = f"{metadata['description']} {self.RULE}" if "description" in metadata \
            else self.RULE
        super().__init__(validate=chain, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return normalised(super()._deserialize(value, attr, data, **kwargs))
