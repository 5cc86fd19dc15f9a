"""`hrcase case ...` and `hrcase alerts ...`: what officers do from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from schemas.case import CONSENT_ITEMS
from schemas.vocabulary import CLOSURE_REASONS, DELAY_REASONS, FOLLOW_UP_KINDS, STAGES
from services.casework import handlers
from services.casework.adapters import repository as repo
from services.casework.domain import commands as c
from services.casework.domain.errors import CommandRefused
from services.cli.common import data_dir_option, echo_json, open_runtime, parse_time, refusals_are_errors

actor_option = click.option("--as", "actor", required=True, help="Username of the person acting.")
at_option = click.option("--at", "at", default=None, help="When it happened (ISO 8601; default now).")


@click.group()
def case() -> None:
    """Cases: list, show, history, and every workflow command."""


@case.command("list")
@data_dir_option
@click.option("--office")
@click.option("--stage", type=click.Choice(STAGES))
@click.option("--assignee")
@click.option("--limit", default=100, show_default=True)
@click.option("--offset", default=0)
def list_cases(data_dir: str, office: str | None, stage: str | None, assignee: str | None,
               limit: int, offset: int) -> None:
    """List cases, oldest report first."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(lambda conn: repo.list_cases(
        conn, office=office, stage=stage, assignee=assignee, limit=limit, offset=offset))
    for item in found:
        click.echo(f"{item.reference:16} {item.office:10} {item.stage:18} {item.assignee or '-':14} "
                   f"reported {item.reported_at:%Y-%m-%d}")


@case.command("show")
@data_dir_option
@click.argument("ref")
def show(data_dir: str, ref: str) -> None:
    """Show a case (without identities of victims, witnesses or sources)."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
    if found is None:
        raise click.ClickException(f"no case {ref!r}")
    echo_json(handlers.view(found))


@case.command("history")
@data_dir_option
@click.argument("ref")
def history(data_dir: str, ref: str) -> None:
    """Every event of a case, in order: who did what, when."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
    if found is None:
        raise click.ClickException(f"no case {ref!r}")
    for row in runtime.casework.read(lambda conn: repo.history(conn, found.case_id)):
        detail = row["payload"].get("note") or row["payload"].get("description") or row["payload"].get("reason") or ""
        for name, change in row["payload"].get("changes", {}).items():  # an amendment: each field, old -> new
            detail += f"; {name}: {json.dumps(change['old'])} -> {json.dumps(change['new'])}"
        if row["type"] == "IdentityCorrected":  # the fields corrected, never their values (ADR 20)
            detail = (f"identity of person {row['payload']['person']} corrected (fields: "
                      f"{', '.join(row['payload']['changed'])}), reason: {detail}")
        click.echo(f"{row['occurred_at']:%Y-%m-%d %H:%M} {row['type']:18} {row['actor']:16} {detail}")


def _command(name: str, build: Callable[..., c.Command], *options: Callable[[Any], Any], help_text: str) -> None:
    @data_dir_option
    @actor_option
    @at_option
    @click.argument("ref")
    @refusals_are_errors
    def run(data_dir: str, actor: str, at: str | None, ref: str, **fields: Any) -> None:
        runtime = open_runtime(data_dir)
        now = parse_time(at)
        found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
        if found is None:
            raise CommandRefused(f"no case {ref!r}")
        events = runtime.casework.execute(build(case_id=found.case_id, actor=actor, **fields), now)
        runtime.relay()
        for event in events:
            click.echo(f"{event['type']}: {found.reference} now at stage {event['payload']['stage']}")

    for option in reversed(options):
        run = option(run)
    case.command(name, help=help_text)(run)


_note = click.option("--note", default="")
_command("record", c.RecordCase, _note, help_text="Record a reported incident as a case (starts preliminary).")
_command("assign", c.AssignCase, click.option("--to", "assignee", required=True), help_text="Assign to an HRO.")


@case.command("log")
@data_dir_option
@actor_option
@click.option("--at", "at", default=None, help="When the work was done (ISO 8601; default now). A past time may not "
                                               "be before the case's last change, nor before a stall deadline that "
                                               "has passed; a time ahead of the clock runs the command then.")
@click.argument("ref")
@click.option("--description", required=True)
@refusals_are_errors
def log_activity(data_dir: str, actor: str, at: str | None, ref: str, description: str) -> None:
    """Log investigative work; the stall clock restarts from when it was done."""
    runtime = open_runtime(data_dir)
    done = parse_time(at)
    found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
    if found is None:
        raise CommandRefused(f"no case {ref!r}")
    # The workflow bounds a past time against the real clock (workflow.dating_refusal); a time ahead of it is the
    # command's clock, as every --at (a rehearsal, the tests' scenarios).
    now = max(datetime.now(UTC), done)
    events = runtime.casework.execute(c.LogActivity(found.case_id, actor, description, done), now)
    runtime.relay()
    for event in events:
        click.echo(f"{event['type']}: {found.reference} at {event['occurred_at']}, stage {event['payload']['stage']}")


