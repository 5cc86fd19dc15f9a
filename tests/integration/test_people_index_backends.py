"""The blind index of people on both of casework's databases: written at registration, a person's rows replaced,
rebuilt by `reindex`, and found through a key rotation (ADR 23)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, delete, func, select

from services.casework import bootstrap
from services.casework.adapters import people_index
from services.casework.adapters.tables import person_index
from services.casework.domain.people_index import Query
from services.vault import IdentityVault
from tests.integration.backends import BACKENDS, migrated
from tests.integration.people_world import add_people


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated(request, tmp_path, bootstrap.migrate)


OLD = Fernet.generate_key().decode()
KEY_NAMES = [OLD]
KEY = IdentityVault(OLD)


def found(engine: Engine, vault: IdentityVault, *names: str, year: int | None = None) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(hit.reference, hit.person) for hit in people_index.lookup(conn, vault, Query(names, year))}


def name_years(engine: Engine, name: str, year: int) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(hit.reference, hit.person) for hit in people_index.lookup(conn, KEY, Query((name,), year))
                if hit.term.kind == "name_year"}


def rows(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(person_index)))


def test_registration_indexes_every_person_and_reindex_rebuilds_the_same_rows(engine: Engine) -> None:
    add_people(bootstrap.build(engine, vault=KEY))
    written = rows(engine)
    assert found(engine, KEY, "aminata traore") == {("GAO-2026-0001", "p1"), ("GAO-2026-0002", "p1"),
                                                   ("MOP-2026-0001", "p1")}
    assert found(engine, KEY, "Keïta Moussa", year=1970) == {("MOP-2026-0001", "p2")}
    with engine.begin() as conn:
        conn.execute(delete(person_index))
    assert people_index.reindex(engine, KEY, batch=2) == (3, len(written))
    assert rows(engine) == written


def test_a_person_s_rows_are_replaced_when_their_names_change(engine: Engine) -> None:
    add_people(bootstrap.build(engine, vault=KEY))
    case_id = next(case for case, person, _, _ in rows(engine) if person == "p2")
    with engine.begin() as conn:
        people_index.index_person(conn, KEY, case_id, "p2", ["Moussa Kéita-Sangaré"], "1971-02-03")
    assert ("MOP-2026-0001", "p2") in found(engine, KEY, "Sangare")
    assert name_years(engine, "moussa keita sangare", 1970) == set()  # the year was corrected
    assert name_years(engine, "moussa keita sangare", 1971) == {("MOP-2026-0001", "p2")}
    assert ("MOP-2026-0001", "p1") in found(engine, KEY, "Aminata")  # the case's other person is untouched


def test_after_a_key_rotation_people_are_found_before_and_after_the_reindex(engine: Engine) -> None:
    add_people(bootstrap.build(engine, vault=KEY))
    before = rows(engine)
    rotated = IdentityVault([Fernet.generate_key().decode(), *KEY_NAMES])
    assert len(found(engine, rotated, "Aminata Traoré")) == 3  # the old key's digests are still asked
    people_index.reindex(engine, rotated)
    after = rows(engine)
    assert len(after) == len(before) and not {r[2] for r in after} & {r[2] for r in before}
    assert len(found(engine, rotated, "Aminata Traoré")) == 3
    assert found(engine, IdentityVault(KEY_NAMES), "Aminata Traoré") == set()  # the retired key finds nothing
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(person_index).where(
            person_index.c.digest.like("%aminata%"))) == 0

