"""`hrcase vocabulary list|add|retire`: the terms of the settings' vocabulary file, added to or retired by an admin."""

from __future__ import annotations

from collections.abc import Callable

import click

from reference.vocabularies import HuridocsTerm, Vocabularies, VocabularyError, add_term, retire_term
from schemas import vocabulary as wire
from services import vocabulary_file
from services.cli.common import data_dir_option, settings_for

KINDS = ("violation_types", "perpetrator_types", "source_types", "source_reliability", "occupation_categories")
NO_FILE = ("the settings name no vocabulary file: set HRCASE_VOCABULARIES (or `vocabularies` in the settings file) "
           "to the file every service reads; the first addition creates it from the shipped vocabularies")


@click.group("vocabulary")
def vocabulary() -> None:
    """Violation, perpetrator and source types, source reliability, occupations: list, add, retire (never renumber)."""


@vocabulary.command("list")
@data_dir_option
@click.argument("kind", type=click.Choice(KINDS))
def list_terms(data_dir: str, kind: str) -> None:
    """Show a vocabulary's codes with their HURIDOCS codes and English and French labels."""
    settings = settings_for(data_dir)
    terms = wire.current()
    source = settings.vocabularies_path or "the shipped vocabularies"
    click.echo(f"{kind}, version {terms.version} ({source})")
    for term in terms[kind].terms:
        huridocs = f"{term.huridocs.code} ({term.huridocs.match})" if term.huridocs else "-"
        state = "retired" if term.retired else f"added in {term.added_in}"
        click.echo(f"{term.code:28} {huridocs:24} {term.labels['en']} / {term.labels['fr']}  [{state}]")


def _change(data_dir: str, make: Callable[[Vocabularies], Vocabularies]) -> Vocabularies:
    settings = settings_for(data_dir)
    if settings.vocabularies_path is None:
        raise click.ClickException(NO_FILE)
    path = settings.vocabularies_path
    try:
        before = vocabulary_file.in_effect(path)
        after = make(before)
        vocabulary_file.save(path, before, after)
    except (VocabularyError, vocabulary_file.VocabularyFileError, KeyError) as exc:
        raise click.ClickException(str(exc).strip('"')) from None
    return after


@vocabulary.command("add")
@data_dir_option
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("code")
@click.option("--en", "label_en", required=True, help="The English label.")
@click.option("--fr", "label_fr", required=True, help="The French label.")
@click.option("--huridocs", default=None, help="The nearest HURIDOCS micro-thesaurus term's 12-digit code.")
@click.option("--huridocs-label", default="", help="That term's English label.")
@click.option("--match", type=click.Choice(("exact", "broader", "narrower", "related")), default="related",
              show_default=True, help="How near the HURIDOCS term is.")
def add(data_dir: str, kind: str, code: str, label_en: str, label_fr: str, huridocs: str | None,
        huridocs_label: str, match: str) -> None:
    """Add a term: a new code, in a new version of the vocabulary file; every service accepts it as it is written."""
    nearest = HuridocsTerm(huridocs, huridocs_label, match) if huridocs else None
    after = _change(data_dir, lambda before: add_term(before, kind, code, {"en": label_en, "fr": label_fr},
                                                      nearest))
    click.echo(f"{kind}.{code}: added in version {after.version} ({label_en} / {label_fr})")


@vocabulary.command("retire")
@data_dir_option
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("code")
def retire(data_dir: str, kind: str, code: str) -> None:
    """Retire a term: no longer offered, still shown on the records that name it; its code is never reused."""
    def retired(before: Vocabularies) -> Vocabularies:
        if code in before[kind].codes(include_retired=True) and before[kind].term(code).retired:
            raise VocabularyError(f"{kind}.{code}: already retired")
        return retire_term(before, kind, code)

    after = _change(data_dir, retired)
    click.echo(f"{kind}.{code}: retired in version {after.version}")


COMMANDS = (vocabulary,)
