"""Identities sealed at the edge (services/sealing.py): what is sealed, what stays as it is, what opens it again."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from schemas import encode, new_envelope
from schemas.errors import SchemaError
from schemas.topics import SITREP_INCIDENTS
from services.messaging.ports import Outgoing
from services.sealing import (
    CANNOT_OPEN,
    is_sealed,
    open_record,
    open_value,
    plain_form,
    seal_outgoing,
    seal_record,
    seal_value,
)
from services.vault import IdentityVault, WrongKey
from tests.factories import incident

VAULT = IdentityVault.generate()
NAME, WITNESS = "Mariam Kouyaté-Sissoko", "Oumar Dembélé-Traoré"
IDENTITIES = {"victims": [{"name": NAME, "contact": "+223 6000 0000"}], "witnesses": [{"name": WITNESS}]}


def record(**changes: Any) -> dict[str, Any]:
    changes = {"identities": IDENTITIES, **changes}
    return json.loads(json.dumps(incident("SR-GAO-2026-W46", 4, datetime(2026, 11, 13, tzinfo=UTC), "Gao",
                                          **changes)))


def line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def leaks(value: bytes) -> list[str]:
    return [n for n in (NAME, WITNESS, "+223 6000 0000") if n.encode() in value or json.dumps(n)[1:-1].encode()
            in value]


def test_sealed_identities_open_to_what_was_sealed_and_nothing_else_of_the_record_changes() -> None:
    original = record()
    sealed = seal_record(original, VAULT)
    assert is_sealed(sealed["identities"]) and NAME not in json.dumps(sealed)
    assert {k: v for k, v in sealed.items() if k != "identities"} == {
        k: v for k, v in original.items() if k != "identities"}
    assert open_record(sealed, VAULT) == original
    assert VAULT.open(sealed["identities"]) == IDENTITIES


def test_a_record_without_identities_or_with_them_sealed_already_is_left_as_it_is() -> None:
    bare = {k: v for k, v in record().items() if k != "identities"}
    assert seal_record(bare, VAULT) is bare
    sealed = seal_record(record(), VAULT)
    assert seal_record(sealed, VAULT) is sealed and open_record(bare, VAULT) is bare


def test_the_same_identities_sealed_twice_differ_but_stand_for_the_same_record() -> None:
    first, second = seal_value(line(record()), VAULT), seal_value(line(record()), VAULT)
    assert first != second  # a fresh nonce each time: ciphertext alone cannot tell two incidents apart
    assert plain_form(first, VAULT) == plain_form(second, VAULT) == plain_form(line(record()), VAULT)
    assert VAULT.digests(plain_form(first, VAULT) or b"") == VAULT.digests(plain_form(second, VAULT) or b"")


def test_raw_bytes_get_their_identities_sealed_in_place_keeping_every_other_field_and_its_order() -> None:
    value = line(record())
    sealed = seal_value(value, VAULT)
    assert leaks(value) and not leaks(sealed)
    data = json.loads(sealed)
    assert list(data) == list(json.loads(value)) and VAULT.open(data["identities"]) == IDENTITIES
    assert seal_value(sealed, VAULT) is sealed  # sealing twice seals once
    without = line({k: v for k, v in record().items() if k != "identities"})
    assert seal_value(without, VAULT) is without  # nothing to seal: the very bytes, unchanged


def test_an_envelope_has_the_identities_of_its_payload_sealed() -> None:
    envelope = encode(new_envelope("IncidentReported", 1, occurred_at=datetime(2026, 11, 13, tzinfo=UTC),
                                   key="SR-GAO-2026-W46#4", producer="partner", payload=record()))
    sealed = seal_value(envelope, VAULT)
    assert leaks(envelope) and not leaks(sealed)
    assert VAULT.open(json.loads(sealed)["payload"]["identities"]) == IDENTITIES


@pytest.mark.parametrize("value", [
    b'{"sitrep_id": "SR-1", "identities": {"victims": [{"name": "Mariam Kouyat\xc3\xa9-Sissoko"}]}, oops',
    b'["Mariam Kouyat\xc3\xa9-Sissoko"]', b"\xff\xfe not even UTF-8", b'{"type": "X", "payload": "Oumar"}',
])
def test_bytes_that_are_not_a_json_record_are_sealed_whole_and_open_to_the_same_bytes(value: bytes) -> None:
    sealed = seal_value(value, VAULT)
    assert sealed.startswith(b"fernet:") and not leaks(sealed)
    assert open_value(sealed, VAULT) == value
    assert plain_form(sealed, VAULT) == value == plain_form(value, VAULT)


def test_identities_that_do_not_fit_the_contract_are_sealed_too_since_they_may_hold_names() -> None:
    for odd in ("Mariam Kouyaté-Sissoko", [{"name": NAME}], None, {"victims": "Oumar Dembélé-Traoré"}):
        sealed = seal_value(line(record(identities=odd)), VAULT)
        assert not leaks(sealed)
        assert open_record(json.loads(sealed), VAULT)["identities"] == odd


def test_what_another_key_sealed_cannot_be_opened_and_says_so_without_the_ciphertext() -> None:
    other = IdentityVault.generate()
    sealed = seal_record(record(), other)
    with pytest.raises(SchemaError) as caught:
        open_record(sealed, VAULT)
    assert caught.value.fields == {"identities": [CANNOT_OPEN]}
    with pytest.raises(SchemaError, match="the record is sealed with a key"):
        open_value(seal_value(b"not json", other), VAULT)
    assert plain_form(seal_value(line(record()), other), VAULT) is None  # then its bytes are what it is
    with pytest.raises(WrongKey):
        VAULT.open(sealed["identities"])


def test_outgoing_records_keep_their_topic_key_and_headers() -> None:
    value = line(record())
    out = Outgoing(SITREP_INCIDENTS, "SR-GAO-2026-W46#4", value, {"file": "w.jsonl", "line": "3", "format": "jsonl"})
    plain = Outgoing(SITREP_INCIDENTS, "k", b"{}", {})
    [sealed, untouched] = seal_outgoing([out, plain], VAULT)
    assert (sealed.topic, sealed.key, sealed.headers) == (out.topic, out.key, out.headers)
    assert not leaks(sealed.value) and untouched is plain


def test_digests_are_keyed_equal_for_equal_data_and_one_per_key_newest_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    data = json.dumps(IDENTITIES, sort_keys=True).encode()
    rotated = IdentityVault(f"{new},{old}")
    assert rotated.digests(data) == [IdentityVault(new).digests(data)[0], IdentityVault(old).digests(data)[0]]
    assert IdentityVault(old).digests(data) == IdentityVault(old).digests(data)
    assert IdentityVault(old).digests(data) != IdentityVault(old).digests(data + b" ")
    assert hashlib.sha256(data).hexdigest() not in rotated.digests(data)  # keyed: no test of guessed names
