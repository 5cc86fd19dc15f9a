"""`hrcase import`, `export`, `simulate` and `report`: histories in and out, and the compliance report."""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from services.cli.common import data_dir_option, open_runtime, settings_for
from services.cli.layout import Installation, Production, open_installation, require_all_current
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.domain.model import Scope, Table, end_of, start_of

if TYPE_CHECKING:
    from services.reporting.domain.reading import Digest
    from services.sla_monitor.domain.policy import Policy

DATE = click.DateTime(formats=["%Y-%m-%d"])
PROGRESS_SECONDS = 10.0


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command("import")
@data_dir_option
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=True))
@click.option("--events", "events_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Restore an `hrcase export` folder into this (empty) installation instead.")
@click.option("--until", type=DATE, default=None,
              help="Run the SLA monitor up to the end of this day after the last row (default: the last row).")
def import_history(data_dir: str, files: tuple[str, ...], events_dir: str | None, until: datetime | None) -> None:
    """Import a case history: INCIDENTS.csv CASES.csv (see docs/reports.md), checked whole; nothing on any error.

    On the production layout (HRCASE_DATABASE_URL) the installation must be empty: the history is replayed in a
    scratch embedded runtime in the data dir, then loaded into PostgreSQL and Kafka (docs/operations.md)."""
    if events_dir:
        if files or until:
            raise click.UsageError("--events takes no files and no --until")
        _into(settings_for(data_dir), lambda runtime: _restore(runtime, Path(events_dir)))
        return
    if len(files) != 2:
        raise click.UsageError("give two files: the situation report incidents and the case actions")
    _into(settings_for(data_dir), lambda runtime: _import(runtime, Path(files[0]), Path(files[1]), until))


def _into(settings: Settings, stage: Callable[[EmbeddedRuntime], None]) -> None:
    """Into the embedded installation, or staged beside production's data dir and loaded into an empty production."""
    if settings.embedded:
        stage(EmbeddedRuntime(settings))
        return
    from services.reporting.production_load import LoadFailed, NotEmpty, import_into_production

    require_all_current(settings)
    try:
        _, loaded = import_into_production(settings, stage, lambda message: click.echo(message, err=True))
    except (NotEmpty, LoadFailed) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(loaded.describe())


def _import(runtime: EmbeddedRuntime, incidents: Path, actions: Path, until: datetime | None) -> None:
    from services.reporting.history.importer import ImportRefused, import_files

    try:
        summary = import_files(runtime, incidents, actions, datetime.now(UTC), end_of(until.date()) if until else None,
                               _progress())
    except ImportRefused as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{exc.total:,} error(s) in the history; nothing was imported") from None
    click.echo(f"imported {summary.incidents:,} incidents and {summary.actions:,} case actions "
               f"({summary.users:,} new users), replayed to {summary.until:%Y-%m-%d %H:%M} UTC "
               f"in {summary.seconds:.1f} s")
    for topic, n in sorted(summary.topics.items()):
        click.echo(f"  {topic}: {n:,} records")


def _progress() -> Callable[[str], None]:
    """Tell the person waiting how far the import is: the check, then the weekly report being replayed at most every
    PROGRESS_SECONDS (a large mission's history replays for hours), on stderr beside the errors."""
    from services.reporting.history.importer import REPORT_REPLAYED

    shown = [-float("inf")]

    def show(message: str) -> None:
        weekly = message.startswith(REPORT_REPLAYED)
        if weekly and time.monotonic() - shown[0] < PROGRESS_SECONDS:
            return
        shown[0] = time.monotonic()
        click.echo(message, err=True)

    return show


def _restore(runtime: EmbeddedRuntime, folder: Path) -> None:
    from services.reporting.handover import HandoverError, restore

    try:
        result = restore(runtime, folder)
    except HandoverError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.describe())


