"""Search of cases (ADR 0021): what a case's document holds (never identities), how words are folded and stemmed, and
the excerpt of a result with its hits marked by offsets (plain text: whoever shows it escapes it)."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import snowballstemmer

from reference.gazetteer import gazetteer
from reference.places import region_of_incident, unit_of_place
from services.casework.domain.case import Case

EXCERPT = 240  # characters of a result's excerpt, as the list's excerpt
MAX_WORDS = 12  # words of a query that count: a pasted paragraph is not a search
_WORD = re.compile(r"\w+")
# The texts of a case's events that are searched, by event type: officers' notes and reasons. Consent events are
# left out on purpose: their notes are about a person, and a person's identity is never searchable.
NOTE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "CaseRecorded": ("note",), "ActivityLogged": ("description",), "StageChanged": ("note",),
    "DelayJustified": ("note",), "CaseReviewed": ("note",), "ClosureRequested": ("note",),
    "ClosureApproved": ("note",), "ClosureRejected": ("note",), "FollowUpRecorded": ("note",),
    "CaseReopened": ("reason",), "IncidentAmended": ("reason",),
}


_LOCAL = threading.local()  # a Snowball stemmer keeps the word it works on: one per thread (pages, workers)


def _stemmer(language: str) -> Any:
    found = getattr(_LOCAL, language, None)
    if found is None:
        found = snowballstemmer.stemmer(language)
        setattr(_LOCAL, language, found)
    return found


def fold(word: str) -> str:
    """A word as it is compared: without accents or case ("Ménaka" -> "menaka"; "Œuvre" -> "oeuvre")."""
    if word.isascii():  # no accent, no ligature, and NFKD leaves ASCII as it is: the per-character walk is not needed
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=100_000)
def stems(word: str) -> frozenset[str]:
    """The French and English stems of one folded word: a query word matches a document word sharing one. Cached: a
    Snowball stem costs about a hundred microseconds in Python, and the words of case texts repeat. A number is its
    own stem (and numbers rarely repeat: no stemmer, no cache entry worth keeping)."""
    if word.isdigit():
        return frozenset((word,))
    return frozenset((_stemmer("french").stemWord(word), _stemmer("english").stemWord(word)))


@lru_cache(maxsize=100_000)
def _indexed(word: str) -> str:
    """A word as written, as the SQLite index holds it: its stems, space-separated. Cached on the word as written,
    so that a word met again costs one lookup (folding it is most of what a new word costs after its stems)."""
    return " ".join(sorted(stems(fold(word))))


def stemmed(text: str) -> str:
    """A text as the SQLite index holds it: each word's stems, space-separated (the order is kept for nearness)."""
    return " ".join(_indexed(word) for word in _WORD.findall(text))


def query_words(q: str) -> list[str]:
    """The folded words of a query, without repeats, at most MAX_WORDS."""
    return list(dict.fromkeys(fold(m.group()) for m in _WORD.finditer(q)))[:MAX_WORDS]


def place_text(case: Case) -> str:
    """Where: the location as written, the gazetteer unit it stands for and that unit's region, by name."""
    facts = case.details
    names = [facts.get("location") or ""]
    unit = unit_of_place(facts.get("place_pcode"), facts.get("location"))
    region = region_of_incident(facts.get("place_pcode"), facts.get("location"))
    for found in (unit, region):
        if found is not None and found.name not in names:
            names.append(found.name)
    return " ".join(name for name in names if name)


def region_name(pcode: str | None) -> str | None:
    found = gazetteer().get(pcode) if pcode else None
    return found.name if found else None


def document_of(case: Case) -> dict[str, str]:
    """The searched texts a case holds itself: its summary and its place (the notes come from its events)."""
    return {"case_id": case.case_id, "summary": case.details.get("summary") or "", "place": place_text(case)}


def notes_of(event_type: str, payload: Mapping[str, Any]) -> str:
    """The searched text of one case event (empty for events that carry none)."""
    texts = (payload.get(name) for name in NOTE_FIELDS.get(event_type, ()))
    return "\n".join(text.strip() for text in texts if isinstance(text, str) and text.strip())


def ranks_among(documents: list[str], words: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 of each document (the stems the SQLite index holds) for a query's words, each stem a phrase as the
    index matches them, with the statistics of these documents alone (how many hold each stem, their mean length):
    FTS5's bm25() takes them from every document holding a stem, a walk of all of them (ADR 0026's addendum).
    Higher is better; a stem held by most of the documents weighs next to nothing, as FTS5's clamped IDF does."""
    phrases = [f" {stem} " for stem in sorted({stem for word in words for stem in stems(word)})]
    # Each stem between spaces of its own ("a  b"), so that str.count finds two of the same stem side by side; no
    # list of words is made per document (a thousand documents of some fifty stems each, on every such search).
    spaced = [f" {document.replace(' ', '  ')} " for document in documents]
    counts = [[held.count(p) for p in phrases] for held in spaced]
    lengths = [document.count(" ") + 1 for document in documents]
    n = len(documents)
    mean = sum(lengths) / n if n else 1.0
    idf = [max(1e-6, math.log((n - having + 0.5) / (having + 0.5)))
           for having in (sum(1 for tf in column if tf) for column in zip(*counts, strict=True))]
    return [sum(weight * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / mean))
                for weight, tf in zip(idf, held, strict=True) if tf)
            for held, length in zip(counts, lengths, strict=True)]


def hits(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Where in `text` the words of a query are found (start, end), by the same folding and stems as the index."""
    wanted: set[str] = set()
    for word in words:
        wanted |= stems(word)
    return [(m.start(), m.end()) for m in _WORD.finditer(text) if stems(fold(m.group())) & wanted]


def excerpt(text: str, words: Iterable[str], width: int = EXCERPT) -> tuple[str, list[tuple[int, int]]]:
    """Up to `width` characters of `text` around its first hit, and the hits within it (offsets into the excerpt)."""
    found = hits(text, words)
    start = 0
    if found and found[0][1] > width:  # the first hit is beyond the start: show it with some words before it
        start = max(0, found[0][0] - width // 4)
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    piece = text[start:start + width]
    inside = [(a - start, b - start) for a, b in found if a >= start and b <= start + width]
    prefix = "…" if start > 0 else ""
    return prefix + piece, [(a + len(prefix), b + len(prefix)) for a, b in inside]
