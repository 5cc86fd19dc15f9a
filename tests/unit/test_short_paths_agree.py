"""The write path's short cuts give exactly what the long way gives: the folds of places, search words and people's
names for ASCII text, and the blind index's digests with the key absorbed once (stored digests, stems and matches
depend on them)."""

import hashlib
import hmac
import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from reference import gazetteer
from services.casework.domain import people_index, search

ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=40)


def _stripped(text: str) -> str:
    """Accents stripped by decomposition, then case folded: what each fold did for every text before."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


@given(ASCII)
def test_the_gazetteer_folds_ascii_as_it_folds_everything(text: str) -> None:
    assert gazetteer.fold(text) == " ".join(re.sub(r"[^a-z0-9]+", " ", _stripped(text)).split())


@given(ASCII)
def test_a_search_word_folds_ascii_as_it_folds_everything(word: str) -> None:
    assert search.fold(word) == _stripped(word)


@given(ASCII)
def test_a_name_is_normalised_in_ascii_as_any_name_is(name: str) -> None:
    bare = _stripped(name.casefold())
    assert people_index.normalise(name) == " ".join(re.sub(r"[^\w\s]|_", " ", bare).split())


def test_accented_text_still_takes_the_long_path() -> None:
    assert gazetteer.fold("Ségou \u2019 Région") == "segou region"
    assert search.fold("Œuvre") == "oeuvre" and search.fold("Ménaka") == "menaka"
    assert people_index.normalise("Aminata TRAORÉ-Diallo") == "aminata traore diallo"


@given(st.binary(max_size=100), st.text(max_size=40))
def test_a_digest_is_the_hmac_sha256_of_the_term_under_any_key(key: bytes, text: str) -> None:
    expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]
    assert people_index.digest(key, people_index.Term(people_index.TOKEN, text)) == expected


def test_the_terms_of_a_name_with_a_birth_year() -> None:
    terms = people_index.terms(["Aminata Traoré", "Traore Aminata"], "1990-05-01")
    assert terms == [people_index.Term("token", "aminata"), people_index.Term("token", "traore"),
                     people_index.Term("name_year", "aminata traore|1990")]
