"""Compiled schemas give marshmallow's answers: the same values, the same errors, for any input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, missing, validate

from schemas import compiled
from schemas.envelope import _SCHEMA as ENVELOPE
from schemas.envelope import decode, encode, new_envelope
from schemas.incident import IncidentAsWrittenSchema, SealedIdentities
from schemas.registry import EVENT_TYPES, schema_for
from services.casework.adapters.state import _SCHEMA as CASE_STATE
from services.casework.domain.case import Case
from services.sealing import seal_record
from services.vault import IdentityVault
from tests.factories import incident

SCHEMAS: dict[str, Schema] = {f"{t}/{v}": schema_for(t, v) for t, v in EVENT_TYPES}
SCHEMAS |= {"envelope": ENVELOPE, "case state": CASE_STATE, "incident as written": IncidentAsWrittenSchema()}
COMPILED = {name: s for name, s in SCHEMAS.items() if compiled.compiled(s) is not None}

JUNK = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
# Strings `int` reads in its own ways (signs, spaces, underscores, other scripts' digits) or refuses.
NUMBERS_IN_TEXT = st.one_of(st.sampled_from([" 12", "12 ", "+3", "-4", "0012", "1_000", "\u0663", "1.5", "", "9" * 19,
                                             "9" * 5000, "1e3", "0x1f"]), st.from_regex(r"[0-9]{1,25}", fullmatch=True))
TIMES = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))])


def value_for(field: fields.Field, depth: int = 0, clean: bool = False) -> st.SearchStrategy[Any]:
    """Mostly well-formed values for a field, sometimes wrong ones (then marshmallow must word the error).

    Clean values are the usual, canonical ones (ints, aware ISO times, the listed choices): the compiled path must
    take all of them itself.
    """
    good = _good(field, depth, clean)
    return good if clean else st.one_of(good, good, good, JUNK)


def _good(field: fields.Field, depth: int, clean: bool) -> st.SearchStrategy[Any]:
    kind = type(field)
    choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
    if issubclass(kind, fields.String):  # String itself, or one that adds validators (SealedIdentities)
        if choices:
            return st.sampled_from(list(choices[0]))
        regexps = [v.regex for v in field.validators if isinstance(v, validate.Regexp)]
        if regexps:
            return st.from_regex(regexps[0], fullmatch=True)
        lengths = [v for v in field.validators if isinstance(v, validate.Length)]
        if clean and lengths:
            return st.text(min_size=lengths[0].min or 0, max_size=min(lengths[0].max or 8, 8))
        return st.text(max_size=8)
    if kind is fields.Integer:
        if clean:  # a CSV row's numbers are strings of digits, usual for a field that is not strict
            return st.integers(1, 50) if field.strict else st.one_of(st.integers(1, 50), st.integers(1, 50).map(str))
        return st.one_of(st.integers(-3, 200_000), st.integers(0, 50).map(str), NUMBERS_IN_TEXT)
    if kind is fields.AwareDateTime:
        aware = st.builds(lambda t, z: t.replace(tzinfo=z), TIMES, ZONES)
        if clean:
            return aware.map(datetime.isoformat)
        return st.one_of(aware.map(datetime.isoformat), TIMES.map(datetime.isoformat), aware)
    if kind is fields.List:
        return st.lists(_good(field.inner, depth, clean), min_size=1 if clean else 0, max_size=3)
    if kind is fields.Nested:
        return record_for(field.schema, depth + 1, clean) if depth < 3 else st.just({})
    if kind is fields.Dict and field.value_field is not None:  # identities' people, by ref
        keys = _good(field.key_field, depth, clean) if field.key_field is not None else st.text(max_size=4)
        return st.dictionaries(keys, _good(field.value_field, depth, clean), max_size=2)
    if kind is fields.Dict:
        return st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=4)), max_size=3)
    if kind is fields.Boolean:
        return st.booleans() if clean else st.one_of(st.booleans(), st.sampled_from(["yes", "0", 1, "maybe"]))
    if kind is fields.Float:
        numbers = st.floats(min_value=10.5, max_value=20.5)
        return numbers if clean else st.one_of(numbers, st.integers(-200, 200), st.floats(), st.just("12.5"))
    if kind is fields.Date:
        dates = st.dates().map(lambda d: d.isoformat())
        return dates if clean else st.one_of(dates, st.just("2026-13-01"), st.just(""), st.just("20260101"))
    return JUNK


def record_for(schema: Schema, depth: int = 0, clean: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with each field present (a value, maybe None) or absent, and sometimes a key nobody declared."""
    parts = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if clean:
            value = value_for(field, depth, clean=True)
            if field.allow_none:
                value = st.one_of(value, st.none())
            parts[key] = value if field.required else st.one_of(value, st.just(missing))
        else:
            parts[key] = st.one_of(value_for(field, depth), st.none(), st.just(missing)) if depth < 4 \
                else st.just(missing)
    extra = st.dictionaries(st.sampled_from(["surprise", "x"]), st.integers(), max_size=1)
    extras = st.just({}) if clean else st.one_of(st.just({}), st.just({}), extra)
    return st.builds(lambda d, e: {k: v for k, v in {**d, **e}.items() if v is not missing},
                     st.fixed_dictionaries(parts), extras)


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except ValidationError as exc:
        return "error", exc.normalized_messages()


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_compiled_schema_loads_and_validates_any_input_as_marshmallow_does(name: str, data: st.DataObject) -> None:
    schema = COMPILED[name]
    record = data.draw(st.one_of(record_for(schema), record_for(schema, clean=True)))
    assert outcome(compiled.load, schema, record) == outcome(schema.load, record)
    assert compiled.validate(schema, record) == schema.validate(record)


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_compiled_schema_takes_every_usual_valid_input_itself(name: str, data: st.DataObject) -> None:
    schema, fast = COMPILED[name], compiled.compiled(COMPILED[name])
    assert fast is not None
    record = data.draw(record_for(schema, clean=True))
    expected = outcome(schema.load, record)
    if expected[0] == "ok":
        assert fast.load(record) == expected[1]  # no Delegate: the compiled path decided alone


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_compiled_schema_dumps_what_it_loaded_as_marshmallow_does(name: str, data: st.DataObject) -> None:
    schema = COMPILED[name]
    record = data.draw(record_for(schema))
    try:
        loaded = schema.load(record)
    except ValidationError:
        loaded = record  # invalid input is dumped too (dump does not validate)
    try:
        expected: tuple[str, Any] = "ok", schema.dump(loaded)
    except Exception as exc:  # whatever marshmallow raises, the compiled dump must raise too
        expected = "raised", type(exc)
    try:
        got: tuple[str, Any] = "ok", compiled.dump(schema, loaded)
    except Exception as exc:
        got = "raised", type(exc)
    assert got == expected


