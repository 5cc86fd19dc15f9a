"""Marshmallow schemas as plain functions for the usual input; anything unusual is left to marshmallow itself.

Every event is validated when emitted and when consumed, several times per incident: in marshmallow's general
machinery that was most of the pipeline's time. A compiled schema does the same work for the inputs it recognises
(exact types: str, int, float, bool, aware datetimes, ISO dates, lists, dicts) with the schema's own validator
objects and hooks, and gives the same result; for any other input (a wrong type, a failed validator, a missing
required field, an unknown key) it raises `Delegate` and marshmallow decides, so every error and every unusual
conversion stays marshmallow's. A schema using anything not listed below is not compiled at all.
tests/unit/test_compiled_schemas.py holds the two to the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing
from marshmallow.decorators import POST_LOAD, VALIDATES_SCHEMA

from schemas.text import Text, normalised

Load = Callable[[Any], Any]
Dump = Callable[[Any], Any]
DATETIME_FORMATS = (None, "iso", "iso8601")


class Delegate(Exception):
    """Not an input the compiled schema decides: marshmallow does."""


class Unsupported(Exception):
    """The schema uses something the compiler does not mirror: it stays marshmallow's only."""


class Compiled:
    """`load`, `validate` (load without post_load, as `Schema.validate` does) and `dump` of one schema instance."""

    def __init__(self, schema: Schema):
        self.schema = schema
        _check_schema(schema)
        self._fields: list[tuple[str, str, fields.Field, Load, Dump]] = []
        for name, field in schema.fields.items():
            _check_field(field)
            key = field.data_key if field.data_key is not None else name
            self._fields.append((name, key, field, _loader(field), _dumper(field)))
        self._known = frozenset(key for _, key, *_ in self._fields)
        self._unknown = schema.unknown
        hooks = schema._hooks  # the hooks marshmallow itself runs, in its order
        self._validators = [getattr(schema, name) for name, many, _ in hooks[VALIDATES_SCHEMA] if not many]
        self._post_load = [getattr(schema, name) for name, many, _ in hooks[POST_LOAD] if not many]

    def validate(self, data: Any) -> dict[str, Any]:
        if type(data) is not dict:
            raise Delegate
        if self._unknown == RAISE and not self._known.issuperset(data):
            raise Delegate
        out: dict[str, Any] = {}
        for name, key, field, load, _ in self._fields:
            if key in data:
                value = data[key]
                if value is None:
                    if not field.allow_none:
                        raise Delegate
                    out[name] = None
                    continue
                value = load(value)
                for check in field.validators:
                    try:
                        check(value)
                    except ValidationError:
                        raise Delegate from None
                out[name] = value
            elif field.required:
                raise Delegate
            else:
                default = field.load_default
                if default is not missing:
                    out[name] = default() if callable(default) else default
        for validator in self._validators:
            try:
                validator(out, partial=None, many=False, unknown=self._unknown)
            except ValidationError:
                raise Delegate from None
        return out

    def load(self, data: Any) -> Any:
        out: Any = self.validate(data)
        for processor in self._post_load:
            out = processor(out, many=False, partial=None, unknown=self._unknown)
        return out

    def dump(self, obj: Any) -> dict[str, Any]:
        if obj is None:
            raise Delegate
        out: dict[str, Any] = {}
        mapping = type(obj) is dict
        for name, key, _field, _, dump in self._fields:
            if mapping:
                value = obj[name] if name in obj else getattr(obj, name, missing)
            else:
                value = getattr(obj, name, missing)
            if value is missing:
                continue
            out[key] = None if value is None else dump(value)
        return out


_CACHE: dict[int, tuple[Schema, Compiled | None]] = {}


def compiled(schema: Schema) -> Compiled | None:
    """The compiled form of a schema instance (made once), or None if it uses what the compiler does not mirror."""
    entry = _CACHE.get(id(schema))
    if entry is None or entry[0] is not schema:
        try:
            entry = (schema, Compiled(schema))
        except Unsupported:
            entry = (schema, None)
        _CACHE[id(schema)] = entry
    return entry[1]


def load(schema: Schema, data: Any) -> Any:
    """`schema.load(data)`, the same result and the same errors."""
    fast = compiled(schema)
    if fast is not None:
        try:
            return fast.load(data)
        except Delegate:
            pass
    return schema.load(data)


def validate(schema: Schema, data: Any) -> dict[str, list[str]]:
    """`schema.validate(data)`: the errors, or {} when valid."""
    fast = compiled(schema)
    if fast is not None:
        try:
            fast.validate(data)
            return {}
        except Delegate:
            pass
    return schema.validate(data)


