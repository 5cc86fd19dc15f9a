"""Casework tables: cases, history, users, units, alerts, identities kept apart, API tokens, access log, deliveries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    Column("place_pcode", String(16), nullable=True),  # the incident's unit in the gazetteer (incident v2)
    Index("ix_cases_office_stage", "office", "stage"),
    Index("ix_cases_assignee", "assignee"),
    Index("ix_cases_place_pcode", "place_pcode"),
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
# history, alerts or exports can carry them by accident; `data` is Fernet ciphertext (adapters/vault.py).
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

# Named units an admin keeps, that acts name as their alleged perpetrator (never deleted: acts keep naming them).
perpetrator_units = Table(
    "perpetrator_units",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("perpetrator_category", String(40), nullable=False),
    Column("un_supported_security_force", Boolean, nullable=False),
    Column("added_at", When, nullable=False),
    Column("retired", Boolean, nullable=False, default=False),
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
    # One alert per case and clock (ADR 0015): the SLA events it holds, the latest's time, the roles reached
    # ("hro team_leader director", in that order) and its level's rank, what the worklist ranks by.
    Column("reminders", Integer, nullable=False, default=1, server_default=text("1")),
    Column("latest_at", When, nullable=True),
    Column("recipients", String(48), nullable=False, default="", server_default=""),
    Column("rank", SmallInteger, nullable=False, default=0, server_default=text("0")),
    # recipients and case_id too: the menu's count and the worklist's total read an office's open alerts to find the
    # cases that reached a person, and with them in the index they never look a row up (at a million cases 13,000
    # lookups through an office's alerts to the Director before its Team Leader's: 23 ms on every page).
    Index("ix_alerts_worklist", "office", "resolved_at", "acknowledged_at", "rank", "due_at", "recipients", "case_id"),
    Index("ix_alerts_open", "resolved_at", "acknowledged_at", "rank", "due_at", "recipients", "case_id"),  # the same
    Index("ix_alerts_assignee", "assignee", "resolved_at", "acknowledged_at"),
    Index("ix_alerts_clock", "case_id", "kind", "resolved_at"),
)

# Ids an alert is also known by: each SLA event folded into it, and the alerts a migration merged into it, so that
# an AlertAcknowledged naming one (or a link in an e-mail sent before) still reaches the alert that holds it.
alert_aliases = Table(
    "alert_aliases",
    metadata,
    Column("alias", String(64), primary_key=True),
    Column("alert_id", String(64), nullable=False, index=True),
)

# API tokens: only a SHA-256 of the secret part is kept; the token itself is shown once, when issued.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", When, nullable=False),
    Column("expires_at", When, nullable=True),
    Column("revoked_at", When, nullable=True),
)

# Append-only: the repository offers no way to change or delete a row, and triggers make the database refuse to
# (migration 9777f2fd961d; a batch-mode alteration of this table on SQLite must create them again). No identity;
# `reason` is what a Director gave for opening a case's identities to decide its closure (ADR 13).
access_log = Table(
    "access_log",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("at", When, nullable=False, index=True),
    Column("username", String(64), nullable=True, index=True),
    Column("role", String(16), nullable=True),
    Column("office", String(40), nullable=True),
    Column("remote_addr", String(64), nullable=True),
    Column("method", String(8), nullable=False),
    Column("endpoint", String(120), nullable=False),
    Column("case_id", String(36), nullable=True, index=True),
    Column("reference", String(32), nullable=True),
    Column("action", String(8), nullable=False),  # read or change
    Column("status", SmallInteger, nullable=False),
    Column("identities_shown", Boolean, nullable=False, default=False),
    Column("reason", String(500), nullable=True),
)

# How each user wants alerts: e-mail and/or a webhook, immediately or in a daily digest.
alert_preferences = Table(
    "alert_preferences",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("email", String(254), nullable=True),
    Column("webhook_url", String(500), nullable=True),
    Column("mode", String(16), nullable=False, default="immediate"),
)

# One row per (alert, reminders, recipient, channel): planned once for each change of the alert (a new level or
# reminder), then attempted with backoff until sent or given up; a digest's pending row stands for later changes.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("digest", Boolean, nullable=False, default=False, server_default=text("false")),  # in a digest
    Column("due_at", When, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", When, nullable=False),
    Column("delivered_at", When, nullable=True),
    Column("last_error", String(500), nullable=False, default=""),
    Column("reminders", Integer, nullable=False, default=1, server_default=text("1")),  # the alert's, when planned
    UniqueConstraint("alert_id", "reminders", "username", "channel", name="uq_alert_deliveries_recipient"),
    Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
)

# Which alerts have had their deliveries planned, and up to how many reminders: each change is planned once.
alert_dispatch = Table(
    "alert_dispatch",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("planned_at", When, nullable=False),
    Column("reminders", Integer, nullable=False, default=1, server_default=text("1")),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)

# Web sign-in: an argon2 hash of each user's password (set by `hrcase users password`) and their language. Users
# without a password cannot sign in. (failed_logins and locked_until are no longer used: see sign_in_failures.)
web_accounts = Table(
    "web_accounts",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=True),
    Column("password_set_at", When, nullable=True),
    Column("locale", String(8), nullable=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", When, nullable=True),
)

# Runs of failed sign-ins per address ("address:<ip>") and per username typed ("account:<name>", known or not):
# what the throttle's delays grow from (auth/throttle.py). Shared by every worker; a run an hour old is forgotten.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", When, nullable=False, index=True),
)

# Signed-in browser sessions: the cookie carries a random token, only its SHA-256 is kept; ended on sign-out.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", When, nullable=False),
    Column("last_seen_at", When, nullable=False),
    Column("expires_at", When, nullable=False),
    Column("ended_at", When, nullable=True),
)

# The key that signs the web cookies when HRCASE_WEB_SECRET is not set: made once, shared by every worker.
web_keys = Table(
    "web_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
)

# The latest schedule of each clock of a case, as sla_monitor published it (SlaScheduled): what lists sort by.
case_schedules = Table(
    "case_schedules",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("clock", String(24), primary_key=True),
    Column("episode", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", When, nullable=False),
    Column("due_at", When, nullable=False),
    Column("warn_at", When, nullable=False),
    Column("escalate_at", When, nullable=True),
    Column("paused_until", When, nullable=True),
    Column("stopped_at", When, nullable=True),
    Column("outcome", String(8), nullable=True),
    Column("policy_version", String(40), nullable=False),
)

_UNJUDGED = text("recorded_at IS NULL AND recording_outcome IS NULL")
_PLACED = text("latitude IS NOT NULL AND longitude IS NOT NULL")

# The case read model (ADR 0019): one row per case, kept in the transaction that changes the case or its schedules,
# holding what lists, filters, sorting and counts need, so that no page reads or folds a case's state or history.
case_summaries = Table(
    "case_summaries",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("office", String(40), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("sitrep_id", String(120), nullable=True),
    Column("reported_at", When, nullable=False),
    Column("occurred_at", When, nullable=True),
    Column("registered_at", When, nullable=False),
    Column("recorded_at", When, nullable=True),
    Column("last_activity_at", When, nullable=True),
    Column("closed_at", When, nullable=True),
    Column("closure_requested_at", When, nullable=True),
    Column("place", String(200), nullable=False, default=""),
    Column("place_pcode", String(16), nullable=True),
    Column("region_pcode", String(16), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("violations", String(400), nullable=False, default=" "),  # " killing torture ": each code whole
    Column("perpetrator", String(40), nullable=True),
    Column("victims", Integer, nullable=False, default=0),
    Column("excerpt", String(240), nullable=False, default=""),  # the summary's first characters, for lists
    Column("possible_duplicate", Boolean, nullable=False, default=False),
    Column("consent_withdrawn", Boolean, nullable=False, default=False),
    Column("free_text_place", Boolean, nullable=False, default=False),
    Column("unit_unknown", Boolean, nullable=False, default=False),
    Column("delay_justified", Boolean, nullable=False, default=False),
    Column("closed_without_approval", Boolean, nullable=False, default=False),
    Column("next_clock", String(24), nullable=True),
    Column("next_due_at", When, nullable=True),
    Column("next_warn_at", When, nullable=True),
    Column("next_paused_until", When, nullable=True),
    # next_due_at, or the far future for a case with no running clock: one index serves "most urgent first" on
    # both databases (which disagree on where NULLs sort).
    Column("urgency_at", When, nullable=False),
    Column("recording_due_at", When, nullable=True),
    Column("recording_outcome", String(8), nullable=True),  # met | missed once the monitor stopped the clock
    Column("recording_stopped_at", When, nullable=True),
    Column("stall_due_at", When, nullable=True),  # the running stall clock's goal: stalled once it has come
    Column("follow_ups", Integer, nullable=False, default=0),  # follow-ups recorded (closed cases with one)
    Column("stall_reason", Boolean, nullable=False, default=False),  # a justified delay since the last activity
    Column("recording_days", Float, nullable=True),  # days from the report to recording, for the delay figures
    Column("version", Integer, nullable=False),
    Index("ix_case_summaries_office_urgency", "office", "urgency_at", "reference"),
    Index("ix_case_summaries_urgency", "urgency_at", "reference"),
    Index("ix_case_summaries_assignee_urgency", "assignee", "urgency_at", "reference"),
    # An officer's cases within their office (My cases): two equalities, which the planner prefers even without
    # statistics to the office's index alone (migration d2b7e5c9a4f1).
    Index("ix_case_summaries_assignee_office_urgency", "assignee", "office", "urgency_at", "reference"),
    Index("ix_case_summaries_office_stage", "office", "stage"),
    Index("ix_case_summaries_stage_requested", "stage", "closure_requested_at"),
    Index("ix_case_summaries_reported", "reported_at"),
    Index("ix_case_summaries_occurred", "occurred_at"),
    Index("ix_case_summaries_region", "region_pcode"),
    Index("ix_case_summaries_place", "place_pcode"),
    Index("ix_case_summaries_perpetrator", "perpetrator"),
    # The lists' filters with their order (migration c3e9a7d2f5b1): a stage of an office, or of every office, most
    # urgent first; the closure queue of an office, oldest request first.
    Index("ix_case_summaries_office_stage_urgency", "office", "stage", "urgency_at", "reference"),
    Index("ix_case_summaries_stage_urgency", "stage", "urgency_at", "reference"),
    Index("ix_case_summaries_office_stage_requested", "office", "stage", "closure_requested_at", "reference"),
    Index("ix_case_summaries_stall", "stall_due_at"),
    # The overview's medians and ranks walk these in order (LIMIT 1 OFFSET k) instead of sorting every case: the
    # recording delays, and the recording goals of the unrecorded not yet judged (migration d2b7e5c9a4f1).
    Index("ix_case_summaries_office_delay", "office", "recording_days"),
    Index("ix_case_summaries_delay", "recording_days"),
    Index("ix_case_summaries_office_unrecorded_due", "office", "recording_due_at", sqlite_where=_UNJUDGED,
          postgresql_where=_UNJUDGED),
    Index("ix_case_summaries_unrecorded_due", "recording_due_at", sqlite_where=_UNJUDGED, postgresql_where=_UNJUDGED),
    # The overview's map: the incidents with their own coordinates, found without reading every case (ADR 0025).
    Index("ix_case_summaries_placed", "reference", sqlite_where=_PLACED, postgresql_where=_PLACED),
    Index("ix_case_summaries_office_placed", "office", "reference", sqlite_where=_PLACED, postgresql_where=_PLACED),
    # Likely duplicates of a new case are looked for in its region within days of it (ADR 0022).
    Index("ix_case_summaries_region_occurred", "region_pcode", "occurred_at"),
    Index("ix_case_summaries_place_occurred", "place", "occurred_at"),  # duplicates of a place with no region
)

# How many cases each office has at each stage, kept with the rows of case_summaries (adapters/summaries.py): a
# list's total under an office, a stage or neither, without counting its rows.
case_counts = Table(
    "case_counts",
    metadata,
    Column("office", String(40), primary_key=True),
    Column("stage", String(24), primary_key=True),
    Column("cases", Integer, nullable=False),
)

# Each violation a case counts under, for the violation facet and counts without scanning every summary.
case_violations = Table(
    "case_violations",
    metadata,
    Column("violation", String(40), primary_key=True),
    Column("case_id", String(36), primary_key=True),
    Index("ix_case_violations_case", "case_id"),
)

# The blind index of people (ADR 23): per case and person, a keyed digest (HMAC-SHA256 under a key derived from the
# identity key) of each normalised name token and of each name with the birth year. Never a name in the clear.
person_index = Table(
    "person_index",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("person", String(16), primary_key=True),  # the person's ref in the case (v1: "victims.0")
    Column("digest", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),  # token or name_year
    Index("ix_person_index_digest", "digest"),
)

# Requests to read cases of another office that a lookup of a person matched (ADR 23): the cases' ids are kept
# here, never shown to the requester until granted; the office's Team Leader grants or refuses, with a reason.
access_requests = Table(
    "access_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("requester", String(64), nullable=False, index=True),
    Column("office", String(40), nullable=False),
    Column("case_ids", Text, nullable=False),  # JSON list
    Column("reason", String(500), nullable=False),
    Column("at", When, nullable=False),
    Column("status", String(10), nullable=False),  # pending, granted, refused, revoked (domain.access_grants)
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", When, nullable=True),
    Column("decision_reason", String(500), nullable=True),
    Column("expires_at", When, nullable=True),  # a grant's end
    Column("revoked_by", String(64), nullable=True),
    Column("revoked_at", When, nullable=True),
    Column("revocation_reason", String(500), nullable=True),
    # When its Team Leaders' notices were planned (adapters/notices): each request once; NULL: not yet.
    Column("notices_planned_at", When, nullable=True),
    Index("ix_access_requests_office_status", "office", "status", "at"),
)

# An access request told to each Team Leader of its office by the channels they chose (as alerts are): sent,
# retried with backoff, or given up, like alert_deliveries.
access_request_notices = Table(
    "access_request_notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False),
    Column("username", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", When, nullable=False),
    Column("delivered_at", When, nullable=True),
    Column("last_error", String(500), nullable=False, default=""),
    UniqueConstraint("request_id", "username", "channel", name="uq_access_request_notices_recipient"),
    Index("ix_access_request_notices_due", "status", "next_attempt_at"),
)

# Who may read a case of another office because its Team Leader granted a request (read only; never identities).
access_grants = Table(
    "access_grants",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("case_id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False),
    Column("granted_by", String(64), nullable=False),
    Column("granted_at", When, nullable=False),
    Column("expires_at", When, nullable=False),  # read until then, excluded
)

# The search documents (ADR 0021): per case its summary, its place by name and its officers' notes and reasons, never
# an identity. PostgreSQL adds French and English tsvector columns computed from them (GIN-indexed, migration
# c3f9a2d7e5b1); SQLite keeps their stems in the FTS5 table case_search_fts, whose rowid is `doc`.
case_search = Table(
    "case_search",
    metadata,
    Column("doc", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(36), nullable=False, unique=True),
    Column("summary", Text, nullable=False, default=""),
    Column("place", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    # The case's office (it never moves): a search within an office intersects it with the words in the text index
    # (FTS5's `office` column; PostgreSQL's GIN indexes on (office, tsvector), with btree_gin) instead of looking up
    # each match's case.
    Column("office", String(40), nullable=False, default="", server_default=""),
)


def kept_by_metadata(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """For Alembic's comparison (include_object): False for what migrations c3f9a2d7e5b1 and a9d3f7c2e4b8 keep
    outside the metadata above: PostgreSQL's generated tsvector columns of case_search and their GIN indexes (on the
    office and each tsvector since a9d3f7c2e4b8), SQLite's FTS5 table and the shadow tables it makes."""
    if type_ == "table" and name and name.startswith("case_search_fts"):
        return False
    table = getattr(getattr(obj, "table", None), "name", None)
    if type_ == "column" and table == "case_search" and name in ("french", "english"):
        return False
    return not (type_ == "index" and name in ("ix_case_search_french", "ix_case_search_english",
                                              "ix_case_search_office_french", "ix_case_search_office_english"))


# Likely duplicates (ADR 0022): two cases that may be one incident, found when the later one is registered, for the
# Team Leaders of their offices to decide on. The cases in case-id order; each office kept for scoping the list.
duplicate_pairs = Table(
    "duplicate_pairs",
    metadata,
    Column("pair_id", String(36), primary_key=True),
    Column("first_case_id", String(36), nullable=False),
    Column("second_case_id", String(36), nullable=False),
    Column("first_office", String(40), nullable=False),
    Column("second_office", String(40), nullable=False),
    Column("score", Float, nullable=False),  # the summaries' similarity, 0 to 1
    Column("reasons", String(200), nullable=False),  # space-separated codes: window same_place violation ...
    Column("found_at", When, nullable=False),
    Column("status", String(12), nullable=False, default="open"),  # open | distinct | merged
    Column("survivor_case_id", String(36), nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", When, nullable=True),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("first_case_id", "second_case_id", name="uq_duplicate_pairs_cases"),
    Index("ix_duplicate_pairs_status", "status", "found_at"),
    Index("ix_duplicate_pairs_first_office", "first_office", "status"),
    Index("ix_duplicate_pairs_second_office", "second_office", "status"),
)
