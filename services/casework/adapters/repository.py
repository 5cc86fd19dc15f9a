"""Reading and writing cases, history, users and alerts with SQLAlchemy Core, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Update, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.casework.adapters import duplicates, search_index, state, summaries
from services.casework.adapters.schedules import BatchSchedules
from services.casework.adapters.tables import (
    alert_aliases,
    alerts,
    case_history,
    case_identities,
    cases,
    office_sequences,
    person_index,
    users,
)
from services.casework.adapters.units import list_units
from services.casework.domain import alerts as alert_rules
from services.casework.domain.alerts import Alert
from services.casework.domain.case import Case
from services.casework.domain.reference import office_code
from services.casework.domain.roles import User
from services.casework.domain.units import Unit
from services.messaging import pg_arrays
from services.messaging.many import execute_many
from services.messaging.times import as_utc, utc


class StaleCase(Exception):
    """Someone else changed the case in between; the command is retried on the fresh state."""


# Built once: making a statement costs several times what executing a cached one does, and these run per message.
_CASE_STATE = select(cases.c.state).where(or_(cases.c.case_id == bindparam("ref"),
                                              cases.c.reference == bindparam("ref")))
_CASE_FOR_INCIDENT = select(cases.c.case_id).where(cases.c.incident_key == bindparam("key"))
_CASES_FOR_INCIDENTS = select(cases.c.incident_key).where(cases.c.incident_key.in_(bindparam("keys", expanding=True)))
_CASES_FOR_INCIDENTS_PG = select(cases.c.incident_key).where(pg_arrays.any_of(cases.c.incident_key, "keys"))
_INSERT_CASE = insert(cases)
_UPDATES: dict[tuple[str, ...], Update] = {}
_INSERT_HISTORY = insert(case_history)
_INSERT_IDENTITIES = insert(case_identities)
_INSERT_PEOPLE = insert(person_index)
_USER = select(users).where(users.c.username == bindparam("username"))
_BUMPS: dict[str, Insert] = {}
_SET_SEQUENCE = (update(office_sequences).where(office_sequences.c.code == bindparam("k_code"),
                                                office_sequences.c.year == bindparam("k_year"))
                 .values(last=bindparam("last")))
_ADD_ALERTS_MANY: dict[str, Insert] = {}
_ADD_ALIASES_MANY: dict[str, Insert] = {}
_LIVE_ALERTS = select(alerts).where(alerts.c.case_id.in_(bindparam("case_ids", expanding=True)),
                                    alerts.c.resolved_at.is_(None))
_ALERT_BY_ALIAS = (select(alerts).join(alert_aliases, alert_aliases.c.alert_id == alerts.c.alert_id)
                   .where(alert_aliases.c.alias == bindparam("alias")))
_CHANGING = ("level", "recipient_role", "recipients", "rank", "reminders", "latest_at", "period", "due_at",
             "assignee", "message", "acknowledged_by", "acknowledged_at", "resolved_at", "resolution")
_UPDATE_ALERT = (update(alerts).where(alerts.c.alert_id == bindparam("k_alert_id"))
                 .values({name: bindparam(name) for name in _CHANGING}))


def _update_case(columns: tuple[str, ...]) -> Update:
    """The optimistic update of a case's columns (built once per set of columns)."""
    if columns not in _UPDATES:
        _UPDATES[columns] = (
            update(cases)
            .where(cases.c.case_id == bindparam("k_case_id"), cases.c.version == bindparam("k_version"))
            .values({name: bindparam(name) for name in columns})
        )
    return _UPDATES[columns]


def _add_alerts_many(dialect: str) -> Insert:
    """Insert alerts unless their ids are there already: one statement for many rows (per dialect, built once)."""
    if dialect not in _ADD_ALERTS_MANY:
        dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
        _ADD_ALERTS_MANY[dialect] = dialect_insert(alerts).on_conflict_do_nothing(index_elements=["alert_id"])
        _ADD_ALIASES_MANY[dialect] = dialect_insert(alert_aliases).on_conflict_do_nothing(index_elements=["alias"])
    return _ADD_ALERTS_MANY[dialect]


