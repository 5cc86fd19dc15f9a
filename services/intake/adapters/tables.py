"""Intake's tables: accepted incidents (for de-duplication and counts), remembered rejections, inbox, outbox."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from services.messaging.store import inbox_table, outbox_table

metadata = MetaData()

accepted_incidents = Table(
    "accepted_incidents",
    metadata,
    Column("incident_key", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("sitrep_id", String(64), nullable=False),
    Column("incident_number", Integer, nullable=False),
    Column("office", String(40), nullable=False, index=True),
    Column("occurred_on", Date, nullable=False),
    Column("location", Text, nullable=False),  # normalised; casefolding may lengthen it
    Column("violation_types", String(400), nullable=False),  # sorted, ';'-separated
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
    # The likely-duplicate look-up: same day, same place.
    Index("ix_accepted_incidents_day_place", "occurred_on", "location"),
)

# A record rejected once is not dead-lettered again when its report is replayed (see handlers).
rejected_records = Table(
    "rejected_records",
    metadata,
    Column("original_sha256", String(64), primary_key=True),
    Column("incident_key", String(200), nullable=True),
    Column("reason", Text, nullable=False),
    Column("first_position", String(300), nullable=False),
    Column("rejected_at", DateTime(timezone=True), nullable=False),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
