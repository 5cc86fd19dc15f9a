"""sla_monitor tables: one row per clock of a case, the SLA events already emitted, inbox and outbox."""

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
    UniqueConstraint,
)

from services.messaging.store import inbox_table, outbox_table

metadata = MetaData()
When = DateTime(timezone=True)  # always written as UTC; SQLite hands it back naive (see repository)

clocks = Table(
    "sla_clocks",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("clock", String(24), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("office", String(40), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("started_at", When, nullable=False),
    Column("episode", String(40), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("periods_fired", Integer, nullable=False),
    Column("warned", Boolean, nullable=False),
    Column("escalated", Boolean, nullable=False),
    Column("pause_shift_us", BigInteger, nullable=False),  # microseconds: exact on every database
    Column("paused_until", When, nullable=True),
    Column("last_due", When, nullable=True),
    Column("running", Boolean, nullable=False),
    Column("next_due", When, nullable=True),
    Column("first_due", When, nullable=True),  # when the episode's first breach fired: its goal, crossed
    Column("published_under", String(80), nullable=True),  # the key of its schedules (ADR 16)
    # The tick reads only the head of this index: with nothing due it touches no row at all.
    Index("ix_sla_clocks_due", "running", "next_due"),
)

emitted = Table(
    "sla_emitted",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("clock", String(24), nullable=False),
    Column("episode", String(40), nullable=False),
    Column("period", Integer, nullable=False),
    Column("level", String(16), nullable=False),
    Column("occurred_at", When, nullable=False),
    UniqueConstraint("case_id", "clock", "episode", "period", "level", name="uq_sla_emitted_crossing"),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
