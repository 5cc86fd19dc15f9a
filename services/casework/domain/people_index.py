"""The blind index of people: names normalised into terms, each kept only as a keyed digest (ADR 23).

Pure: the key comes from the caller (derived from the identity key by the vault, never stored)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

TOKEN = "token"
NAME_YEAR = "name_year"
KINDS = (TOKEN, NAME_YEAR)
MIN_TOKEN = 2
DIGEST_CHARS = 32  # 128 bits of HMAC-SHA256, in hex
_BLOCK = 64  # SHA-256's block size, in bytes
# Strengths of a match, strongest first: the name with the birth year, every token of a name, some of them.
STRENGTHS = ("name_year", "all_tokens", "some_tokens")
_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)
_YEAR = re.compile(r"^(\d{4})")


class Term(NamedTuple):  # a tuple: made and hashed several times per person on every registration
    kind: str  # token or name_year
    text: str  # normalised; never stored, only its digest


def normalise(name: str) -> str:
    """Case folded, accents stripped (NFKD), punctuation turned into spaces, spaces collapsed."""
    folded = name.casefold()
    if folded.isascii():  # no accent to strip, and NFKD leaves ASCII as it is: most names skip the per-character walk
        bare = folded
    else:
        decomposed = unicodedata.normalize("NFKD", folded)
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub(" ", bare).split())


def tokens(name: str) -> list[str]:
    """The normalised tokens of a name that count (two characters or more), each once, in order."""
    return list(dict.fromkeys(t for t in normalise(name).split() if len(t) >= MIN_TOKEN))


def birth_year(date_of_birth: Any) -> int | None:
    """The year of a date of birth as stored ("1990-05-01", a date) or a year given alone."""
    if date_of_birth is None or date_of_birth == "":
        return None
    if isinstance(date_of_birth, int):
        return date_of_birth
    year = getattr(date_of_birth, "year", None)
    if isinstance(year, int):
        return year
    found = _YEAR.match(str(date_of_birth).strip())
    return int(found.group(1)) if found else None


def name_year(name: str, year: int) -> str | None:
    """The whole name, its tokens sorted (word order does not matter), with the year: None without tokens."""
    words = tokens(name)
    return f"{' '.join(sorted(words))}|{year}" if words else None


def terms(names: Iterable[str], date_of_birth: Any = None) -> list[Term]:
    """Every term a person is indexed under: each token of every name and spelling variant, and each name with the
    birth year when it is known."""
    year = birth_year(date_of_birth)
    found: dict[Term, None] = {}
    for name in names:
        words = tokens(name)
        for token in words:
            found[Term(TOKEN, token)] = None
        if year is not None and words:  # as name_year() says, from the tokens at hand
            found[Term(NAME_YEAR, f"{' '.join(sorted(words))}|{year}")] = None
    return list(found)


def digest(key: bytes, term: Term) -> str:
    """HMAC-SHA256 of the term under the blind-index key: equal terms give equal digests, and without the key no
    guessed name can be tested against one. A name-year term holds "|", which no token does, so kinds never clash."""
    inner, outer = _keyed(key)
    inner = inner.copy()
    inner.update(term.text.encode())
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()[:DIGEST_CHARS]


@lru_cache(maxsize=8)  # the blind index's keys: a handful per installation
def _keyed(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer hashes with the key already absorbed (RFC 2104): a digest then hashes only its
    term, where `hmac.new` pads and absorbs the key anew for each of a registration's terms (tests/unit/
    test_ascii_folds.py holds the result equal to `hmac.new`'s)."""
    block = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block)))


def people_of(identities: Mapping[str, Any]) -> list[tuple[str, list[str], Any]]:
    """(person ref, names, date of birth) of everyone in opened identities: the people of version 2 by their ref,
    and the named victims, witnesses and sources of version 1 by their list and position ("victims.0")."""
    found: list[tuple[str, list[str], Any]] = []
    for ref, person in sorted((identities.get("people") or {}).items()):
        names = [n for n in (person or {}).get("names") or [] if isinstance(n, str)]
        if names:
            found.append((str(ref)[:16], names, person.get("date_of_birth")))
    for group in ("victims", "witnesses", "sources"):
        for number, person in enumerate(identities.get(group) or []):
            if isinstance(person, Mapping) and isinstance(person.get("name"), str) and person["name"].strip():
                found.append((f"{group}.{number}"[:16], [person["name"]], None))
    return found


@dataclass(frozen=True)
class Query:
    """What a lookup asks: each name given (with its variants as further names) and perhaps a birth year."""

    names: tuple[str, ...]
    year: int | None = None

    def wanted(self) -> list[tuple[list[Term], Term | None]]:
        """Per name: its token terms, and its name-year term when a year is given."""
        asked = []
        for name in self.names:
            words = [Term(TOKEN, t) for t in tokens(name)]
            whole = name_year(name, self.year) if self.year is not None else None
            if words:
                asked.append((words, Term(NAME_YEAR, whole) if whole else None))
        return asked

    def all_terms(self) -> list[Term]:
        seen: dict[Term, None] = {}
        for words, whole in self.wanted():
            seen.update(dict.fromkeys(words))
            if whole is not None:
                seen[whole] = None
        return list(seen)


def strength(query: Query, held: set[Term]) -> str | None:
    """How strongly one indexed person matches: the name with the birth year, every token of one name asked, some
    tokens; None for no match. `held`: the asked terms found among that person's digests."""
    best: str | None = None
    for words, whole in query.wanted():
        if whole is not None and whole in held:
            return "name_year"
        matched = [w for w in words if w in held]
        if matched and len(matched) == len(words):
            best = "all_tokens"
        elif matched and best is None:
            best = "some_tokens"
    return best


def strongest(strengths: Sequence[str]) -> str:
    return min(strengths, key=STRENGTHS.index)
