"""The blind index of people (ADR 23): rows written per case and person, lookups by digest, the rebuild."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select

from services.casework.adapters.tables import case_identities, cases, person_index
from services.casework.domain import people_index as rules
from services.messaging.many import execute_many
from services.vault import IdentityVault, WrongKey

log = logging.getLogger(__name__)
INSERT = insert(person_index)
_MATCHES = (select(person_index.c.case_id, person_index.c.person, person_index.c.digest, cases.c.reference,
                   cases.c.office)
            .join(cases, cases.c.case_id == person_index.c.case_id)
            .where(person_index.c.digest.in_(bindparam("digests", expanding=True))))


def person_rows(key: bytes, case_id: str, person: str, names: Iterable[str],
                date_of_birth: Any) -> list[dict[str, str]]:
    """The index rows of one person of a case: a digest per term, no name."""
    return [{"case_id": case_id, "person": person, "kind": term.kind, "digest": rules.digest(key, term)}
            for term in rules.terms(names, date_of_birth)]


def case_rows(key: bytes, case_id: str, identities: Mapping[str, Any]) -> list[dict[str, str]]:
    """The index rows of everyone in a case's opened identities."""
    return [row for ref, names, born in rules.people_of(identities)
            for row in person_rows(key, case_id, ref, names, born)]


def sealed_rows(vault: IdentityVault, case_id: str, sealed: str | None) -> list[dict[str, str]]:
    """The index rows of a case's sealed identities under the newest key; none when they hold no readable people
    (a key this installation lacks is intake's to refuse, and the case is still registered: reindex later)."""
    try:
        opened = vault.open(sealed)
    except (WrongKey, ValueError):
        log.warning("identities of case %s cannot be opened: its people are not in the blind index", case_id)
        return []
    return case_rows(vault.blind_index_keys()[0], case_id, opened) if isinstance(opened, Mapping) else []


def index_person(conn: Connection, vault: IdentityVault, case_id: str, person: str, names: Sequence[str],
                 date_of_birth: Any = None) -> int:
    """Replace one person's rows (their names or date of birth changed); returns the rows written."""
    conn.execute(delete(person_index).where(person_index.c.case_id == case_id, person_index.c.person == person))
    rows = person_rows(vault.blind_index_keys()[0], case_id, person, names, date_of_birth)
    execute_many(conn, INSERT, rows)
    return len(rows)


def index_case(conn: Connection, vault: IdentityVault, case_id: str, identities: Mapping[str, Any]) -> int:
    """Replace all of a case's rows from its opened identities; returns the rows written."""
    conn.execute(delete(person_index).where(person_index.c.case_id == case_id))
    rows = case_rows(vault.blind_index_keys()[0], case_id, identities)
    execute_many(conn, INSERT, rows)
    return len(rows)


@dataclass(frozen=True)
class Hit:
    case_id: str
    reference: str
    office: str
    person: str
    term: rules.Term


def lookup(conn: Connection, vault: IdentityVault, query: rules.Query) -> list[Hit]:
    """Every indexed person holding a term asked, under any configured key (a rotation not yet reindexed)."""
    by_digest = {rules.digest(key, term): term for key in vault.blind_index_keys() for term in query.all_terms()}
    if not by_digest:
        return []
    rows = conn.execute(_MATCHES, {"digests": list(by_digest)})
    return [Hit(case_id, reference, office, person, by_digest[found])
            for case_id, person, found, reference, office in rows]


def reindex(engine: Engine, vault: IdentityVault, batch: int = 500) -> tuple[int, int]:
    """Rebuild the index from every case's sealed identities under the newest key, a batch of cases per transaction
    (the pipeline is held up by one batch at most); returns (cases, rows)."""
    done, written, last = 0, 0, ""
    while True:
        with engine.begin() as conn:
            found = conn.execute(select(case_identities.c.case_id, case_identities.c.data)
                                 .where(case_identities.c.case_id > last)
                                 .order_by(case_identities.c.case_id).limit(batch)).all()
            if not found:
                return done, written
            ids = [case_id for case_id, _ in found]
            conn.execute(delete(person_index).where(person_index.c.case_id.in_(ids)))
            rows = [row for case_id, data in found for row in sealed_rows(vault, case_id, data)]
            execute_many(conn, INSERT, rows)
        done, written, last = done + len(found), written + len(rows), ids[-1]