def test_the_usual_inputs_take_the_compiled_path_not_marshmallows() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    written = json.loads(json.dumps(incident("SR-MOP-2026-W09", 3, now)))
    as_written = compiled.compiled(IncidentAsWrittenSchema())
    assert as_written is not None and as_written.load(written)["identities"]["victims"]
    record = seal_record(written, IdentityVault.generate())  # as the edge sends it
    reported = compiled.compiled(schema_for("IncidentReported", 1))
    assert reported is not None
    loaded = reported.load(record)  # raises Delegate if it would have fallen back
    accepted = compiled.compiled(schema_for("IncidentAccepted", 1))
    assert accepted is not None
    payload = {**loaded, "incident_key": "SR-MOP-2026-W09#3", "possible_duplicates": []}
    assert accepted.validate(accepted.dump(payload))
    envelope = new_envelope("IncidentAccepted", 1, occurred_at=now, key="k", producer="intake",
                            payload=accepted.dump(payload))
    env_schema = compiled.compiled(ENVELOPE)
    assert env_schema is not None
    assert env_schema.load(json.loads(encode(envelope))) == env_schema.load(ENVELOPE.dump(envelope))
    assert decode(encode(envelope)) == envelope


TEXTS = [" 12", "12 ", "+3", "-4", "0012", "1_000", "\u0663", "1.5", "", "9" * 18, "9" * 19, "9" * 5000, "1e3", "7"]


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: repr(t if len(t) < 20 else f"{t[:3]}...({len(t)} digits)"))
def test_a_number_written_as_text_in_a_csv_row_loads_as_marshmallow_loads_it(text: str) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    record = seal_record(json.loads(json.dumps(incident("SR-MOP-2026-W09", 3, now))), IdentityVault.generate())
    record = {**record, "incident_number": text, "victims": {"female_adult": text, "male_child": "2"}}
    schema = schema_for("IncidentReported", 1)
    assert outcome(compiled.load, schema, record) == outcome(schema.load, record)


