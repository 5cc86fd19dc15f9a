"""The production layout's side of a handover: its tables by service, its outboxes, its topics in one order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, select

from schemas.topics import CASE_EVENTS, INCIDENTS, SITREP_INCIDENTS, SLA_EVENTS
from services.casework.adapters import tables as casework_tables
from services.config import SERVICES, Settings
from services.intake.adapters import tables as intake_tables
from services.messaging.ports import Message
from services.reporting.handover import HandoverError, write_export
from services.sla_monitor.adapters import policy_file
from services.sla_monitor.adapters import tables as sla_tables

# Ties between records of the same millisecond go cause first: a report's record, the incident accepted from it, the
# case registered for it, the monitor's reaction; then the dead letters (topics not named here), by name.
CAUSAL_ORDER = (SITREP_INCIDENTS, INCIDENTS, CASE_EVENTS, SLA_EVENTS)
METADATA: dict[str, MetaData] = {"intake": intake_tables.metadata, "casework": casework_tables.metadata,
                                 "sla_monitor": sla_tables.metadata}
OUTBOXES: dict[str, Table] = {"intake": intake_tables.outbox, "casework": casework_tables.outbox,
                              "sla_monitor": sla_tables.outbox}

# The installation's own, not its history: the key that signs web sessions (made at the first page served). An
# import neither copies it nor is refused for it.
OWN: frozenset[Table] = frozenset({casework_tables.web_keys})


def topics_in_causal_order(settings: Settings) -> list[str]:
    names = [t.name for t in settings.topics()]
    return [t for t in CAUSAL_ORDER if t in names] + sorted(t for t in names if t not in CAUSAL_ORDER)


def count_rows(settings: Settings, service: str, tables: Iterable[Table] | None = None) -> dict[str, int]:
    """Rows in each of the service's tables (in its PostgreSQL schema), by `schema.table`."""
    engine, schema = settings.database(service)
    try:
        with engine.connect() as conn:
            return {f"{schema}.{t.name}": int(conn.scalar(select(func.count()).select_from(t)) or 0)
                    for t in (tables if tables is not None else METADATA[service].sorted_tables) if t not in OWN}
    finally:
        engine.dispose()


def unsent(settings: Settings) -> dict[str, int]:
    """Events each service has committed and not yet relayed to Kafka: an export without them is incomplete."""
    waiting = {}
    for service in SERVICES:
        waiting.update(count_rows(settings, service, [OUTBOXES[service]]))
    return {outbox: n for outbox, n in waiting.items() if n}


def export_production(settings: Settings, folder: Path, read: Callable[[list[str]], Iterator[Message]],
                      users: list[Any]) -> dict[str, Any]:
    """`hrcase export` of the production layout: every topic read whole from Kafka (`read`, in one order that keeps
    each partition's), casework's users, the SLA policy; refused while an outbox holds events not yet on Kafka."""
    waiting = unsent(settings)
    if waiting:
        listed = ", ".join(f"{outbox}: {n:,}" for outbox, n in sorted(waiting.items()))
        raise HandoverError(f"events wait to be relayed to Kafka ({listed}): an export must be complete; start the "
                            "service's worker if it is stopped, wait until its outbox is empty, and export again")
    version = policy_file.load(settings.policy_path).version
    return write_export(folder, read(topics_in_causal_order(settings)), users, settings.policy_path, version,
                        renumber=True, vault=settings.vault())

