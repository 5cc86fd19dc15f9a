"""The `hrcase` command: run the demo or the runtime, load sitreps, act on cases, manage users."""

from __future__ import annotations

import logging

import click

from services.cli import api, cases, history, kafka, runtime, users


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """hrcase: every reported incident becomes a case, every clock is watched, every closure reviewed."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


runtime.sitrep.add_command(kafka.sitrep_publish)
for module in (runtime, cases, users, kafka, api, history):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="hrcase")