def test_plain_digits_in_a_csv_row_take_the_compiled_path() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    record = seal_record(json.loads(json.dumps(incident("SR-MOP-2026-W09", 3, now))), IdentityVault.generate())
    reported = compiled.compiled(schema_for("IncidentReported", 1))
    assert reported is not None
    loaded = reported.load({**record, "incident_number": "0012", "victims": {"female_adult": "3"}})  # no Delegate
    assert (loaded["incident_number"], loaded["victims"]["female_adult"]) == (12, 3)


def test_a_case_state_round_trips_through_the_compiled_schema_as_through_marshmallow() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    case = Case(case_id="c1", reference="MOP-2026-0001", incident_key="SR#1", office="Mopti", stage="preliminary",
                reported_at=now, registered_at=now, assignee="mopti.hro1", recorded_at=now + timedelta(days=1),
                closure={"proposer": "a", "reason": "duplicate", "note": "n", "previous_stage": "preliminary",
                         "requested_at": now},
                follow_ups=("handed over",), possible_duplicates=("SR#2",), version=3, details={"summary": "s"})
    assert compiled.dump(CASE_STATE, case) == CASE_STATE.dump(case)
    text = json.dumps(CASE_STATE.dump(case))
    assert compiled.load(CASE_STATE, json.loads(text)) == CASE_STATE.load(json.loads(text))
    state = compiled.compiled(CASE_STATE)
    assert state is not None and state.load(json.loads(text)) == CASE_STATE.load(json.loads(text))


def test_a_schema_with_hooks_or_fields_the_compiler_does_not_mirror_stays_marshmallows() -> None:
    class WithDecimal(Schema):
        amount = fields.Decimal()

    class WithNaN(Schema):
        ratio = fields.Float(allow_nan=True)

    assert compiled.compiled(WithDecimal()) is None
    assert compiled.compiled(WithNaN()) is None
    assert compiled.load(WithNaN(), {"ratio": "nan"})["ratio"] != 0


def test_sealed_identities_are_compiled_as_a_string_and_refused_in_the_clear_as_marshmallow_refuses_them() -> None:
    reported = schema_for("IncidentReported", 1)
    fast = compiled.compiled(reported)
    assert fast is not None and isinstance(reported.fields["identities"], SealedIdentities)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    sealed = seal_record(json.loads(json.dumps(incident("SR-1", 1, now))), IdentityVault.generate())
    assert fast.load(sealed)["identities"] == sealed["identities"]
    for clear in ({"victims": [{"name": "A Name"}]}, "A Name", "fernet:not base64!", "fernet:"):
        record = {**sealed, "identities": clear}
        assert outcome(compiled.load, reported, record) == outcome(reported.load, record)
        assert outcome(reported.load, record)[0] == "error"
        assert "identities" in compiled.validate(reported, record)

    class Converting(SealedIdentities):
        def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
            return str(value).upper()

    class WithConverting(Schema):
        identities = Converting()

    assert compiled.compiled(WithConverting()) is None  # a subclass that converts stays marshmallow's


def test_an_encoded_envelope_holds_about_its_own_length_in_memory_not_the_encoders_buffer() -> None:
    import tracemalloc

    envelope = new_envelope("SlaBreached", 1, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), key="case-1",
                            producer="sla_monitor", payload={"case_id": "case-1", "note": "x" * 300})
    tracemalloc.start()
    try:
        kept = [encode(envelope) for _ in range(100)]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / len(kept) < 2 * len(kept[0]) + 200  # orjson's bare result held 4 KiB or more each
