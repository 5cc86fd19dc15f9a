"""Options and helpers the `hrcase` subcommands share."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

import click

from services.casework.domain.errors import CommandRefused
from services.cli.layout import Installation, open_installation
from services.config import Settings

data_dir_option = click.option(
    "--data-dir", envvar="HRCASE_DATA_DIR", default="var/hrcase", show_default=True,
    type=click.Path(file_okay=False),
    help="Where the embedded runtime keeps its SQLite files (with HRCASE_DATABASE_URL: PostgreSQL and Kafka instead).",
)


def settings_for(data_dir: str) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def open_runtime(data_dir: str) -> Installation:
    """The installation the settings name: embedded files, or PostgreSQL and Kafka when HRCASE_DATABASE_URL is set."""
    return open_installation(settings_for(data_dir))


def refusals_are_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """A refused command prints its reason and exits 1, without a stack trace."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CommandRefused as exc:
            raise click.ClickException(f"refused: {exc}") from None

    return wrapper


def parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
