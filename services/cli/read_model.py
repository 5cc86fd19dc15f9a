"""`hrcase read-model ...`: rebuild the case read model (and search index) from the cases, or check the model."""

from __future__ import annotations

import click
from sqlalchemy import Connection

from services.casework.adapters import duplicates, search_index, summaries, summary_check
from services.cli.common import data_dir_option, open_runtime

SHOWN = 50  # differing references printed; the count says how many there are in all


@click.group("read-model")
def read_model() -> None:
    """The case read model (ADR 0019): one row per case that lists, filters and the overview read."""


@read_model.command("rebuild")
@data_dir_option
def rebuild(data_dir: str) -> None:
    """Every row again (and the counts by office and stage), from casework's cases and the monitor's schedules it
    holds, and every search document from the cases and their history (ADR 0021), in one transaction; then likely
    duplicates among the cases not closed (ADR 0022), keeping every pair already recorded as it stands."""
    runtime = open_runtime(data_dir)
    done, pairs = runtime.casework.write(_rebuild)
    click.echo(f"rebuilt the read model and the search index of {done:,} cases; {pairs:,} new likely duplicate "
               f"pair{'' if pairs == 1 else 's'} to review")


def _rebuild(conn: Connection) -> tuple[int, int]:
    search_index.rebuild(conn)
    done = summaries.rebuild(conn)
    summaries.recount(conn)
    return done, duplicates.look_again(conn)  # after the rows: pairs are looked for in the read model


@read_model.command("check")
@data_dir_option
def check(data_dir: str) -> None:
    """Compare every row with a fresh computation, and the counts by office and stage with the rows; exit 1 naming
    each case whose row differs and each count that does."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(summary_check.differences)
    miscounted = runtime.casework.read(summary_check.count_differences)
    count = runtime.casework.read(summaries.count)
    if not found and not miscounted:
        click.echo(f"the read model agrees with all {count:,} cases, and so do its counts by office and stage")
        return
    for reference, columns in found[:SHOWN]:
        click.echo(f"{reference}: {', '.join(columns)}", err=True)
    for office, stage, kept, counted in miscounted:
        click.echo(f"cases of {office} at {stage}: {kept:,} kept, {counted:,} rows", err=True)
    raise click.ClickException(f"{len(found):,} cases differ from their read-model row and {len(miscounted):,} "
                               "counts by office and stage from their rows; `hrcase read-model rebuild` writes "
                               "every row and count again")


COMMANDS = (read_model,)