# Each incident fact as an option (a list as commas, counts as key=number); --set FIELD=JSON for any other field.
AMEND_OPTIONS = (("--occurred-at", "occurred_at", "When it happened (ISO 8601)."),
                 ("--location", "location", "Where it happened."),
                 ("--violation-types", "violation_types", "Violation codes, separated by commas."),
                 ("--perpetrator-category", "perpetrator_category", "Perpetrator category code."),
                 ("--victims", "victims", "Counts, e.g. female_adult=1,male_child=2 (others 0)."),
                 ("--source-type", "source_type", "Source type code."),
                 ("--summary", "summary", "What happened."))


def _typed(name: str, text: str) -> Any:
    if name == "violation_types":
        return [v.strip() for v in text.split(",") if v.strip()]
    if name == "victims":
        counts: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, number = part.partition("=")
            counts[key.strip()] = int(number) if number.strip().isdigit() else number.strip()
        return counts
    return text


def _amendment(runtime: Any, ref: str, given: dict[str, Any], settings: tuple[str, ...]) -> tuple[Any, dict]:
    found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
    if found is None:
        raise CommandRefused(f"no case {ref!r}")
    new = {name: _typed(name, text) for name, text in given.items() if text is not None}
    for setting in settings:
        name, _, text = setting.partition("=")
        try:
            new[name.strip()] = json.loads(text)
        except ValueError:
            raise click.BadParameter(f"{setting!r}: FIELD=JSON, e.g. place_pcode=\"ML0501\"", param_hint="--set") \
                from None
    if not new:
        raise click.UsageError("give at least one field to amend (see --help)")
    # The old values are what the case holds as read now: the unit of work refuses if it changes meanwhile.
    return found, {name: {"old": found.details.get(name), "new": value} for name, value in new.items()}


@case.command("amend")
@data_dir_option
@actor_option
@click.argument("ref")
@click.option("--reason", required=True, help="Why the details are corrected (at most 500 characters).")
@click.option("--set", "settings", multiple=True, metavar="FIELD=JSON", help="Any other field of the incident.")
@refusals_are_errors
def amend(data_dir: str, actor: str, ref: str, reason: str, settings: tuple[str, ...], **given: Any) -> None:
    """Amend an accepted incident's details: each field's old and new value go into the case's history."""
    runtime = open_runtime(data_dir)
    found, changes = _amendment(runtime, ref, given, settings)
    events = runtime.casework.execute(c.AmendIncident(found.case_id, actor, reason, changes), datetime.now(UTC))
    runtime.relay()
    for name, change in events[0]["payload"]["changes"].items():
        click.echo(f"{found.reference} {name}: {json.dumps(change['old'])} -> {json.dumps(change['new'])}")


for _flag, _name, _help in reversed(AMEND_OPTIONS):
    amend = click.option(_flag, _name, default=None, help=_help)(amend)
_command("advance", c.AdvanceStage, click.option("--stage", required=True,
                                                 type=click.Choice(("investigation", "concluded"))), _note,
         help_text="Move to the next stage.")
_command("delay", c.JustifyDelay, click.option("--reason", required=True, type=click.Choice(DELAY_REASONS)),
         click.option("--until", required=True, callback=lambda _c, _p, v: parse_time(v)), _note,
         help_text="Justify a delay: pauses the stall clock until a date at most 30 days ahead.")
_command("review", c.ReviewCase, _note, help_text="Record a Team Leader's review.")
_command("request-closure", c.RequestClosure, click.option("--reason", required=True,
                                                           type=click.Choice(CLOSURE_REASONS)),
         click.option("--note", required=True), help_text="Propose closure, with a reason.")
_command("approve-closure", c.ApproveClosure, _note, help_text="Director: approve a closure proposed by another.")
_command("reject-closure", c.RejectClosure, click.option("--note", required=True),
         help_text="Director: reject a closure, with a reason.")
_command("follow-up", c.RecordFollowUp, click.option("--kind", required=True, type=click.Choice(FOLLOW_UP_KINDS)),
         _note, click.option("--partner", default=None, help="Who the case goes to (a handover checks every person's "
                                                             "consent to sharing with them)."),
         help_text="Record a follow-up such as handover to national authorities.")


@case.command("consent")
@data_dir_option
@actor_option
@click.argument("ref")
@click.argument("person")
@click.option("--withdraw", "withdraw", multiple=True, type=click.Choice(("all", *CONSENT_ITEMS)),
              help="Record a withdrawal of this item (repeat; 'all' for everything) instead of a consent.")
@click.option("--partner", "partners", multiple=True, help="A partner consented to (or, with --withdraw share_with, "
                                                           "withdrawn from); repeat for several.")
