"""The likely-duplicate rule (window, place, violation, similarity) and what a decision on a pair makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.casework.domain.case import Case, apply
from services.casework.domain.duplicates import SIMILAR, WINDOW, Facts, decide, likely, similarity
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User
from services.casework.domain.summaries import summary_of

T = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
TEXT = "Three men were killed at the Douentza market by armed men on motorbikes"
A = Facts("a", "SR-1", T, "Douentza", "ML1801", "ML18", frozenset({"killing"}), TEXT)
B = replace(A, case_id="b", sitrep_id="SR-2", summary="Armed men on motorbikes killed three men at the market")
TL = User("tl_mopti", "team_leader", "Mopti")


def test_the_same_place_and_violation_within_the_window_is_a_likely_duplicate() -> None:
    pair = likely(A, replace(B, occurred_at=T + WINDOW))
    assert pair is not None and (pair.first, pair.second) == ("a", "b")
    assert pair.reasons[:3] == ("window", "same_place", "violation")


def test_a_day_beyond_the_window_is_not() -> None:
    assert likely(A, replace(B, occurred_at=T + WINDOW + timedelta(seconds=1))) is None
    assert likely(A, replace(B, occurred_at=None)) is None


def test_no_shared_violation_is_not() -> None:
    assert likely(A, replace(B, violations=frozenset({"torture"}))) is None


def test_in_the_same_region_only_similar_summaries_make_a_pair() -> None:
    elsewhere = replace(B, place="Boni", place_pcode="ML1803")
    assert similarity(A.summary, elsewhere.summary) >= SIMILAR
    pair = likely(A, elsewhere)
    assert pair is not None and "same_region" in pair.reasons and "similar_summary" in pair.reasons
    assert likely(A, replace(elsewhere, summary="A teacher shot on the road to Hombori")) is None
    assert likely(A, replace(elsewhere, region_pcode="ML05")) is None


def test_places_without_a_unit_compare_by_name_whatever_the_spelling() -> None:
    a, b = replace(A, place="Niafunké", place_pcode=None), replace(B, place=" NIAFUNKE", place_pcode=None)
    pair = likely(a, replace(b, summary="nothing alike"))
    assert pair is not None and "same_place" in pair.reasons and "similar_summary" not in pair.reasons


def test_a_score_measured_by_postgresql_is_taken_as_given() -> None:
    elsewhere = replace(B, place_pcode="ML1803")
    assert likely(A, elsewhere, score=0.1) is None
    assert likely(A, elsewhere, score=0.9).score == 0.9  # type: ignore[union-attr]


def test_similarity_is_pg_trgms_trigram_measure() -> None:
    assert similarity("word", "word") == 1.0
    assert similarity("word", "") == 0.0
    assert round(similarity("word", "two words"), 4) == round(4 / 11, 4)  # as pg_trgm documents it: 0.36363637


def test_two_cases_of_one_report_are_marked_so() -> None:
    pair = likely(A, replace(B, sitrep_id="SR-1"))
    assert pair is not None and pair.reasons[-1] == "same_report"


def case(case_id: str, reference: str, stage: str = "preliminary") -> Case:
    return Case(case_id, reference, f"k-{case_id}", "Mopti", stage, T, T, version=2)


PAIR = {"pair_id": "p1", "status": "open"}


def test_distinct_needs_a_note_and_notes_both_cases() -> None:
    with pytest.raises(CommandRefused, match="note"):
        decide(PAIR, case("a", "MOP-1"), case("b", "MOP-2"), "distinct", None, " ", TL, T)
    events = decide(PAIR, case("a", "MOP-1"), case("b", "MOP-2"), "distinct", None, "two markets", TL, T)
    assert [(e.type, e.payload["case_id"], e.payload["other_reference"]) for e in events] == [
        ("DuplicateDismissed", "a", "MOP-2"), ("DuplicateDismissed", "b", "MOP-1")]
    assert apply(case("a", "MOP-1"), events[0]) == case("a", "MOP-1")  # no change to the case itself


def test_the_same_incident_closes_the_other_case_as_merged_into_the_survivor() -> None:
    first, second = case("a", "MOP-1"), case("b", "MOP-2", "investigation")
    merged, absorbed = decide(PAIR, first, second, "same", "MOP-1", "", TL, T)
    assert (merged.type, merged.payload["case_id"], merged.payload["stage"]) == ("CaseMerged", "b", "closed")
    assert merged.payload["into_reference"] == "MOP-1" and merged.payload["previous_stage"] == "investigation"
    closed = apply(second, merged)
    assert (closed.stage, closed.closed_at, closed.merged_into) == ("closed", T, "MOP-1")
    assert not summary_of(closed)["closed_without_approval"]  # a merge is no closure that skipped the Director
    assert apply(first, absorbed).merged_from == ("MOP-2",)


def test_a_merge_names_a_case_of_the_pair_and_neither_may_be_closed() -> None:
    with pytest.raises(CommandRefused, match="survivor"):
        decide(PAIR, case("a", "MOP-1"), case("b", "MOP-2"), "same", "MOP-3", "", TL, T)
    with pytest.raises(CommandRefused, match="closed"):
        decide(PAIR, case("a", "MOP-1"), case("b", "MOP-2", "closed"), "same", "a", "", TL, T)
    with pytest.raises(CommandRefused, match="already decided"):
        decide({**PAIR, "status": "merged"}, case("a", "MOP-1"), case("b", "MOP-2"), "same", "a", "", TL, T)