def _bump(dialect: str) -> Insert:
    """The next reference number of an office and year, as one atomic upsert (per dialect, built once)."""
    if dialect not in _BUMPS:
        dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
        first = dialect_insert(office_sequences).values(code=bindparam("code"), year=bindparam("year"), last=1)
        _BUMPS[dialect] = first.on_conflict_do_update(
            index_elements=["code", "year"], set_={"last": office_sequences.c.last + 1}
        ).returning(office_sequences.c.last)
    return _BUMPS[dialect]


def _case_row(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id, "reference": case.reference, "incident_key": case.incident_key,
        "office": case.office, "stage": case.stage, "assignee": case.assignee,
        # In UTC: SQLite keeps no offset, so a time written with one would be read back shifted (and misordered).
        "reported_at": utc(case.reported_at), "registered_at": utc(case.registered_at),
        "recorded_at": as_utc(case.recorded_at), "last_activity_at": as_utc(case.last_activity_at),
        "closed_at": as_utc(case.closed_at), "version": case.version,
        "state": state.dumps(case), "place_pcode": case.details.get("place_pcode"),
    }


class BatchCases:
    """Registrations of a batch: which of its incidents already have a case, read in one query; the cases, their
    identities and history rows written at its end (in the batch's order), each seen by its later messages."""

    def __init__(self) -> None:
        self.known: set[str] = set()  # incident keys with a case
        self.checked: set[str] = set()
        self.users: dict[str, User | None] = {}
        self.sequences: dict[tuple[str, int], int] = {}  # (office code, year): the last number given in the batch
        self.cases: list[dict[str, Any]] = []
        self.new: list[Case] = []
        self.identities: list[dict[str, Any]] = []
        self.people: list[dict[str, Any]] = []  # rows of the blind index of people (ADR 23)
        self.history: list[dict[str, Any]] = []
        self.alerts = BatchAlerts()
        self.schedules = BatchSchedules()
        self._units: list[Unit] | None = None

    def units(self, conn: Connection) -> list[Unit]:
        """The perpetrator units, read once a batch (and only by a batch with an act naming one)."""
        if self._units is None:
            self._units = list_units(conn)
        return self._units

    def prefetch(self, conn: Connection, incident_keys: Sequence[str]) -> None:
        keys = list(dict.fromkeys(k for k in incident_keys if k not in self.checked))
        if keys and conn.dialect.name == "postgresql":  # the batch's keys as one array
            self.checked.update(keys)
            self.known.update(conn.scalars(_CASES_FOR_INCIDENTS_PG, {"keys": pg_arrays.binary(conn, keys)}))
            return
        for start in range(0, len(keys), 500):  # keep under SQLite's bound-parameter limit
            chunk = keys[start : start + 500]
            self.checked.update(chunk)
            self.known.update(conn.scalars(_CASES_FOR_INCIDENTS, {"keys": chunk}))

    def case_exists_for(self, conn: Connection, incident_key: str) -> bool:
        if incident_key not in self.checked:
            self.checked.add(incident_key)
            if case_exists_for(conn, incident_key):
                self.known.add(incident_key)
        return incident_key in self.known

    def get_user(self, conn: Connection, username: str) -> User | None:
        if username not in self.users:
            self.users[username] = get_user(conn, username)
        return self.users[username]

    def next_reference_number(self, conn: Connection, office: str, year: int) -> int:
        """The batch's first case of an office and year takes its number as ever (the upsert also locks the row,
        so a second worker waits for this batch's commit); the next ones count on, written once at flush."""
        code = office_code(office)
        if (code, year) in self.sequences:
            self.sequences[code, year] += 1
        else:
            self.sequences[code, year] = next_reference_number(conn, office, year)
        return self.sequences[code, year]

    def insert_case(self, case: Case) -> None:
        self.cases.append(_case_row(case))
        self.new.append(case)
        self.known.add(case.incident_key)
        self.checked.add(case.incident_key)

    def save_identities(self, case_id: str, data: str) -> None:
        self.identities.append({"case_id": case_id, "data": data})

    def index_people(self, rows: Sequence[dict[str, Any]]) -> None:
        """A new case's rows of the blind index of people (`adapters.people_index.case_rows`)."""
        self.people.extend(rows)

    def append_history(self, rows: Sequence[dict[str, Any]]) -> None:
        self.history.extend({**r, "occurred_at": utc(r["occurred_at"])} for r in rows)

    def flush(self, conn: Connection) -> None:
        for statement, rows in ((_INSERT_CASE, self.cases), (_INSERT_IDENTITIES, self.identities),
                                (_INSERT_PEOPLE, self.people), (_INSERT_HISTORY, self.history)):
            execute_many(conn, statement, rows)
        if self.sequences:
            execute_many(conn, _SET_SEQUENCE, [{"k_code": code, "k_year": year, "last": last}
                                               for (code, year), last in self.sequences.items()])
        self.alerts.flush(conn)
        scheduled = self.schedules.flush(conn)
        # The read model after the schedules: a new case's row starts from those that came before it.
        written = summaries.add(conn, self.new)
        search_index.add(conn, self.new)
        duplicates.find(conn, list(written), written)  # against the rows just written, too
        registered = {case.case_id for case in self.new}
        summaries.follow_schedules(conn, (case_id for case_id in scheduled if case_id not in registered))
        self.cases, self.identities, self.people, self.history, self.new = [], [], [], [], []


