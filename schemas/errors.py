"""The one error raised when bytes or a record do not fit a wire contract."""

from __future__ import annotations


class Problem(str):
    """A message that also carries a stable code and its values, so that a reader in another language (the web
    pages) can say it in theirs; everywhere else it is the English text it reads as."""

    code: str
    params: dict[str, str]

    def __new__(cls, text: str, code: str, **params: str) -> Problem:
        made = super().__new__(cls, text)
        made.code, made.params = code, params
        return made


class SchemaError(ValueError):
    """A record failed validation; `fields` maps each offending field to its messages."""

    def __init__(self, fields: dict[str, list[str]] | str):
        if isinstance(fields, str):
            fields = {"_record": [fields]}
        self.fields = fields
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        parts = []
        for name, messages in sorted(self.fields.items()):
            text = "; ".join(_flatten(messages))
            parts.append(text if name == "_record" else f"{name}: {text}")
        return " | ".join(parts)


def _flatten(messages: object, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out.extend(_flatten(value, f"{prefix}{key}: " if key != "_schema" else prefix))
        return out
    if isinstance(messages, list | tuple):
        return [m for item in messages for m in _flatten(item, prefix)]
    return [f"{prefix}{messages}"]


def from_marshmallow(messages: dict) -> SchemaError:
    """Turn marshmallow's nested error dict into a SchemaError naming dotted field paths."""
    flat: dict[str, list[str]] = {}

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "_schema":
                    walk(value, path or "_record")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, path)
        else:
            flat.setdefault(path or "_record", []).append(str(node))

    walk(messages, "")
    return SchemaError(flat)
