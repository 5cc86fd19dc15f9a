"""`hrcase policy show` and `policy check`: the SLA policy the settings name, and the one the clocks run under."""

from __future__ import annotations

from dataclasses import asdict

import click
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from services.cli.common import data_dir_option, settings_for
from services.sla_monitor.adapters import policy_file, tables
from services.sla_monitor.domain.policy import Policy


@click.group("policy")
def policy() -> None:
    """The SLA policy: show the one in effect, check a file before putting it in place."""


def _describe(chosen: Policy, source: str) -> None:
    click.echo(f"SLA policy {chosen.version} ({source})")
    for name, section in chosen.sections.items():
        values = ", ".join(f"{k} {v}" for k, v in asdict(section).items())
        click.echo(f"  {name}: {values}")


@policy.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def check(file: str) -> None:
    """Read and check a policy file as the SLA monitor would; exit 1, saying what is wrong, if it would refuse it."""
    try:
        chosen = policy_file.load(file)
    except policy_file.PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    _describe(chosen, file)
    click.echo("valid: the SLA monitor would run under it")


@policy.command("show")
@data_dir_option
def show(data_dir: str) -> None:
    """The policy the settings name (HRCASE_SLA_POLICY, else the shipped default), and the versions this
    installation's clocks were last scheduled under."""
    settings = settings_for(data_dir)
    path = settings.policy_path or policy_file.default_policy_path()
    try:
        chosen = policy_file.load(path)
    except policy_file.PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    _describe(chosen, str(path) if settings.policy_path else f"the shipped default, {path}")
    engine, _schema = settings.database("sla_monitor")
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(tables.clocks.c.policy_version, func.count())
                                .where(tables.clocks.c.running.is_(True))
                                .group_by(tables.clocks.c.policy_version)).all()
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot read the SLA monitor's clocks ({exc.__class__.__name__}): is the "
                                   "database there and migrated (`hrcase db upgrade`)?") from None
    finally:
        engine.dispose()
    if not rows:
        click.echo("no running clock in this installation")
    for version, n in sorted(rows, key=lambda r: str(r[0])):
        note = "" if version == chosen.version else (
            " (not the policy above: the monitor moves them to it when it runs with these settings)")
        click.echo(f"{n:,} running clocks scheduled under {version}{note}")


COMMANDS = (policy,)