@click.option("--recorded/--not-recorded", default=False, help="Consents to their information being recorded.")
@click.option("--contact/--no-contact", default=False, help="Consents to being contacted again.")
@click.option("--referral/--no-referral", default=False, help="Consents to being referred to services.")
@click.option("--obtained-by", default=None, help="Who obtained the consent (default: --as).")
@click.option("--at", "at", default=None, help="When it was obtained or withdrawn (ISO 8601; default now).")
@click.option("--note", default="")
@refusals_are_errors
def consent(data_dir: str, actor: str, ref: str, person: str, withdraw: tuple[str, ...], partners: tuple[str, ...],
            recorded: bool, contact: bool, referral: bool, obtained_by: str | None, at: str | None, note: str) -> None:
    """Record PERSON's consent on case REF, obtained after intake, or (--withdraw) its withdrawal."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
    if found is None:
        raise CommandRefused(f"no case {ref!r}")
    when, now = (parse_time(at) if at else None), datetime.now(UTC)
    command: c.Command = c.WithdrawConsent(found.case_id, actor, person, withdraw, partners, when, note) if withdraw \
        else c.RecordConsent(found.case_id, actor, person, {
            "recorded": recorded, "contact": contact, "share_with": list(partners), "referral": referral,
            "obtained_by": obtained_by, "obtained_at": when.isoformat() if when else None})
    events = runtime.casework.execute(command, max(now, when or now))
    runtime.relay()
    for event in events:
        click.echo(f"{event['type']}: {found.reference} person {person}")


@case.command("correct-identity")
@data_dir_option
@actor_option
@click.argument("ref")
@click.argument("person")
@click.option("--reason", required=True, help="Why the identity is corrected (at most 500 characters).")
@click.option("--name", "names", multiple=True, help="A name, the main one first; repeat for each spelling variant. "
                                                     "Replaces every name held.")
@click.option("--date-of-birth", default=None, help="Date of birth, YYYY-MM-DD ('' clears it).")
@click.option("--contact", default=None, help="Contact ('' clears it).")
@refusals_are_errors
def correct_identity(data_dir: str, actor: str, ref: str, person: str, reason: str, names: tuple[str, ...],
                     date_of_birth: str | None, contact: str | None) -> None:
    """Correct PERSON's identifying fields on case REF: the history names the fields and the reason, never a value."""
    runtime = open_runtime(data_dir)
    found = runtime.casework.read(lambda conn: repo.get_case(conn, ref))
    if found is None:
        raise CommandRefused(f"no case {ref!r}")
    given: dict[str, Any] = {"names": list(names)} if names else {}
    for name, value in (("date_of_birth", date_of_birth), ("contact", contact)):
        if value is not None:
            given[name] = value or None
    events = runtime.casework.execute(c.CorrectIdentity(found.case_id, actor, person, given, reason),
                                      datetime.now(UTC))
    runtime.relay()
    for event in events:
        click.echo(f"{found.reference} person {person}: corrected {', '.join(event['payload']['changed'])}")


_command("reopen", c.ReopenCase, click.option("--reason", required=True), help_text="Director: reopen a closed case.")


@click.group()
def alerts() -> None:
    """Alerts for Team Leaders, Directors and officers."""


@alerts.command("list")
@data_dir_option
@actor_option
@click.option("--all", "show_all", is_flag=True, help="Include acknowledged and resolved alerts.")
def list_alerts(data_dir: str, actor: str, show_all: bool) -> None:
    """The alerts that reached a user: one per case and clock, the most urgent first."""
    runtime = open_runtime(data_dir)
    user = runtime.casework.read(lambda conn: repo.get_user(conn, actor))
    if user is None:
        raise click.ClickException(f"unknown user {actor!r}")
    for alert in runtime.casework.read(lambda conn: repo.inbox_for(conn, user, open_only=not show_all)):
        state = "open" if alert.is_open else ("acknowledged" if alert.acknowledged_at else "resolved")
        held = f", {alert.reminders} reminders" if alert.reminders > 1 else ""
        click.echo(f"{alert.alert_id}  [{alert.level}/{state}{held}] {alert.message}")


@alerts.command("ack")
@data_dir_option
@actor_option
@at_option
@click.argument("alert_id")
@click.option("--note", default="")
@refusals_are_errors
def ack(data_dir: str, actor: str, at: str | None, alert_id: str, note: str) -> None:
    """Acknowledge an alert addressed to you."""
    runtime = open_runtime(data_dir)
    alert = runtime.casework.read(lambda conn: repo.get_alert(conn, alert_id))
    if alert is None:
        raise CommandRefused(f"no alert {alert_id!r}")
    runtime.casework.execute(c.AcknowledgeAlert(case_id=alert.case_id, actor=actor, alert_id=alert_id, note=note),
                             parse_time(at))
    runtime.relay()
    click.echo(f"acknowledged: {alert.message}")


COMMANDS = (case, alerts)
