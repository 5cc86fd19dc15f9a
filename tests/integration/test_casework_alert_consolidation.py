"""The migration to one alert per case and clock merges the cards an earlier version wrote, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Column, Engine, MetaData, Table, insert

from services.casework.adapters import repository as repo
from services.casework.adapters import tables
from services.messaging import migrate as migrations

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
BEFORE = "7c4e2a9f6b13"  # the head before one alert per case and clock
SUPERSEDED = "overdue: the breach's alert replaces this warning"
OLD_COLUMNS = ("alert_id", "case_id", "reference", "office", "kind", "level", "recipient_role", "assignee", "period",
               "due_at", "opened_at", "message", "acknowledged_by", "acknowledged_at", "resolved_at", "resolution")


def to(engine: Engine, revision: str, schema: str | None) -> None:
    config = migrations._config("services.casework", schema)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def card(alert_id: str, level: str, role: str, opened: datetime, case_id: str = "c-1", kind: str = "stall",
         **more: Any) -> dict[str, Any]:
    row = {"alert_id": alert_id, "case_id": case_id, "reference": "MOP-2026-0001", "office": "Mopti", "kind": kind,
           "level": level, "recipient_role": role, "assignee": "awa", "period": 1, "due_at": opened,
           "opened_at": opened, "message": f"{level} {alert_id}", "acknowledged_by": None, "acknowledged_at": None,
           "resolved_at": None, "resolution": ""}
    return row | more


def test_the_cards_of_each_clocks_episode_become_one_alert_and_their_ids_still_name_it(
        engines: tuple[Engine, str | None]) -> None:
    engine, schema = engines
    to(engine, BEFORE, schema)
    served = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
    cards = [
        # c-1's stall: a first episode (warning superseded by its breach, both cleared), then a second of 3 breaches
        card("w1", "warning", "hro", T0, resolved_at=T0 + DAY, resolution=SUPERSEDED),
        card("b1", "breach", "team_leader", T0 + DAY, resolved_at=T0 + 2 * DAY, resolution="activity logged"),
        card("b2", "breach", "team_leader", T0 + 40 * DAY),
        card("b3", "breach", "team_leader", T0 + 70 * DAY, acknowledged_by="tl", acknowledged_at=T0 + 71 * DAY),
        card("e3", "escalation", "director", T0 + 70 * DAY, period=2),
        card("r1", "breach", "team_leader", T0, kind="review"),  # another clock: left as it is
    ]
    # The table as the earlier version declared it (today's declares columns that are not there yet).
    old = Table("alerts", MetaData(), *(Column(c.name, c.type) for c in tables.alerts.c if c.name in OLD_COLUMNS))
    with served.begin() as conn:
        conn.execute(insert(old), cards)
    to(engine, "head", schema)
    with served.connect() as conn:
        alerts = {a.alert_id: a for a in repo.list_alerts(conn, open_only=False)}
        by_old_id = repo.get_alert(conn, "e3")
    assert set(alerts) == {"w1", "b2", "r1"}
    first, second = alerts["w1"], alerts["b2"]
    assert (first.level, first.reminders, first.resolved_at, first.resolution) == (
        "breach", 2, T0 + 2 * DAY, "activity logged")
    assert first.reached == ("hro", "team_leader")
    # One card of the second episode was open: the alert is open, at its highest level, holding all three.
    assert (second.level, second.reminders, second.is_open, second.reached) == (
        "escalation", 3, True, ("team_leader", "director"))
    assert (second.opened_at, second.latest_at, second.period) == (T0 + 40 * DAY, T0 + 70 * DAY, 2)
    assert by_old_id == second
    assert (alerts["r1"].reminders, alerts["r1"].reached) == (1, ("team_leader",))