@click.command("export")
@data_dir_option
@click.argument("folder", type=click.Path(file_okay=False))
def export_history(data_dir: str, folder: str) -> None:
    """Write the complete event history, users and SLA policy, with a manifest of counts and checksums.

    On the production layout, the topics are read whole from Kafka and merged into one order (docs/operations.md);
    refused while a service's outbox holds events not yet relayed."""
    from services.reporting.handover import HandoverError, export

    settings = settings_for(data_dir)
    try:
        if settings.embedded:
            manifest = export(EmbeddedRuntime(settings), Path(folder))
        else:
            manifest = _export_production(settings, Path(folder))
    except HandoverError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"exported {manifest['records']:,} records to {folder} (manifest.json: counts and SHA-256 checksums)")
    if manifest["people_withheld"]:
        click.echo(f"{manifest['people_withheld']:,} people withheld: they withdrew their consent to sharing, so their "
                   "names, dates of birth and contacts are not in the export (nor restorable from it)")
    click.echo("identities of victims, witnesses and sources are in it sealed with the identity key: restoring it "
               "needs that key; handle it as the database itself")


def _export_production(settings: Settings, folder: Path) -> dict[str, Any]:
    from services.casework.adapters import repository as repo
    from services.reporting.production import export_production

    require_all_current(settings)
    production = open_installation(settings)
    assert isinstance(production, Production)
    users = production.casework.read(repo.list_users)
    return export_production(settings, folder, lambda topics: production.messages(topics, one_order=True), users)


def _check_complete(runtime: Installation, in_log: int) -> None:
    """Refuse a report from a log that lacks cases the database holds (`in_log` cases registered on the log, by the
    report date): it would undercount, and look right."""
    from sqlalchemy import func, select

    from services.casework.adapters import repository as repo

    in_database = sum(n for _office, _stage, n in runtime.casework.read(repo.count_cases))
    outbox = runtime.casework.mailboxes.outbox
    waiting = runtime.casework.read(lambda conn: conn.scalar(select(func.count()).select_from(outbox))) or 0
    if in_log + waiting < in_database:
        where = "the embedded log" if runtime.settings.embedded else f"Kafka at {runtime.settings.kafka_bootstrap}"
        raise click.ClickException(
            f"{where} holds the registration of {in_log:,} cases, the casework database {in_database:,} (and "
            f"{waiting:,} events wait in its outbox): the log is not this installation's, or has lost records "
            "(retention?); a report from it would undercount, so none is made")


@click.command("simulate")
@click.option("--profile", default="oios-2021-011", show_default=True,
              help="A built-in profile name or a mission profile TOML file (see docs/reports.md).")
@click.option("--seed", type=int, default=None, help="Override the profile's seed.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write the CSVs to.")
def simulate(profile: str, seed: int | None, out: str) -> None:
    """Generate a realistic case history for a mission, in the import format."""
    from services.reporting.simulation.files import write_history
    from services.reporting.simulation.profile import ProfileError, load_profile

    try:
        chosen = load_profile(profile, seed)
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from None
    started = time.perf_counter()
    paths = write_history(chosen, Path(out))
    click.echo(f"{chosen.name} (seed {chosen.seed}): {', '.join(str(p) for p in paths)} "
               f"in {time.perf_counter() - started:.1f} s")
    click.echo(f"next: hrcase import {paths[0]} {paths[1]} --until {chosen.as_of:%Y-%m-%d}")


@click.command("report")
@data_dir_option
@click.option("--as-of", "as_of", type=DATE, required=True, help="The report date (its end: 'as at 30 June').")
@click.option("--from", "start", type=DATE, default=None, help="Incidents reported from this day.")
@click.option("--to", "end", type=DATE, default=None, help="Incidents reported up to this day (default: --as-of).")
@click.option("--office", default=None, help="One office only.")
@click.option("--policy", "policy_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Re-evaluate the same history under this SLA policy too, and show the difference.")
@click.option("--events", "events_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Report from an `hrcase export` folder instead of the installation.")
@click.option("--out", "out", type=click.Path(file_okay=False), default="report", show_default=True,
              help="Folder for report.md, report.html, the CSV tables and the PNG charts.")