def dump(schema: Schema, obj: Any) -> Any:
    """`schema.dump(obj)`, the same result."""
    fast = compiled(schema)
    if fast is not None:
        try:
            return fast.dump(obj)
        except Delegate:
            pass
    return schema.dump(obj)


# ------------------------------------------------------------------------------------------------ what is mirrored

def _check_schema(schema: Schema) -> None:
    hooks = schema._hooks
    used = {tag for tag, entries in hooks.items() if entries}
    if used - {VALIDATES_SCHEMA, POST_LOAD}:
        raise Unsupported(f"hooks {used}")
    for tag in (VALIDATES_SCHEMA, POST_LOAD):
        for _, many, options in hooks[tag]:
            if many or options.get("pass_original") or options.get("pass_collection"):
                raise Unsupported(f"{tag} options {options}")
    if schema.many or schema.partial or schema.only is not None or schema.exclude or schema.load_only \
            or schema.dump_only or schema.unknown not in (RAISE, EXCLUDE) or schema.dict_class is not dict:
        raise Unsupported("schema options")
    if type(schema).get_attribute is not Schema.get_attribute or schema.opts.index_errors is not True:
        raise Unsupported("schema behaviour overridden")


def _check_field(field: fields.Field) -> None:
    if field.attribute is not None or field.load_only or field.dump_only or field.dump_default is not missing \
            or field.pre_load or field.post_load or "." in (field.name or ""):
        raise Unsupported(f"field options of {field.name}")


# What a field does to a value; a String subclass that overrides none of these is a String with validators.
_CONVERSIONS = ("serialize", "deserialize", "_serialize", "_deserialize", "_validate", "_validate_missing",
                "get_value", "make_error")


def _kind(field: Any) -> type:
    """The field's class, or String for a subclass that only adds validators and metadata (SealedIdentities)."""
    kind = type(field)
    if kind is not fields.String and issubclass(kind, fields.String) \
            and all(getattr(kind, name) is getattr(fields.String, name) for name in _CONVERSIONS):
        return fields.String
    return kind


def _loader(field: Any) -> Load:  # a field of one of the kinds below, each with its own attributes
    kind = _kind(field)
    if kind is fields.String:
        return _load_str
    if kind is Text:
        return _load_text
    if kind is fields.Integer:
        return _load_int if field.strict else _load_int_or_digits
    if kind is fields.AwareDateTime:
        if field.format not in DATETIME_FORMATS or field.default_timezone is not None:
            raise Unsupported("datetime format")
        return _load_aware_datetime
    if kind is fields.List:
        inner = field.inner
        _check_field(inner)
        load_inner = _loader(inner)
        if inner.validators or inner.allow_none or inner.required:
            return _list_loader(inner, load_inner)

        def load_list(value: Any) -> list[Any]:
            if type(value) is not list:
                raise Delegate
            return [load_inner(item) for item in value]

        return load_list
    if kind is fields.Nested:
        nested = _nested(field)
        return nested.load
    if kind is fields.Dict:
        if field.key_field is not None or field.value_field is not None:
            return _typed_dict_loader(field)
        return _load_dict
    if kind is fields.Boolean:
        return _load_bool
    if kind is fields.Float:
        if field.allow_nan or field.as_string:
            raise Unsupported("float options")
        return _load_float
    if kind is fields.Date:
        if field.format not in DATETIME_FORMATS:
            raise Unsupported("date format")
        return _load_date
    raise Unsupported(f"field type {kind.__name__}")


def _checked(field: fields.Field) -> Load:
    """A field's loader followed by its validators, for the keys and values of a typed dict."""
    _check_field(field)
    load = _loader(field)

    def load_checked(value: Any) -> Any:
        if value is None:
            raise Delegate
        value = load(value)
        for check in field.validators:
            try:
                check(value)
            except ValidationError:
                raise Delegate from None
        return value

    return load_checked


