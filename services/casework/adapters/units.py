"""The perpetrator units table: the admin's list of named units, read and written whole-row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from services.casework.adapters.tables import perpetrator_units
from services.casework.domain.units import Unit, new_unit, retire
from services.messaging.times import utc


def list_units(conn: Connection, include_retired: bool = True) -> list[Unit]:
    query = select(perpetrator_units).order_by(perpetrator_units.c.perpetrator_category, perpetrator_units.c.name)
    if not include_retired:
        query = query.where(perpetrator_units.c.retired.is_(False))
    return [_unit(row) for row in conn.execute(query).mappings()]


def _unit(row: Any) -> Unit:
    return Unit(**{**row, "added_at": utc(row["added_at"])})  # SQLite keeps no time zone: its times are UTC


def add_unit(conn: Connection, code: str, name: str, perpetrator_category: str, un_supported_security_force: bool,
             now: datetime) -> Unit:
    """Add a unit (ValueError naming the field when it is refused)."""
    unit = new_unit(code, name, perpetrator_category, un_supported_security_force, list_units(conn), now)
    conn.execute(insert(perpetrator_units).values(**vars(unit)))
    return unit


def retire_unit(conn: Connection, code: str) -> Unit:
    """Retire a unit: kept for the acts that name it, offered no more (LookupError for an unknown code)."""
    row = conn.execute(select(perpetrator_units).where(perpetrator_units.c.code == code)).mappings().first()
    if row is None:
        raise LookupError(f"code: no unit {code!r}")
    unit = retire(_unit(row))
    conn.execute(update(perpetrator_units).where(perpetrator_units.c.code == code).values(retired=True))
    return unit
