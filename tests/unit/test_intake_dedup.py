"""Content hashes and the three de-duplication outcomes: replay, conflict, likely duplicate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.config import DEFAULT_OFFICES
from services.intake.domain.dedup import (
    CONFLICT,
    Accept,
    Conflict,
    Facts,
    Replay,
    decide,
    facts_of,
    normalise_location,
)
from services.intake.domain.incident import content_hash, content_hash_in_clear, identities_text, load_identities
from sitreps.key import split_key
from sitreps.validation import validate

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def loaded(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sitrep_id": "SR-GAO-2026-W45",
        "incident_number": 2,
        "reported_at": "2026-11-06T16:00:00+00:00",
        "occurred_at": "2026-11-03T06:00:00+00:00",
        "office": "Gao",
        "location": "Ansongo",
        "violation_types": ["killing", "attack_on_civilians"],
        "perpetrator_category": "armed_group",
        "victims": {"male_adult": 1},
        "source_type": "indirect_witness",
        "summary": "A man was killed during an attack on a market.",
    }
    record.update(changes)
    return validate(record, NOW, DEFAULT_OFFICES)


def facts(key: str = "SR-A#1", content: str = "h1", sitrep: str = "SR-A", day: date = date(2026, 11, 3),
          location: str = "ansongo", types: tuple[str, ...] = ("killing",)) -> Facts:
    return Facts(key, content, sitrep, day, location, frozenset(types))


def test_equal_content_has_the_same_hash_whatever_the_spelling_of_its_values():
    as_csv_would_write_it = loaded(incident_number="2", victims={"male_adult": "1"},
                                   reported_at="2026-11-06T17:00:00+01:00")
    assert content_hash(as_csv_would_write_it, "d1") == content_hash(loaded(), "d1")


def test_different_content_has_a_different_hash():
    assert content_hash(loaded(summary="A man was shot."), "d1") != content_hash(loaded(), "d1")
    assert content_hash(loaded(), "d2") != content_hash(loaded(), "d1")  # other identities, another digest


def test_identities_count_in_the_hash_only_through_their_keyed_digest():
    named = loaded(identities={"witnesses": [{"name": "Invented Witness"}]})
    assert content_hash(named, "d1") == content_hash(loaded(), "d1")
    assert content_hash_in_clear(named) != content_hash_in_clear(loaded())  # as versions before ADR 10 hashed


def test_the_identities_text_is_canonical_whatever_the_order_and_the_defaults_written():
    one = loaded(identities={"witnesses": [{"name": "W"}], "victims": [{"name": "V", "contact": None}]})
    other = loaded(identities={"victims": [{"name": "V"}], "witnesses": [{"name": "W"}], "sources": []})
    assert identities_text(one["identities"]) == identities_text(other["identities"])
    assert identities_text(load_identities({"victims": [{"name": "V"}], "witnesses": [{"name": "W"}]})) \
        == identities_text(one["identities"])


def test_locations_are_compared_without_case_accents_or_extra_spaces():
    assert normalise_location("  NIAFUNKE ") == normalise_location("Niafunké") == "niafunke"
    assert normalise_location("Gao,  Château quarter") == "gao, chateau quarter"


def test_facts_take_the_occurrence_date_and_the_normalised_place():
    got = facts_of(loaded(location="Ansongo  Cercle"), "d1")
    assert (got.occurred_on, got.location, got.sitrep_id) == (date(2026, 11, 3), "ansongo cercle", "SR-GAO-2026-W45")


def test_a_new_incident_is_accepted_with_no_possible_duplicates():
    assert decide(facts(), None, []) == Accept(())


def test_the_same_key_with_the_same_content_is_a_replay():
    assert decide(facts(), facts(), [facts()]) == Replay()


def test_the_same_key_with_a_hash_it_had_before_is_a_replay_and_older_hashes_are_asked_for_only_then():
    asked: list[str] = []

    def before() -> list[str]:
        asked.append("asked")
        return ["h0", "h1"]

    assert decide(facts(content="h2"), facts(content="h1"), [], before) == Replay()  # an older key's, say
    assert decide(facts(content="h2"), facts(content="h9"), [], before) == Conflict()
    assert decide(facts(), facts(), [], before) == Replay()
    assert decide(facts(), None, [], before) == Accept(())
    assert asked == ["asked", "asked"]


def test_the_same_key_with_different_content_is_a_conflict_and_the_first_version_is_kept():
    decision = decide(facts(content="h2"), facts(content="h1"), [])
    assert decision == Conflict()
    assert isinstance(decision, Conflict)
    assert decision.reason == CONFLICT
    assert "the first version is kept" in decision.reason


def test_another_report_of_the_same_day_place_and_violation_is_accepted_as_a_likely_duplicate():
    earlier = facts(key="SR-B#3", sitrep="SR-B", types=("killing", "abduction"))
    assert decide(facts(), None, [earlier]) == Accept(("SR-B#3",))


def test_likely_duplicates_are_listed_in_key_order():
    others = [facts(key=k, sitrep=split_key(k)[0]) for k in ("SR-C#1", "SR-B#9")]
    assert decide(facts(), None, others) == Accept(("SR-B#9", "SR-C#1"))


def test_another_incident_of_the_same_report_is_not_a_likely_duplicate():
    assert decide(facts(), None, [facts(key="SR-A#2")]) == Accept(())


def test_no_violation_type_in_common_means_no_likely_duplicate():
    assert decide(facts(), None, [facts(key="SR-B#1", sitrep="SR-B", types=("abduction",))]) == Accept(())


def test_another_day_or_another_place_means_no_likely_duplicate():
    other_day = facts(key="SR-B#1", sitrep="SR-B", day=date(2026, 11, 4))
    other_place = facts(key="SR-B#2", sitrep="SR-B", location="bourem")
    assert decide(facts(), None, [other_day, other_place]) == Accept(())