def get_case(conn: Connection, case_ref: str) -> Case | None:
    """By case id or by human reference (MOP-2026-0007)."""
    text = conn.scalar(_CASE_STATE, {"ref": case_ref})
    return state.loads(text) if text else None


def case_exists_for(conn: Connection, incident_key: str) -> bool:
    return conn.scalar(_CASE_FOR_INCIDENT, {"key": incident_key}) is not None


def update_case(conn: Connection, before: Case, after: Case) -> None:
    row = {k: v for k, v in _case_row(after).items() if k != "case_id"}
    result = conn.execute(_update_case(tuple(row)), {**row, "k_case_id": before.case_id, "k_version": before.version})
    if result.rowcount != 1:
        raise StaleCase(before.case_id)
    summaries.change(conn, [(before, after)])
    search_index.change(conn, [(before, after)])


def next_reference_number(conn: Connection, office: str, year: int) -> int:
    """Atomic on both databases: two workers registering cases of one office never share a number."""
    return int(conn.execute(_bump(conn.dialect.name), {"code": office_code(office), "year": year}).scalar_one())


def append_history(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_HISTORY, [{**r, "occurred_at": utc(r["occurred_at"])} for r in rows])
        search_index.note(conn, rows)  # officers' notes and reasons are searched (ADR 0021)


def history(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(case_history).where(case_history.c.case_id == case_id).order_by(case_history.c.seq)
    ).mappings()
    return [{**r, "occurred_at": as_utc(r["occurred_at"]), "payload": json.loads(r["payload"])} for r in rows]


def load_identities(conn: Connection, case_id: str) -> str | None:
    return conn.scalar(select(case_identities.c.data).where(case_identities.c.case_id == case_id))


def list_cases(conn: Connection, *, office: str | None = None, stage: str | None = None,
               assignee: str | None = None, limit: int = 100, offset: int = 0) -> list[Case]:
    query = select(cases.c.state).order_by(cases.c.reported_at, cases.c.reference).limit(limit).offset(offset)
    for column, value in ((cases.c.office, office), (cases.c.stage, stage), (cases.c.assignee, assignee)):
        if value is not None:
            query = query.where(column == value)
    return [state.loads(text) for text in conn.scalars(query)]


def count_cases(conn: Connection) -> list[tuple[str, str, int]]:
    """(office, stage, count): what the open-cases gauges read, so they are right after a restart."""
    rows = conn.execute(select(cases.c.office, cases.c.stage, func.count()).group_by(cases.c.office, cases.c.stage))
    return [(o, s, int(n)) for o, s, n in rows]


