"""Vocabularies with HURIDOCS codes: every code on the wire has both labels; versions only add or retire."""

from __future__ import annotations

import dataclasses

import pytest

from reference.vocabularies import (
    HuridocsTerm,
    VocabularyError,
    add_term,
    check_evolution,
    dump,
    parse,
    retire_term,
    shipped,
)
from schemas import vocabulary

ON_THE_WIRE = {"violation_types": vocabulary.VIOLATION_TYPES, "perpetrator_types": vocabulary.PERPETRATOR_CATEGORIES,
               "source_types": vocabulary.SOURCE_TYPES}


@pytest.mark.parametrize("name", sorted(ON_THE_WIRE))
def test_every_code_on_the_wire_is_there_with_english_and_french_labels(name: str) -> None:
    terms = shipped()[name]
    assert terms.codes() == ON_THE_WIRE[name]
    for code in ON_THE_WIRE[name]:
        labels = terms.term(code).labels
        assert labels["en"].strip() and labels["fr"].strip()
    assert shipped()["violation_types"].term("abduction").label("fr") == "Enlèvement"


def test_codes_are_unique_in_every_vocabulary() -> None:
    for terms in shipped().vocabularies.values():
        codes = terms.codes(include_retired=True)
        assert len(codes) == len(set(codes))


def test_huridocs_codes_come_from_the_named_micro_thesaurus() -> None:
    vocabularies = shipped()
    assert vocabularies["violation_types"].huridocs_list == {"number": 4, "name": "Types of acts"}
    assert vocabularies["violation_types"].term("torture").huridocs == HuridocsTerm("020111110000", "Torture", "exact")
    assert vocabularies["perpetrator_types"].term("unidentified").huridocs.code == "990000000000"  # type: ignore[union-attr]
    assert vocabularies["violation_types"].term("attack_on_civilians").huridocs is None
    assert [t.huridocs.code for t in vocabularies["source_reliability"].terms] == [  # type: ignore[union-attr]
        "010000000000", "020000000000", "030000000000", "040000000000", "050000000000", "990000000000"]


def test_occupations_hold_the_three_groups_of_sdg_16_10_1() -> None:
    occupations = shipped()["occupation_categories"]
    assert [t.code for t in occupations.terms if t.sdg_16_10_1] == ["human_rights_defender", "journalist",
                                                                    "trade_unionist"]
    assert occupations.term("other").sdg_16_10_1 is False


def test_an_admin_adds_a_term_in_a_new_version() -> None:
    before = shipped()
    after = add_term(before, "violation_types", "denial_of_humanitarian_access",
                     {"en": "Denial of humanitarian access", "fr": "Refus d'accès humanitaire"})
    assert after.version == before.version + 1
    added = after["violation_types"].term("denial_of_humanitarian_access")
    assert (added.added_in, added.retired) == (after.version, False)
    assert after["violation_types"].codes()[:-1] == before["violation_types"].codes()
    assert parse(dump(after)) == after


def test_a_retired_term_stays_for_old_records_but_is_not_offered() -> None:
    after = retire_term(shipped(), "source_types", "other")
    assert "other" not in after["source_types"].codes()
    assert "other" in after["source_types"].codes(include_retired=True)


def test_a_code_is_never_reused_even_once_retired() -> None:
    retired = retire_term(shipped(), "source_types", "media")
    with pytest.raises(VocabularyError, match=r"source_types.media: the code is taken"):
        add_term(retired, "source_types", "media", {"en": "Media", "fr": "Médias"})


def _changed(name: str, code: str, **changes: object):  # type: ignore[no-untyped-def]
    current = shipped()
    terms = tuple(dataclasses.replace(t, **changes) if t.code == code else t for t in current[name].terms)
    vocab = dataclasses.replace(current[name], terms=terms)
    return dataclasses.replace(current, version=current.version + 1,
                               vocabularies={**current.vocabularies, name: vocab})


def test_the_never_renumber_check_refuses_a_changed_meaning() -> None:
    killings = HuridocsTerm("010101000000", "Deliberate killings", "exact")
    changed = _changed("violation_types", "killing", huridocs=killings)
    with pytest.raises(VocabularyError, match=r"violation_types.killing: its HURIDOCS code or version cannot change"):
        check_evolution(shipped(), changed)


def test_the_never_renumber_check_refuses_a_removed_or_revived_code() -> None:
    current = shipped()
    vocab = dataclasses.replace(current["source_types"], terms=current["source_types"].terms[1:])
    removed = dataclasses.replace(current, version=2, vocabularies={**current.vocabularies, "source_types": vocab})
    with pytest.raises(VocabularyError, match=r"source_types.victim: a code cannot be removed; retire it"):
        check_evolution(current, removed)
    retired = retire_term(current, "source_types", "other")
    revived = dataclasses.replace(retired, version=3, vocabularies={**current.vocabularies})
    with pytest.raises(VocabularyError, match=r"source_types.other: a retired code cannot come back"):
        check_evolution(retired, revived)


def test_a_change_without_a_new_version_is_refused() -> None:
    same_version = dataclasses.replace(_changed("source_types", "ngo", labels={"en": "NGO", "fr": "ONG locale"}),
                                       version=shipped().version)
    with pytest.raises(VocabularyError, match=r"version: 1 must be above 1"):
        check_evolution(shipped(), same_version)


@pytest.mark.parametrize(("term", "message"), [
    ({"code": "Killing", "labels": {"en": "K", "fr": "M"}, "added_in": 1}, "'Killing' is not a code"),
    ({"code": "killing", "labels": {"en": "Killing"}, "added_in": 1}, "violation_types.killing.labels: no label in fr"),
    ({"code": "killing", "labels": {"en": "K", "fr": "M"}, "added_in": 2}, "added_in: 2 is not a version from 1 to 1"),
    ({"code": "killing", "labels": {"en": "K", "fr": "M"}, "added_in": 1,
      "huridocs": {"code": "0101", "match": "exact"}},
     "needs a 12-digit code"),
])
def test_a_malformed_term_is_refused_with_its_field_named(term: dict[str, object], message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        parse({"version": 1, "vocabularies": {"violation_types": {"terms": [term]}}})


def test_a_repeated_code_is_refused() -> None:
    term = {"code": "killing", "labels": {"en": "Killing", "fr": "Meurtre"}, "added_in": 1}
    with pytest.raises(VocabularyError, match=r"violation_types.killing: the code appears twice"):
        parse({"version": 1, "vocabularies": {"violation_types": {"terms": [term, term]}}})
