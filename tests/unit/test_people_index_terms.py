"""The blind index's terms: names normalised (case, accents, punctuation, word order), variants, birth years."""

from __future__ import annotations

from datetime import date

from services.casework.domain.people_index import (
    NAME_YEAR,
    TOKEN,
    Query,
    Term,
    birth_year,
    digest,
    normalise,
    people_of,
    strength,
    terms,
    tokens,
)

KEY, OTHER_KEY = b"k" * 32, b"o" * 32


def test_case_accents_and_punctuation_do_not_matter() -> None:
    assert normalise("  TRAORÉ, Aminata-Ñúñez ") == "traore aminata nunez"
    assert tokens("Aminata Traoré") == ["aminata", "traore"]
    assert tokens("TRAORE aminata") == ["traore", "aminata"]
    assert tokens("Ag Ahmed O. Maïga") == ["ag", "ahmed", "maiga"]  # one letter is no token


def test_aminata_traore_finds_traore_aminata_with_the_same_birth_year_only() -> None:
    indexed = set(terms(["TRAORE aminata", "Aminata Traore-Diallo"], "1990-05-01"))
    asked = Query(("Aminata Traoré",), 1990)
    assert strength(asked, indexed & set(asked.all_terms())) == "name_year"
    another_year = Query(("Aminata Traoré",), 1991)
    assert strength(another_year, indexed & set(another_year.all_terms())) == "all_tokens"
    one_word = Query(("Aminata Coulibaly",))
    assert strength(one_word, indexed & set(one_word.all_terms())) == "some_tokens"
    stranger = Query(("Moussa Keita",))
    assert strength(stranger, indexed & set(stranger.all_terms())) is None


def test_every_spelling_variant_is_indexed() -> None:
    found = terms(["Mohamed Ag Intalla", "Mohammed Ag Intallah"], date(1975, 1, 2))
    words = {t.text for t in found if t.kind == TOKEN}
    assert words == {"mohamed", "mohammed", "ag", "intalla", "intallah"}
    assert {t.text for t in found if t.kind == NAME_YEAR} == {"ag intalla mohamed|1975", "ag intallah mohammed|1975"}
    variant = Query(("Intallah Mohammed Ag",), 1975)
    assert strength(variant, set(found)) == "name_year"


def test_without_a_birth_year_there_is_no_name_year_term() -> None:
    assert {t.kind for t in terms(["Awa Diarra"])} == {TOKEN}
    assert birth_year("1988") == 1988 and birth_year(None) is None and birth_year("unknown") is None


def test_digests_are_keyed_and_never_hold_the_name() -> None:
    term = Term(TOKEN, "traore")
    assert digest(KEY, term) == digest(KEY, Term(TOKEN, "traore"))
    assert digest(KEY, term) != digest(OTHER_KEY, term)
    assert len(digest(KEY, term)) == 32 and "traore" not in digest(KEY, term)


def test_people_of_both_versions_of_identities_are_found() -> None:
    opened = {"people": {"p2": {"names": ["Awa Diarra"], "date_of_birth": "2001-03-04"}, "p1": {"names": []}},
              "victims": [{"name": "Sekou Traoré"}], "witnesses": [{"name": " "}]}
    assert people_of(opened) == [("p2", ["Awa Diarra"], "2001-03-04"), ("victims.0", ["Sekou Traoré"], None)]
