"""The API tests' world with people named across two offices, for the blind index (ADR 23)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from schemas.topics import INCIDENTS
from services.casework.bootstrap import Casework
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.vault import IdentityVault
from sitreps.key import incident_key
from tests.integration.api_world import KEY, T0

# Gao: G1 names her with a variant and a date of birth, G2 another Aminata; Mopti: M6 names her without one.
PEOPLE = {
    ("Gao", 1): {"p1": {"names": ["TRAORE aminata", "Aminata Traoré-Diallo"], "date_of_birth": "1990-05-01"}},
    ("Gao", 2): {"p1": {"names": ["Aminata Coulibaly"]}},
    ("Mopti", 6): {"p1": {"names": ["Aminata Traoré"]}, "p2": {"names": ["Moussa Keïta"], "date_of_birth": "1970"}},
}
GAO_REFS = {1: "GAO-2026-0001", 2: "GAO-2026-0002"}
M6 = "MOP-2026-0006"
SEARCHED_WORDS = ("aminata", "traore", "traoré", "coulibaly", "keita", "keïta", "moussa")


def person_incident(office: str, number: int, people: dict[str, Any], vault: IdentityVault = KEY) -> Message:
    key = incident_key(f"SR-P-{office}", number)
    payload = {
        "incident_key": key, "sitrep_id": f"SR-P-{office}", "incident_number": number, "reported_at": T0,
        "occurred_at": T0 - timedelta(days=1), "office": office, "location": "Konna", "violation_types": ["abduction"],
        "perpetrator_category": "unidentified", "victims": {"female_adult": 1}, "source_type": "ngo",
        "summary": "a woman abducted on the road", "assignee": None, "identities": vault.seal({"people": people}),
        "people": [{"ref": ref, "role": "victim", "sex": "female", "age_group": "adult"} for ref in people],
    }
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=T0, key=key, producer="intake", payload=payload,
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}")))
    return Message(INCIDENTS, 0, 100 + number, key, out.value, {"event_id": out.headers["event_id"]})


def add_people(casework: Casework) -> None:
    """Register the cases of PEOPLE, in one batch (as the pipeline would)."""
    casework.processor.process([person_incident(office, n, people, casework.vault)
                                for (office, n), people in PEOPLE.items()],
                               T0 + timedelta(hours=3))
