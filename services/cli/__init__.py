"""The `hrcase` command: run the demo or the runtime, load sitreps, act on cases, manage users."""

from __future__ import annotations

import logging

import click

from services.cli import api, cases, history, kafka, runtime, users
from services.config import Settings
from services.logs import setup_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """hrcase: every reported incident becomes a case, every clock is watched, every closure reviewed."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    try:
        setup_logging("hrcase", level, _log_format())
    except ValueError as exc:  # HRCASE_LOG_FORMAT misspelt
        raise click.ClickException(str(exc)) from None


def _log_format() -> str:
    try:
        return Settings.from_env().log_format
    except ValueError:  # the command reports what is wrong with the settings; its log meanwhile reads as text
        return "text"


runtime.sitrep.add_command(kafka.sitrep_publish)
for module in (runtime, cases, users, kafka, api, history):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="hrcase")
