"""Casework tables: cases, their history, users, alerts, identities kept apart, inbox and outbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from services.messaging.store import inbox_table, outbox_table

metadata = MetaData()
Id = BigInteger().with_variant(Integer, "sqlite")
When = DateTime(timezone=True)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("incident_key", String(200), nullable=False, unique=True),
    Column("office", String(40), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("reported_at", When, nullable=False),
    Column("registered_at", When, nullable=False),
    Column("recorded_at", When, nullable=True),
    Column("last_activity_at", When, nullable=True),
    Column("closed_at", When, nullable=True),
    Column("version", Integer, nullable=False),
    Column("state", Text, nullable=False),  # the rest of the Case, as JSON
    Index("ix_cases_office_stage", "office", "stage"),
    Index("ix_cases_assignee", "assignee"),
)

case_history = Table(
    "case_history",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("type", String(40), nullable=False),
    Column("occurred_at", When, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # the event as emitted: never holds identities
)

# Identities of victims, witnesses and sources live apart from the case so that nothing that reads cases,
# history, alerts or exports can carry them by accident.
case_identities = Table(
    "case_identities",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("data", Text, nullable=False),
)

office_sequences = Table(
    "office_sequences",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("office", String(40), nullable=False),
    Column("display_name", String(200), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("reference", String(32), nullable=False),
    Column("office", String(40), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("level", String(16), nullable=False),
    Column("recipient_role", String(16), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("period", Integer, nullable=False),
    Column("due_at", When, nullable=False),
    Column("opened_at", When, nullable=False),
    Column("message", Text, nullable=False),
    Column("acknowledged_by", String(64), nullable=True),
    Column("acknowledged_at", When, nullable=True),
    Column("resolved_at", When, nullable=True),
    Column("resolution", Text, nullable=False, default=""),
    Index("ix_alerts_inbox", "recipient_role", "office", "resolved_at", "acknowledged_at"),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
