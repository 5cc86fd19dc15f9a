"""Commands officers give about a case: imperative, one per thing a person does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Command:
    case_id: str
    actor: str


@dataclass(frozen=True)
class RecordCase(Command):
    note: str = ""


@dataclass(frozen=True)
class AssignCase(Command):
    assignee: str


@dataclass(frozen=True)
class LogActivity(Command):
    description: str
    at: datetime | None = None  # when the work was done, if before now (workflow.dating_refusal bounds it)


@dataclass(frozen=True)
class AdvanceStage(Command):
    stage: str  # investigation or concluded
    note: str = ""


@dataclass(frozen=True)
class JustifyDelay(Command):
    reason: str
    until: datetime
    note: str = ""


@dataclass(frozen=True)
class ReviewCase(Command):
    note: str = ""


@dataclass(frozen=True)
class RequestClosure(Command):
    reason: str
    note: str


@dataclass(frozen=True)
class ApproveClosure(Command):
    note: str = ""


@dataclass(frozen=True)
class RejectClosure(Command):
    note: str


@dataclass(frozen=True)
class RecordFollowUp(Command):
    kind: str
    note: str = ""
    partner: str | None = None  # who a handover or referral goes to: every person's consent is checked against it


@dataclass(frozen=True)
class RecordConsent(Command):
    """A person's consent obtained after intake (replaces what the case held): schemas.people.ConsentSchema's fields."""

    person: str
    consent: Mapping[str, Any]


@dataclass(frozen=True)
class WithdrawConsent(Command):
    """A person withdrew `withdrawn` ('all' or items of schemas.case.CONSENT_ITEMS) at `withdrawn_at` (default now)."""

    person: str
    withdrawn: tuple[str, ...]
    partners: tuple[str, ...] = ()
    withdrawn_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class ReopenCase(Command):
    reason: str


@dataclass(frozen=True)
class AmendIncident(Command):
    """Correct the accepted incident's details: {field: {"old": JSON value, "new": JSON value}} (domain.amendments)."""

    reason: str
    changes: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class CorrectIdentity(Command):
    """Correct a person's identifying fields: `given` holds the ones to set (names, date_of_birth, contact; JSON
    values, in the clear). `current` is their identity as the case holds it, opened by the handler (never by the
    caller) so that the rule can say what changes (domain.identity_corrections)."""

    person: str
    given: Mapping[str, Any]
    reason: str
    current: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AcknowledgeAlert(Command):
    alert_id: str
    note: str = ""


@dataclass(frozen=True)
class DecideDuplicate(Command):
    """A decision on a pair of likely duplicates (`case_id`: the pair's first case): `distinct`, or `same` with the
    case that carries the incident on (`survivor`, by id or reference)."""

    pair_id: str
    decision: str
    survivor: str | None = None
    note: str = ""
