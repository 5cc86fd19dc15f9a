"""Builders of realistic incident records for tests and benchmarks (invented people, places from the design)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

OFFICES = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")
PLACES = {
    "Bamako": ("Kati", "Commune IV", "Koulikoro"), "Mopti": ("Djenné", "Bandiagara", "Koro", "Douentza"),
    "Gao": ("Ansongo", "Bourem", "Tessit"), "Timbuktu": ("Goundam", "Ber", "Niafunké"),
    "Kidal": ("Tessalit", "Aguelhok"), "Menaka": ("Anderamboukane", "Inekar"),
}
VIOLATIONS = ("killing", "injury", "abduction", "arbitrary_detention", "torture", "threats_and_intimidation")


def incident(sitrep: str, number: int, reported_at: datetime, office: str = "Mopti",
             location: str | None = None, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sitrep_id": sitrep, "incident_number": number, "reported_at": reported_at.isoformat(),
        "occurred_at": (reported_at - timedelta(days=2)).isoformat(), "office": office,
        "location": location or PLACES[office][number % len(PLACES[office])],
        "violation_types": [VIOLATIONS[number % len(VIOLATIONS)]], "perpetrator_category": "armed_group",
        "victims": {"female_adult": number % 3, "male_adult": 1}, "source_type": "direct_witness",
        "summary": f"Incident {number} reported in {sitrep}.",
        "identities": {"victims": [{"name": f"Victim Person {sitrep}-{number}"}]},
    }
    record.update(overrides)
    return record


def write_sitreps(path: Path, count: int, reported_at: datetime, seed: int = 7) -> Path:
    """`count` distinct incidents in one JSONL file, spread over offices and weekly sitreps."""
    rng = random.Random(seed)
    with path.open("w") as out:
        for n in range(count):
            office = OFFICES[n % len(OFFICES)]
            when = reported_at - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
            sitrep = f"SR-{office[:3].upper()}-{when:%G-W%V}"
            out.write(json.dumps(incident(sitrep, n + 1, when, office, location=f"Village {n}")) + "\n")
    return path