def _typed_dict_loader(field: Any) -> Load:
    load_key = _checked(field.key_field) if field.key_field is not None else _same
    load_value = _checked(field.value_field) if field.value_field is not None else _same

    def load_dict(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise Delegate
        return {load_key(k): load_value(v) for k, v in value.items()}

    return load_dict


def _same(value: Any) -> Any:
    return value


def _list_loader(inner: fields.Field, load_inner: Load) -> Load:
    def load_list(value: Any) -> list[Any]:
        if type(value) is not list:
            raise Delegate
        out = []
        for item in value:
            if item is None:
                raise Delegate  # marshmallow words the error, or allows the None
            item = load_inner(item)
            for check in inner.validators:
                try:
                    check(item)
                except ValidationError:
                    raise Delegate from None
            out.append(item)
        return out

    return load_list


def _nested(field: Any) -> Compiled:
    if field.many or field.only is not None or field.exclude or field.unknown is not None:
        raise Unsupported("nested options")
    schema = field.schema
    if not isinstance(schema, Schema):
        raise Unsupported("nested schema")
    fast = compiled(schema)
    if fast is None:
        raise Unsupported("nested schema not compiled")
    return fast


def _dumper(field: Any) -> Dump:
    kind = _kind(field)
    if kind is fields.String or kind is Text:
        return _dump_str
    if kind is fields.Integer:
        if field.as_string:
            raise Unsupported("integer as string")
        return _dump_int
    if kind is fields.AwareDateTime:
        return _dump_datetime
    if kind is fields.List:
        dump_inner = _dumper(field.inner)

        def dump_list(value: Any) -> list[Any]:
            if type(value) not in (list, tuple):
                raise Delegate
            return [None if item is None else dump_inner(item) for item in value]

        return dump_list
    if kind is fields.Nested:
        return _nested(field).dump
    if kind is fields.Dict:
        if field.key_field is not None or field.value_field is not None:
            dump_key = _dumper(field.key_field) if field.key_field is not None else _same
            dump_value = _dumper(field.value_field) if field.value_field is not None else _same

            def dump_dict(value: Any) -> dict[Any, Any]:
                if type(value) is not dict:
                    raise Delegate
                return {dump_key(k): None if v is None else dump_value(v) for k, v in value.items()}

            return dump_dict
        return _dump_dict
    if kind is fields.Boolean:
        return _dump_bool
    if kind is fields.Float:
        if field.as_string:
            raise Unsupported("float as string")
        return _dump_float
    if kind is fields.Date:
        if field.format not in DATETIME_FORMATS:
            raise Unsupported("date format")
        return _dump_date
    raise Unsupported(f"field type {kind.__name__}")


def _load_str(value: Any) -> str:
    if type(value) is not str:
        raise Delegate
    return value


def _load_text(value: Any) -> str:
    if type(value) is not str:
        raise Delegate
    return normalised(value)


def _load_int(value: Any) -> int:
    if type(value) is not int:
        raise Delegate
    return value


def _load_int_or_digits(value: Any) -> int:
    """A non-strict Integer also takes a string, as every number in a CSV situation report is (`plain_int`)."""
    if type(value) is int:
        return value
    number = plain_int(value) if type(value) is str else None
    if number is None:
        raise Delegate
    return number


def plain_int(text: str) -> int | None:
    """A string of plain ASCII digits as `int` (and so marshmallow's non-strict Integer) reads it; None for anything
    else: signs, spaces, underscores and other scripts' digits, which `int` reads in its own ways, and strings long
    enough to meet its digit limit (a ValueError marshmallow words as an error)."""
    if len(text) <= 18 and text.isascii() and text.isdigit():
        return int(text)
    return None


def _load_aware_datetime(value: Any) -> datetime:
    if type(value) is str:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Delegate from None
    elif type(value) is not datetime:
        raise Delegate
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise Delegate
    return value


def _load_dict(value: Any) -> dict[Any, Any]:
    if type(value) is not dict:
        raise Delegate
    return dict(value)


def _dump_str(value: Any) -> str:
    if type(value) is not str:
        raise Delegate
    return value


def _dump_int(value: Any) -> int:
    if type(value) is not int:
        raise Delegate
    return value


def _dump_datetime(value: Any) -> str:
    if type(value) is not datetime:
        raise Delegate
    return value.isoformat()


def _dump_dict(value: Any) -> dict[Any, Any]:
    if type(value) is not dict:
        raise Delegate
    return dict(value)


def _load_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise Delegate  # marshmallow reads "yes", 1 and the like, or words the error
    return value


def _load_float(value: Any) -> float:
    if type(value) is not float and type(value) is not int:
        raise Delegate
    number = float(value)
    if not math.isfinite(number):
        raise Delegate
    return number


def _load_date(value: Any) -> date:
    if type(value) is not str or not value:
        raise Delegate
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Delegate from None


def _dump_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise Delegate
    return value


def _dump_float(value: Any) -> float:
    if type(value) is not float and type(value) is not int:
        raise Delegate
    return float(value)


def _dump_date(value: Any) -> str:
    if type(value) is not date:
        raise Delegate
    return value.isoformat()