@click.option("--no-charts", is_flag=True, help="Skip the PNG charts.")
@click.option("--from-log", is_flag=True, help="Read the whole log, not the reporting store (ADR 0027).")
def report(data_dir: str, as_of: datetime, start: datetime | None, end: datetime | None, office: str | None,
           policy_file: str | None, events_dir: str | None, out: str, no_charts: bool, from_log: bool) -> None:
    """The compliance report, computed from events only, as Markdown, HTML, CSV and PNG."""
    from services.reporting.adapters.log_source import REPORT_ORDER, events_of
    from services.reporting.adapters.output import write_report
    from services.reporting.adapters.spill import scratch_spill
    from services.reporting.handover import export_messages
    from services.reporting.whatif import make_report, read_report
    from services.sla_monitor.adapters import policy_file as policies

    started = time.perf_counter()
    settings = settings_for(data_dir)
    scope = Scope(as_of=end_of(as_of.date()), start=start_of(start.date()) if start else None,
                  end=end_of(end.date()) if end else None, office=office)
    try:
        policy = policies.load(settings.policy_path)
        other = policies.load(policy_file) if policy_file else None
    except policies.PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    read: dict[str, int] = {}
    # One pass over the log, each record folded as it is read (docs/reports.md): never the events in memory, and
    # the SLA events' rows spilled to a scratch file (read back by the tables that count and list them).
    said = ""
    with ExitStack() as held, scratch_spill(Path(settings.data_dir)) as spill:
        if events_dir:
            digest = read_report(events_of(export_messages(Path(events_dir)), read), scope, policy, other, read,
                                 spill)
        else:
            runtime = open_runtime(data_dir)
            held.callback(gc.unfreeze)  # once written, the digest goes: a process that lives on (tests) collects again
            with _kept_for_good():
                stored, said = (None, "read from the log (--from-log)") if from_log else _from_store(
                    runtime, scope, policy, other, held)
                digest = stored if stored is not None else read_report(
                    events_of(runtime.messages(REPORT_ORDER), read), scope, policy, other, read, spill)
            _check_complete(runtime, digest.registered)
        performance = _performance_beside(digest, scope, policy, held) if other is None else None
        listed = _list_beside(digest, Path(out), held)  # after the fork: the pool runs a thread in this process
        result = make_report(digest, scope, policy, other, policy_file or "", performance)
        written = write_report(result, Path(out), charts=not no_charts,
                               ready={slug: _written(slug, future) for slug, future in listed.items()})
    for line in result.summary:
        click.echo(line)
    # Whence the figures came, on the last line (the lines above are the report's, the same on every layout).
    click.echo(f"{len(written)} files in {out} ({time.perf_counter() - started:.1f} s)" + (f"; {said}" if said else ""))


def _performance_beside(digest: Digest, scope: Scope, policy: Policy,
                        held: ExitStack) -> Callable[[], tuple[Table, Table]] | None:
    """Section 6's tables (a fifth of the report's time at a million cases) made by a forked process, which shares the
    digest as it is (frozen for the collector: its pages stay shared) while this one makes the rest; None where the
    SLA events are not in a file another process can open, or this system cannot fork."""
    from services.reporting.adapters.spill import SpilledCrossings
    from services.reporting.domain.compliance import performance_tables
    from services.reporting.whatif import targets_of

    if not isinstance(digest.sla_events, SpilledCrossings) or "fork" not in multiprocessing.get_all_start_methods():
        return None
    events, targets = digest.sla_events, targets_of(policy)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def make() -> None:  # in the child: its own connection to the SLA events, never its parent's
        send.send(performance_tables(replace(digest, sla_events=events.reopened()), scope, targets))

    child = context.Process(target=make, name="hrcase report: performance tables", daemon=True)
    child.start()
    send.close()
    held.callback(child.join)
    held.callback(child.kill)  # (runs first) a report that failed meanwhile does not leave it waiting to send

    def made() -> tuple[Table, Table]:
        try:
            tables: tuple[Table, Table] = receive.recv()
        except EOFError:
            child.join()
            raise click.ClickException(f"the process making the performance tables ended without them (exit code "
                                       f"{child.exitcode}); run the report again") from None
        return tables

    return made


