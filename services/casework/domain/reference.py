"""Human-readable case references such as MOP-2026-0007: office code, year reported, sequence."""

from __future__ import annotations

import uuid


def case_id_for(incident_key: str) -> str:
    """Deterministic, so a redelivered incident can never open a second case."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hrcase:case:{incident_key}"))


def office_code(office: str) -> str:
    letters = "".join(ch for ch in office.upper() if ch.isalpha())
    return (letters[:3] or "OFF").ljust(3, "X")


def reference(office: str, year: int, sequence: int) -> str:
    return f"{office_code(office)}-{year}-{sequence:04d}"