def oldest_activity(conn: Connection) -> list[tuple[str, str, datetime]]:
    """(office, stage, time): the last activity (or report) of the longest-idle open case, for a stall gauge."""
    since = func.min(func.coalesce(cases.c.last_activity_at, cases.c.reported_at))
    rows = conn.execute(select(cases.c.office, cases.c.stage, since).where(cases.c.stage != "closed")
                        .group_by(cases.c.office, cases.c.stage))
    return [(o, s, utc(t if isinstance(t, datetime) else datetime.fromisoformat(t))) for o, s, t in rows]


def count_open_alerts(conn: Connection) -> list[tuple[str, str, str, int]]:
    """(office, kind, recipient role of its level, count) of alerts neither acknowledged nor resolved: one per case
    and clock, however many reminders each holds; counts, never cases."""
    query = (select(alerts.c.office, alerts.c.kind, alerts.c.recipient_role, func.count())
             .where(alerts.c.acknowledged_at.is_(None), alerts.c.resolved_at.is_(None))
             .group_by(alerts.c.office, alerts.c.kind, alerts.c.recipient_role))
    return [(o, k, r, int(n)) for o, k, r, n in conn.execute(query)]


# Users ---------------------------------------------------------------------------------------------------

def get_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(_USER, {"username": username}).mappings().first()
    return User(**row) if row else None


def save_user(conn: Connection, user: User) -> None:
    if get_user(conn, user.username) is None:
        conn.execute(insert(users).values(**asdict(user)))
    else:
        conn.execute(update(users).where(users.c.username == user.username).values(**asdict(user)))


def list_users(conn: Connection) -> list[User]:
    return [User(**r) for r in conn.execute(select(users).order_by(users.c.office, users.c.username)).mappings()]


def officers_of(conn: Connection, offices: Sequence[str], limit: int) -> list[tuple[str, str]]:
    """(username, name shown) of up to `limit` Human Rights Officers of these offices, by office and username (a
    filter's choices: every list page asks them, so only the two columns are read)."""
    query = (select(users.c.username, users.c.display_name).where(users.c.role == "hro",
                                                                   users.c.office.in_(list(offices)))
             .order_by(users.c.office, users.c.username).limit(limit))
    return [(name, shown or name) for name, shown in conn.execute(query)]


# Alerts --------------------------------------------------------------------------------------------------

_ALERT_TIMES = ("due_at", "opened_at", "acknowledged_at", "resolved_at", "latest_at")


_ALERT_FIELDS = tuple(f.name for f in fields(Alert))


def _alert_row(alert: Alert) -> dict[str, Any]:
    data = {name: getattr(alert, name) for name in _ALERT_FIELDS}  # flat: asdict's deep copy is not needed
    data["latest_at"], data["recipients"] = alert.last_at, " ".join(alert.reached)
    for key in _ALERT_TIMES:
        data[key] = as_utc(data[key])
    data["rank"] = alert.rank
    return data


def _alert(row: Any) -> Alert:
    data = {name: row[name] for name in _ALERT_FIELDS}
    for key in ("due_at", "opened_at"):
        data[key] = utc(data[key])
    for key in ("acknowledged_at", "resolved_at", "latest_at"):
        data[key] = as_utc(data[key])
    return Alert(**data)


def get_alert(conn: Connection, alert_id: str) -> Alert | None:
    """By its id, or by an id it is also known by (an SLA event it holds, an alert merged into it)."""
    row = conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).mappings().first()
    row = row or conn.execute(_ALERT_BY_ALIAS, {"alias": alert_id}).mappings().first()
    return _alert(row) if row else None


def save_alert(conn: Connection, alert: Alert) -> None:
    conn.execute(update(alerts).where(alerts.c.alert_id == alert.alert_id).values(**_alert_row(alert)))


