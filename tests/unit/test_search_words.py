"""The words of search (ADR 0021): folding, stems, the excerpt's marks, and the web's escaping of them."""

from __future__ import annotations

from flask import Flask

from services.casework.domain.search import excerpt, fold, notes_of, query_words, ranks_among, stemmed
from services.casework.web.filters import marked


def test_words_are_folded_without_accents_or_case() -> None:
    assert fold("Ménaka") == "menaka"
    assert fold("ŒUVRE") == "oeuvre"
    assert query_words("Tombouctou, TOMBOUCTOU et Ménaka !") == ["tombouctou", "et", "menaka"]
    assert query_words("?!") == []


def test_french_and_english_forms_share_a_stem() -> None:
    assert set(stemmed("attaques").split()) & set(stemmed("attaque").split())
    assert set(stemmed("killings").split()) & set(stemmed("killed").split())
    assert not set(stemmed("école").split()) & set(stemmed("killed").split())


def test_the_excerpt_marks_each_word_found_as_written() -> None:
    text, marks = excerpt("Deux attaques près de Ménaka; l'attaque du marché", ["attaque", "menaka"])
    assert [text[a:b] for a, b in marks] == ["attaques", "Ménaka", "attaque"]


def test_a_far_hit_is_shown_with_the_words_before_it() -> None:
    text, marks = excerpt("word " * 100 + "Tombouctou at last", ["tombouctou"], width=80)
    assert text.startswith("…") and len(text) <= 81
    assert [text[a:b] for a, b in marks] == ["Tombouctou"]


def test_only_notes_and_reasons_of_officers_are_searched() -> None:
    assert notes_of("ActivityLogged", {"description": " met the prefect "}) == "met the prefect"
    assert notes_of("ClosureRequested", {"note": "no second source", "reason": "unsubstantiated"}) == "no second source"
    assert notes_of("ConsentWithdrawn", {"note": "about a person"}) == ""


def test_the_web_escapes_what_an_officer_wrote_and_marks_only_the_hits() -> None:
    with Flask(__name__).app_context():
        shown = marked({"text": "<b>Ménaka</b> & co", "highlights": [{"start": 3, "end": 9}]})
    assert str(shown) == "&lt;b&gt;<mark>Ménaka</mark>&lt;/b&gt; &amp; co"


def test_results_beyond_the_bound_are_ranked_by_how_much_of_the_query_each_holds() -> None:
    documents = [stemmed(text) for text in (  # a window of matches: each holds every word of the query
        "Soldiers stopped a convoy near the market and burned it.",
        "A convoy, then a second convoy, stopped at the checkpoint; the convoy's escort burned a truck.",
        "Soldiers stopped a convoy near the market and burned houses along the road to the river crossing.",
        "A convoy burned, and the houses burned, and the market burned.",
    )]
    ranks = ranks_among(documents, query_words("convoy"))
    assert ranks[1] > ranks[0] > ranks[2]  # three mentions first; then the shorter of two mentioning it once
    both = ranks_among(documents, query_words("convoy burned"))
    assert max(range(4), key=both.__getitem__) == 3  # the most of both words, for its length
    assert all(rank > 0 for rank in both)
    twice = ranks_among([stemmed("convoy convoy"), stemmed("convoy")], query_words("convoy"))
    assert twice[0] > twice[1]  # the same stem side by side counts twice
