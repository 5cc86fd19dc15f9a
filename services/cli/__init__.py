"""The `hrcase` command: run the demo or the runtime, load sitreps, act on cases, manage users."""

from __future__ import annotations

import logging

import click

from services import vocabulary_file
from services.cli import (
    api,
    cases,
    history,
    kafka,
    people,
    policy,
    read_model,
    runtime,
    units,
    users,
    vocabularies,
)
from services.config import NotReady, Settings
from services.logs import setup_logging

# What production must hold before a command runs (a database, an identity key); every command not named here needs
# both. These open neither the database nor identities, or only the key (a publisher seals what it sends).
NEEDS: dict[tuple[str, ...], tuple[bool, bool]] = {
    ("api", "spec"): (False, False), ("api", "keygen"): (False, False), ("schemas", "export"): (False, False),
    ("simulate",): (False, False), ("topics", "create"): (False, False), ("sitrep", "publish"): (False, True),
    # The vocabulary file is a file the settings name, the same for both layouts: no database, no key.
    ("vocabulary", "list"): (False, False), ("vocabulary", "add"): (False, False),
    ("vocabulary", "retire"): (False, False),
    ("db", "prepare"): (True, False),  # extensions and a function: the database, never an identity
}
WORDS = "hrcase.words"
DEMO_IN_PRODUCTION = ("HRCASE_ENV=production: `hrcase demo` is a throwaway installation on a development key and "
                      "never runs in production; run it where HRCASE_ENV is not production")


class Hrcase(click.Group):
    """The command group; it keeps the words it was given, for the refusals to find the subcommand they name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[WORDS] = list(args)
        return super().parse_args(ctx, args)


@click.group(cls=Hrcase, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """hrcase: every reported incident becomes a case, every clock is watched, every closure reviewed."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    try:
        setup_logging("hrcase", level, _log_format())
    except ValueError as exc:  # HRCASE_LOG_FORMAT misspelt
        raise click.ClickException(str(exc)) from None
    refuse_a_guess(ctx)


def refuse_a_guess(ctx: click.Context) -> None:
    """Production's refusals, before the command opens anything (a file, a database, a consumer group)."""
    words = ctx.meta.get(WORDS, [])
    if any(w in ("-h", "--help") for w in words):
        return
    path = _command_path(ctx, words)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a settings file that cannot be read or has a wrong key
        raise click.ClickException(str(exc)) from None
    if path == ("demo",) and settings.production:
        raise click.ClickException(DEMO_IN_PRODUCTION)
    try:  # every process takes its terms from the settings' vocabulary file; one that renumbers stops it here
        vocabulary_file.install(settings.vocabularies_path)
    except vocabulary_file.VocabularyFileError as exc:
        raise click.ClickException(str(exc)) from None
    database, identity = NEEDS.get(path, (True, True))
    try:
        settings.require_production_ready(database=database, identity=identity)
    except NotReady as exc:
        raise click.ClickException(str(exc)) from None


def _command_path(ctx: click.Context, words: list[str]) -> tuple[str, ...]:
    """The names of the subcommand about to run (`users token create`), as far as the words name commands."""
    path: list[str] = []
    command: click.Command = ctx.command
    for word in words:
        if not isinstance(command, click.Group):
            break
        if word.startswith("-"):  # the groups' options are flags (-v): no value to skip
            continue
        found = command.get_command(ctx, word)
        if found is None:
            break
        path.append(word)
        command = found
    return tuple(path)


def _log_format() -> str:
    try:
        return Settings.from_env().log_format
    except ValueError:  # the command reports what is wrong with the settings; its log meanwhile reads as text
        return "text"


runtime.sitrep.add_command(kafka.sitrep_publish)
for module in (runtime, cases, users, kafka, api, history, policy, vocabularies, units, read_model, people):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="hrcase")
