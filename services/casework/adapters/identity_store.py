"""Re-sealing stored identities: rows written before encryption at rest, or under a key being retired."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from services.casework.adapters.tables import case_identities
from services.vault import IdentityVault


def reseal_all(conn: Connection, vault: IdentityVault, batch: int = 500) -> int:
    """Open every identities row with any configured key and seal it again with the newest; returns rows."""
    done, last = 0, ""
    while True:
        rows = conn.execute(select(case_identities).where(case_identities.c.case_id > last)
                            .order_by(case_identities.c.case_id).limit(batch)).all()
        if not rows:
            return done
        for case_id, data in rows:
            conn.execute(update(case_identities).where(case_identities.c.case_id == case_id)
                         .values(data=vault.seal(vault.open(data))))
        done += len(rows)
        last = rows[-1][0]


def replace_identities(conn: Connection, case_id: str, sealed: str) -> None:
    """Store a case's identities, sealed, in place of what it held (a correction, ADR 20)."""
    done = conn.execute(update(case_identities).where(case_identities.c.case_id == case_id).values(data=sealed))
    if not done.rowcount:  # a case registered before identities were kept: it gets its row now
        conn.execute(insert(case_identities).values(case_id=case_id, data=sealed))