class BatchAlerts:
    """SLA alerts of a batch, one per case and clock: the live ones of the batch's cases read in one query, folded
    in memory as batches of one would, written at its end (new alerts inserted, changed ones updated, and each SLA
    event held recorded as an alias of its alert)."""

    def __init__(self) -> None:
        self.live: dict[tuple[str, str], Alert | None] = {}  # (case, kind): its live alert (None: none)
        self.loaded: set[str] = set()  # cases whose live alerts are in `live`
        self.stored: set[str] = set()  # ids of the alerts read from the table
        self.new: dict[str, Alert] = {}  # alert id: an alert opened in the batch
        self.changed: dict[str, Alert] = {}  # alert id: one from before the batch, as the batch left it
        self.aliases: list[dict[str, str]] = []

    def prefetch(self, conn: Connection, case_ids: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(c for c in case_ids if c not in self.loaded))
        for start in range(0, len(wanted), 500):  # keep under SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            self.loaded.update(chunk)
            for row in conn.execute(_LIVE_ALERTS, {"case_ids": chunk}).mappings():
                alert = _alert(row)
                self.live[(alert.case_id, alert.kind)] = alert
                self.stored.add(alert.alert_id)

    def add(self, alert: Alert) -> None:
        """An alert opened outside an SLA event (a likely duplicate), unless one with its id is there already."""
        self.new.setdefault(alert.alert_id, alert)

    def on_sla_event(self, conn: Connection, event_id: str, event_type: str, payload: dict[str, Any],
                     at: datetime) -> None:
        """A warning, breach or escalation: folded into its clock's live alert, or opening one."""
        self.prefetch(conn, [payload["case_id"]])
        key = (payload["case_id"], payload["clock"])
        current = self.live.get(key)
        if current is None:
            opened = alert_rules.from_sla_event(event_id, event_type, payload, at)
            if opened is None:
                return
            self._keep(key, opened)
        else:
            self._keep(key, alert_rules.fold(current, event_type, payload, at))
            self.aliases.append({"alias": event_id, "alert_id": current.alert_id})

    def resolve(self, conn: Connection, case_id: str, kind: str, at: datetime, resolution: str) -> None:
        self.prefetch(conn, [case_id])
        current = self.live.get((case_id, kind))
        if current is not None:
            self._keep((case_id, kind), alert_rules.resolve(current, utc(at), resolution))
            self.live[(case_id, kind)] = None

    def _keep(self, key: tuple[str, str], alert: Alert) -> None:
        self.live[key] = alert
        (self.changed if alert.alert_id in self.stored else self.new)[alert.alert_id] = alert

    def flush(self, conn: Connection) -> None:
        if self.changed:
            rows = [_alert_row(a) for a in self.changed.values()]
            execute_many(conn, _UPDATE_ALERT, [{"k_alert_id": r["alert_id"], **{n: r[n] for n in _CHANGING}}
                                               for r in rows])
        if self.new:
            conn.execute(_add_alerts_many(conn.dialect.name), [_alert_row(a) for a in self.new.values()])
        if self.aliases:
            _add_alerts_many(conn.dialect.name)
            conn.execute(_ADD_ALIASES_MANY[conn.dialect.name], self.aliases)
        self.live, self.loaded, self.stored, self.new, self.changed, self.aliases = {}, set(), set(), {}, {}, []


def list_alerts(conn: Connection, *, role: str | None = None, office: str | None = None,
                assignee: str | None = None, open_only: bool = True, limit: int = 200) -> list[Alert]:
    """Most urgent first: by level, then the longest overdue; `role`: the alerts that have reached it."""
    query = select(alerts).order_by(alerts.c.rank.desc(), alerts.c.due_at, alerts.c.alert_id).limit(limit)
    if open_only:
        query = query.where(alerts.c.resolved_at.is_(None), alerts.c.acknowledged_at.is_(None))
    if role is not None:
        query = query.where(alerts.c.recipients.contains(role))
    for column, value in ((alerts.c.office, office), (alerts.c.assignee, assignee)):
        if value is not None:
            query = query.where(column == value)
    return [_alert(r) for r in conn.execute(query).mappings()]


def inbox_for(conn: Connection, user: User, open_only: bool = True) -> list[Alert]:
    """The alerts that have reached this person: by role, and by office except for Directors."""
    if user.role == "director":
        return list_alerts(conn, role="director", open_only=open_only)
    if user.role == "hro":
        return list_alerts(conn, role="hro", assignee=user.username, open_only=open_only)
    return list_alerts(conn, role=user.role, office=user.office, open_only=open_only)