def _list_beside(digest: Digest, out: Path, held: ExitStack) -> dict[str, Future[Path]]:
    """The SLA events' list (millions of lines at a million cases) written by a second process while this one computes
    the tables: the file is a copy of lines kept written, work a second core can take whole."""
    from services.private_files import private_folder
    from services.reporting.adapters.spill import SpilledCrossings, write_listing
    from services.reporting.domain.sla import event_list

    if not isinstance(digest.sla_events, SpilledCrossings):
        return {}
    table = event_list(digest.sla_events)
    private_folder(out)
    # Spawned, not forked: the child opens its own connection, and a fork would copy this one's open SQLite files.
    pool = held.enter_context(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
    return {table.slug: pool.submit(write_listing, digest.sla_events.listing(), table.columns,
                                    out / f"{table.slug}.csv")}


def _written(slug: str, future: Future[Path]) -> Path:
    try:
        return future.result()
    except Exception as exc:  # whatever stopped the other process: the report is not written without the file
        raise click.ClickException(f"the process writing {slug}.csv failed ({type(exc).__name__}: {exc}); run the "
                                   "report again") from None


@contextmanager
def _kept_for_good() -> Iterator[None]:
    """What is made inside lives till the report is written (a fact for every case): the cyclic collector is not run
    while it is made, nor walks it again afterwards (`gc.freeze`). Reading makes no cycles worth collecting (a
    rebuild of 327,097 records left 267 unreachable objects), and at a million cases the collector's walks over the
    cases cost 20 s of the report's 96."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _from_store(runtime: Installation, scope: Scope, policy: Policy, other: Policy | None,
                held: ExitStack) -> tuple[Digest | None, str]:
    """The report's digest from the reporting store, caught up first (ADR 0027), or None and a line saying why the log
    is read instead: the store is kept on the embedded runtime's log, for reports of every office and period, dated at
    or after its latest event, without a what-if."""
    from services.reporting.store import ReportingStore

    if not isinstance(runtime, EmbeddedRuntime):
        return None, "read from the log: the reporting store is kept on the embedded runtime only"
    if other is not None:
        return None, "read from the log: the what-if (--policy) replays the other policy over every case event"
    store = ReportingStore.of_data_dir(runtime.settings.data_dir)
    held.callback(store.close)  # open while the report's tables read the SLA events from it
    caught = store.catch_up(runtime.log, policy)
    digest, why = store.digest(scope)
    if digest is None:
        return None, f"read from the log, not the reporting store: {why}"
    news = "built from the log" if caught.rebuilt else f"{caught.records:,} new records folded"
    return digest, f"from the reporting store ({news}, up to log offset {caught.offset:,})"


@click.command("report-store")
@data_dir_option
@click.option("--follow", "every", type=click.FloatRange(min=1), default=None,
              help="Keep it current: catch up every SECONDS until stopped (Ctrl-C).")
def report_store(data_dir: str, every: float | None) -> None:
    """Bring the reporting store up to the log's end, once or continuously (ADR 0027): `hrcase report` then folds
    only what arrived since."""
    from services.reporting.store import ReportingStore
    from services.sla_monitor.adapters import policy_file as policies

    runtime = open_runtime(data_dir)
    if not isinstance(runtime, EmbeddedRuntime):
        raise click.ClickException("the reporting store is kept on the embedded runtime only (docs/operations.md)")
    try:
        policy = policies.load(runtime.settings.policy_path)
    except policies.PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    store = ReportingStore.of_data_dir(runtime.settings.data_dir)
    try:
        while True:
            started = time.perf_counter()
            caught = store.catch_up(runtime.log, policy)
            news = "built from the log" if caught.rebuilt else f"{caught.records:,} new records folded"
            click.echo(f"reporting store: {news}, up to log offset {caught.offset:,} "
                       f"({time.perf_counter() - started:.1f} s)")
            if every is None:
                return
            time.sleep(every)
    except KeyboardInterrupt:
        return
    finally:
        store.close()


COMMANDS = (import_history, export_history, simulate, report, report_store)
