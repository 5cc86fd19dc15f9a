"""Controlled vocabularies with HURIDOCS codes beside ours: versioned, added to or retired, never renumbered."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

LANGUAGES = ("en", "fr")
MATCHES = ("exact", "broader", "narrower", "related")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HURIDOCS_CODE = re.compile(r"^\d{12}$")
# The violations SDG indicator 16.10.1 counts against its victim groups (UN Statistics Division metadata, 2024):
# a violation type maps to one of them in the data (`sdg_16_10_1_violation`), or to none.
SDG_16_10_1_VIOLATIONS = ("killing", "kidnapping", "enforced_disappearance", "arbitrary_detention", "torture")


class VocabularyError(ValueError):
    """A vocabulary that is malformed, or a new version that would change or reuse a code."""


@dataclass(frozen=True)
class HuridocsTerm:
    code: str
    label_en: str
    match: str


@dataclass(frozen=True)
class Term:
    code: str
    labels: dict[str, str]
    added_in: int
    retired: bool = False
    huridocs: HuridocsTerm | None = None
    sdg_16_10_1: bool | None = None  # occupation categories only: one of SDG 16.10.1's victim groups
    sdg_16_10_1_violation: str | None = None  # violation types only: the SDG 16.10.1 violation it counts as

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True)
class Vocabulary:
    name: str
    huridocs_list: dict[str, Any] | None
    terms: tuple[Term, ...]

    def codes(self, include_retired: bool = False) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms if include_retired or not t.retired)

    def term(self, code: str) -> Term:
        for term in self.terms:
            if term.code == code:
                return term
        raise KeyError(f"{self.name} has no term {code!r}")


@dataclass(frozen=True)
class Vocabularies:
    version: int
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Vocabulary:
        return self.vocabularies[name]


def parse(data: dict[str, Any]) -> Vocabularies:
    """Vocabularies from their JSON form, every term checked."""
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise VocabularyError(f"version: {version!r} is not a positive whole number")
    vocabularies = {}
    for name, body in data.get("vocabularies", {}).items():
        terms = tuple(_term(name, raw, version) for raw in body.get("terms", []))
        seen: set[str] = set()
        for term in terms:
            if term.code in seen:
                raise VocabularyError(f"{name}.{term.code}: the code appears twice")
            seen.add(term.code)
        vocabularies[name] = Vocabulary(name, body.get("huridocs_list"), terms)
    return Vocabularies(version, vocabularies)


def _term(vocabulary: str, raw: dict[str, Any], version: int) -> Term:
    code = raw.get("code")
    where = f"{vocabulary}.{code}"
    if not isinstance(code, str) or not _CODE.match(code):
        raise VocabularyError(f"{vocabulary}: {code!r} is not a code (lower-case letters, digits and _)")
    labels = raw.get("labels") or {}
    missing = [lang for lang in LANGUAGES if not str(labels.get(lang, "")).strip()]
    if missing:
        raise VocabularyError(f"{where}.labels: no label in {', '.join(missing)}")
    added_in = raw.get("added_in")
    if not isinstance(added_in, int) or not 1 <= added_in <= version:
        raise VocabularyError(f"{where}.added_in: {added_in!r} is not a version from 1 to {version}")
    huridocs = raw.get("huridocs")
    if huridocs is not None:
        if not _HURIDOCS_CODE.match(str(huridocs.get("code"))) or huridocs.get("match") not in MATCHES:
            raise VocabularyError(f"{where}.huridocs: needs a 12-digit code and a match among {', '.join(MATCHES)}")
        huridocs = HuridocsTerm(huridocs["code"], huridocs.get("label_en", ""), huridocs["match"])
    sdg_violation = raw.get("sdg_16_10_1_violation")
    if sdg_violation is not None and sdg_violation not in SDG_16_10_1_VIOLATIONS:
        raise VocabularyError(f"{where}.sdg_16_10_1_violation: {sdg_violation!r} is not one of "
                              f"{', '.join(SDG_16_10_1_VIOLATIONS)}")
    return Term(code, dict(labels), added_in, bool(raw.get("retired", False)), huridocs, raw.get("sdg_16_10_1"),
                sdg_violation)


def check_evolution(old: Vocabularies, new: Vocabularies) -> None:
    """Refuse a new version that changes, removes, revives or reuses a code; it may only add and retire terms.
    `new` may be several versions after `old` (an admin's file against the shipped one).

    Labels may be reworded (a code keeps its meaning, not its wording); the HURIDOCS code and version added may not.
    """
    problems = []
    if new.version < old.version or (new.version == old.version and new != old):
        problems.append(f"version: {new.version} must be above {old.version} for any change")
    for name, before in old.vocabularies.items():
        after = new.vocabularies.get(name)
        if after is None:
            problems.append(f"{name}: a vocabulary cannot be removed")
            continue
        now = {t.code: t for t in after.terms}
        for term in before.terms:
            later = now.get(term.code)
            if later is None:
                problems.append(f"{name}.{term.code}: a code cannot be removed; retire it")
            elif later.huridocs != term.huridocs or later.added_in != term.added_in:
                problems.append(f"{name}.{term.code}: its HURIDOCS code or version cannot change; "
                                "retire it and add a new code")
            elif term.retired and not later.retired:
                problems.append(f"{name}.{term.code}: a retired code cannot come back; add a new code")
        for code in now.keys() - {t.code for t in before.terms}:
            # Several versions apart (the shipped file against an admin's), a term may come from any of them.
            if not old.version < now[code].added_in <= new.version:
                problems.append(f"{name}.{code}: a new term is added in a version after {old.version} "
                                f"(up to {new.version}), not {now[code].added_in}")
    if problems:
        raise VocabularyError("; ".join(sorted(problems)))


def add_term(vocabularies: Vocabularies, vocabulary: str, code: str, labels: dict[str, str],
             huridocs: HuridocsTerm | None = None) -> Vocabularies:
    """The next version, with one more term (an admin's addition); checked against the current one."""
    current = vocabularies[vocabulary]
    if code in current.codes(include_retired=True):
        raise VocabularyError(f"{vocabulary}.{code}: the code is taken (codes are never reused)")
    version = vocabularies.version + 1
    term = _term(vocabulary, {"code": code, "labels": labels, "added_in": version,
                              "huridocs": dataclasses.asdict(huridocs) if huridocs else None}, version)
    return _next(vocabularies, vocabulary, (*current.terms, term))


def retire_term(vocabularies: Vocabularies, vocabulary: str, code: str) -> Vocabularies:
    """The next version, with the term kept (old records still name it) but offered no more."""
    current = vocabularies[vocabulary]
    current.term(code)
    terms = tuple(dataclasses.replace(t, retired=True) if t.code == code else t for t in current.terms)
    return _next(vocabularies, vocabulary, terms)


def _next(vocabularies: Vocabularies, vocabulary: str, terms: tuple[Term, ...]) -> Vocabularies:
    updated = dataclasses.replace(vocabularies[vocabulary], terms=terms)
    new = Vocabularies(vocabularies.version + 1, {**vocabularies.vocabularies, vocabulary: updated})
    check_evolution(vocabularies, new)
    return new


@functools.cache
def shipped() -> Vocabularies:
    """The vocabularies shipped with hrcase, read on first use."""
    text = resources.files("reference").joinpath("data/vocabularies.json").read_text(encoding="utf-8")
    return parse(json.loads(text))


def dump(vocabularies: Vocabularies) -> dict[str, Any]:
    """The JSON form that `parse` reads, to keep an admin's version."""
    def term(t: Term) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": t.code, "labels": t.labels, "huridocs": dataclasses.asdict(t.huridocs) if t.huridocs else None,
            "added_in": t.added_in, "retired": t.retired}
        if t.sdg_16_10_1 is not None:
            body["sdg_16_10_1"] = t.sdg_16_10_1
        if t.sdg_16_10_1_violation is not None:
            body["sdg_16_10_1_violation"] = t.sdg_16_10_1_violation
        return body
    return {"version": vocabularies.version, "vocabularies": {
        name: {"huridocs_list": v.huridocs_list, "terms": [term(t) for t in v.terms]}
        for name, v in vocabularies.vocabularies.items()}}
