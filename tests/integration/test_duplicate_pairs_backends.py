"""Likely duplicates found on both databases: on PostgreSQL pg_trgm's similarity() scores the summaries, on SQLite the
domain's own measure, and the two agree (ADR 0022)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from schemas.topics import INCIDENTS
from services.casework import bootstrap
from services.casework.adapters import case_figures, duplicates, tables
from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.duplicates import similarity
from services.casework.domain.roles import User
from services.messaging.ports import Message
from services.messaging.processing import emit
from services.vault import IdentityVault
from sitreps.key import incident_key
from tests.integration.backends import BACKENDS, migrated

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
KEY = IdentityVault.generate()
SUMMARIES = ("Three men were killed at the Douentza market by armed men on motorbikes",
             "Armed men on motorbikes killed three men near the market of Boni",
             "A teacher was shot dead on the road to Hombori")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from migrated(request, tmp_path, bootstrap.migrate)


def accepted(number: int, office: str, place_pcode: str, summary: str, days: int) -> Message:
    key = incident_key(f"SR-{office}", number)
    payload = {"incident_key": key, "sitrep_id": f"SR-{office}", "incident_number": number, "reported_at": T0,
               "occurred_at": T0 - timedelta(days=days), "office": office, "location": "Douentza",
               "place_pcode": place_pcode, "violation_types": ["killing"], "perpetrator_category": "armed_group",
               "victims": {"male_adult": 3}, "source_type": "ngo", "summary": summary,
               "identities": KEY.seal({})}
    out = emit(INCIDENTS, "IncidentAccepted", occurred_at=T0, key=key, producer="intake", payload=payload,
               event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{key}")))
    return Message(INCIDENTS, 0, number, key, out.value, {"event_id": out.headers["event_id"]})


def test_pairs_of_one_region_are_scored_by_their_summaries_alike_on_both_databases(engine: Engine) -> None:
    casework = bootstrap.build(engine, vault=KEY)
    # Mopti's killing at Douentza market; Gao's at Boni (same region, other unit) in other words; a shooting at
    # Hombori (same region) told otherwise; all within three days.
    casework.processor.process([accepted(1, "Mopti", "ML1801", SUMMARIES[0], 1)], T0)
    casework.processor.process([accepted(1, "Gao", "ML1803", SUMMARIES[1], 2),
                                accepted(2, "Gao", "ML1802", SUMMARIES[2], 3)], T0 + timedelta(hours=1))
    with engine.connect() as conn:
        pairs = conn.execute(select(tables.duplicate_pairs)).mappings().all()
        offices = {(p["first_office"], p["second_office"]) for p in pairs}
        if engine.dialect.name == "postgresql":
            measured = conn.scalar(text("select public.similarity(:a, :b)"), {"a": SUMMARIES[0], "b": SUMMARIES[1]})
            assert measured == pytest.approx(similarity(SUMMARIES[0], SUMMARIES[1]), abs=1e-6)
    assert len(pairs) == 1 and offices <= {("Mopti", "Gao"), ("Gao", "Mopti")}
    assert pairs[0]["status"] == "open" and pairs[0]["reasons"] == "window same_region violation similar_summary"
    assert pairs[0]["score"] == pytest.approx(similarity(SUMMARIES[0], SUMMARIES[1]), abs=1e-3)


def test_the_overview_counts_a_merged_case_apart_on_both_databases(engine: Engine) -> None:
    """The overview's closures come from aggregate queries: a merged case counts as merged, not as a closure without
    a Director's approval nor with one, on PostgreSQL as on SQLite."""
    casework = bootstrap.build(engine, vault=KEY)
    casework.processor.process([accepted(1, "Mopti", "ML1801", SUMMARIES[0], 1)], T0)
    casework.processor.process([accepted(2, "Mopti", "ML1801", SUMMARIES[0], 1)], T0 + timedelta(hours=1))
    with engine.begin() as conn:
        repo.save_user(conn, User("tl_mopti", "team_leader", "Mopti"))
        pair = conn.execute(select(tables.duplicate_pairs)).mappings().one()
    with casework.unit_of_work() as work:
        work.execute(c.DecideDuplicate(pair["first_case_id"], "tl_mopti", pair["pair_id"], "same",
                                       pair["second_case_id"], "one killing"), T0 + timedelta(hours=2))
    with engine.connect() as conn:
        total = case_figures.counts(conn, None, T0 + timedelta(hours=3))[case_figures.TOTAL]
    assert (total["closed"], total["closed_merged"], total["closed_without_approval"]) == (1, 1, 0)


def test_cases_registered_before_duplicate_review_are_paired_by_the_rebuild_and_decisions_stand(
        engine: Engine) -> None:
    """`hrcase read-model rebuild` looks for pairs among the cases not closed: those registered before the review
    existed (their pairs never looked for) are found; a pair decided already keeps its decision."""
    casework = bootstrap.build(engine, vault=KEY)
    casework.processor.process([accepted(1, "Mopti", "ML1801", SUMMARIES[0], 1)], T0)
    casework.processor.process([accepted(1, "Gao", "ML1803", SUMMARIES[1], 2),
                                accepted(2, "Mopti", "ML1801", SUMMARIES[0], 1)], T0 + timedelta(hours=1))
    with engine.begin() as conn:
        pairs = {p["pair_id"]: p for p in conn.execute(select(tables.duplicate_pairs)).mappings()}
        assert len(pairs) == 3
        decided = next(iter(pairs))
        duplicates.decided(conn, decided, "distinct", None, "tl_mopti", T0 + timedelta(hours=2), "two attacks")
        conn.execute(tables.duplicate_pairs.delete().where(tables.duplicate_pairs.c.pair_id != decided))
    with engine.begin() as conn:
        assert duplicates.look_again(conn) == 2
        again = {p["pair_id"]: p for p in conn.execute(select(tables.duplicate_pairs)).mappings()}
        assert again.keys() == pairs.keys()
        assert (again[decided]["status"], again[decided]["note"]) == ("distinct", "two attacks")
        assert {again[p]["status"] for p in again if p != decided} == {"open"}
        assert duplicates.look_again(conn) == 0
