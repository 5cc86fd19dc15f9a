"""Alerts from SLA events and likely duplicates, and who may acknowledge them, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.casework.domain.alerts import (
    Alert,
    acknowledge,
    duplicate_alert,
    fold,
    from_sla_event,
    may_acknowledge,
    may_see,
    resolve,
)
from services.casework.domain.errors import CommandRefused
from services.casework.domain.roles import User

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=4)

AWA = User("awa", "hro", "Mopti")
BAKARY = User("bakary", "hro", "Mopti")
TL_MOPTI = User("tl_mopti", "team_leader", "Mopti")
TL_GAO = User("tl_gao", "team_leader", "Gao")
DIRECTOR = User("director", "director", "Bamako")
DEPUTY = User("deputy", "director", "Gao")
AUDITOR = User("auditor", "auditor", "Mopti")
ADMIN = User("admin", "admin", "Mopti")


def sla(clock: str = "recording", recipient_role: str = "team_leader", **extra: Any) -> dict[str, Any]:
    payload = {
        "case_id": "case-1", "reference": "MOP-2026-0001", "office": "Mopti", "stage": "reported",
        "clock": clock, "level": "breach", "period": 1, "started_at": T0, "due_at": DUE,
        "recipient_role": recipient_role, "assignee": "awa", "policy_version": "1", "reason": "",
    }
    return payload | extra


def alert_for(recipient_role: str = "team_leader", **extra: Any) -> Alert:
    alert = from_sla_event("evt-1", "SlaBreached", sla(recipient_role=recipient_role), DUE)
    assert alert is not None
    return replace(alert, **extra)


@pytest.mark.parametrize(("event_type", "level", "prefix"), [
    ("SlaWarning", "warning", "Due soon"),
    ("SlaBreached", "breach", "Overdue"),
    ("SlaEscalated", "escalation", "Escalated"),
])
def test_each_warning_breach_and_escalation_opens_an_alert_of_its_level(event_type: str, level: str,
                                                                        prefix: str) -> None:
    alert = from_sla_event("evt-1", event_type, sla(), T0 + timedelta(days=3))
    assert alert is not None
    assert (alert.alert_id, alert.level, alert.kind, alert.case_id) == ("evt-1", level, "recording", "case-1")
    assert alert.message.startswith(f"{prefix}: case MOP-2026-0001 (Mopti)")
    assert alert.is_open


def test_an_alert_goes_to_the_recipient_the_sla_event_names_with_the_cases_assignee() -> None:
    alert = from_sla_event("evt-1", "SlaEscalated", sla(recipient_role="director"), DUE)
    assert alert is not None
    assert (alert.recipient_role, alert.office, alert.assignee, alert.period) == ("director", "Mopti", "awa", 1)


def test_an_alert_opens_when_the_sla_event_happened_and_is_due_when_the_goal_falls() -> None:
    warned_at = T0 + timedelta(days=3)
    alert = from_sla_event("evt-1", "SlaWarning", sla(), warned_at)
    assert alert is not None
    assert alert.opened_at == warned_at
    assert alert.due_at == DUE


def test_an_alert_message_gives_the_due_time_in_utc_and_a_warning_its_own_instant_never_called_due() -> None:
    breach = from_sla_event("evt-1", "SlaBreached", sla(), T0)
    assert breach is not None and breach.message.endswith("; due 2026-03-06 08:00 UTC")
    warned = T0 + timedelta(days=3)  # the monitor's warning carries its own instant, a day before the goal
    warning = from_sla_event("evt-2", "SlaWarning", sla(due_at=warned), warned)
    assert warning is not None and warning.message.endswith("; warned 2026-03-05 08:00 UTC")


@pytest.mark.parametrize(("clock", "stage", "words"), [
    ("recording", "reported", "not recorded within the recording goal"),
    ("stall", "investigation", "no activity at stage 'investigation' (period 1)"),
    ("review", "preliminary", "not reviewed by a Team Leader"),
    ("closure_approval", "closure_requested", "closure awaiting a Director's decision"),
])
def test_an_alert_message_says_in_words_which_clock_ran_out(clock: str, stage: str, words: str) -> None:
    alert = from_sla_event("evt-1", "SlaBreached", sla(clock=clock, stage=stage), DUE)
    assert alert is not None
    assert words in alert.message


def test_a_cleared_clock_opens_no_alert() -> None:
    assert from_sla_event("evt-1", "SlaCleared", sla(reason="case recorded"), DUE) is None


def test_an_alert_never_carries_identities_only_the_case_reference() -> None:
    alert = from_sla_event("evt-1", "SlaBreached", sla(), DUE)
    assert alert is not None
    assert "MOP-2026-0001" in alert.message and "identit" not in alert.message.lower()


def test_a_likely_duplicate_asks_the_team_leader_of_the_office_to_review_it() -> None:
    case = {"case_id": "case-1", "reference": "MOP-2026-0002", "office": "Mopti", "assignee": None,
            "possible_duplicates": ["SR-1#3", "SR-2#1"]}
    alert = duplicate_alert("dup-case-1", case, T0)
    assert (alert.kind, alert.level, alert.recipient_role, alert.office) == (
        "possible_duplicate", "review", "team_leader", "Mopti")
    assert alert.message == "Case MOP-2026-0002 may duplicate incident(s) SR-1#3, SR-2#1: review, merge or keep"
    assert alert.opened_at == alert.due_at == T0


def test_a_team_leader_of_the_office_acknowledges_its_alert() -> None:
    done = acknowledge(alert_for(), TL_MOPTI, DUE + timedelta(hours=1))
    assert (done.acknowledged_by, done.acknowledged_at) == ("tl_mopti", DUE + timedelta(hours=1))
    assert not done.is_open


def test_acknowledging_returns_a_new_alert_and_leaves_the_original_open() -> None:
    alert = alert_for()
    acknowledge(alert, TL_MOPTI, DUE)
    assert alert.is_open


def test_a_team_leader_of_another_office_may_not_acknowledge_the_alert() -> None:
    with pytest.raises(CommandRefused, match="addressed to a Team Leader of Mopti, not to tl_gao"):
        acknowledge(alert_for(), TL_GAO, DUE)


@pytest.mark.parametrize("user", [AWA, DIRECTOR, AUDITOR, ADMIN], ids=lambda u: u.role)
def test_nobody_but_a_team_leader_acknowledges_a_team_leaders_alert(user: User) -> None:
    assert not may_acknowledge(user, alert_for())
    with pytest.raises(CommandRefused, match=f"addressed to a Team Leader of Mopti, not to {user.username}"):
        acknowledge(alert_for(), user, DUE)


@pytest.mark.parametrize("director", [DIRECTOR, DEPUTY], ids=lambda u: u.username)
def test_any_director_or_deputy_acknowledges_an_escalation_whatever_their_office(director: User) -> None:
    assert acknowledge(alert_for("director"), director, DUE).acknowledged_by == director.username


def test_a_team_leader_may_not_acknowledge_an_alert_meant_for_the_director() -> None:
    with pytest.raises(CommandRefused, match="addressed to the Director or a Deputy Director, not to tl_mopti"):
        acknowledge(alert_for("director"), TL_MOPTI, DUE)


def test_only_the_assigned_officer_acknowledges_an_alert_meant_for_the_officer() -> None:
    assert acknowledge(alert_for("hro"), AWA, DUE).acknowledged_by == "awa"
    with pytest.raises(CommandRefused, match=r"addressed to the officer assigned to the case \(awa\), not to bakary"):
        acknowledge(alert_for("hro"), BAKARY, DUE)


def test_a_deactivated_recipient_may_not_acknowledge_an_alert() -> None:
    gone = replace(TL_MOPTI, active=False)
    assert not may_acknowledge(gone, alert_for())
    with pytest.raises(CommandRefused, match="user tl_mopti is deactivated"):
        acknowledge(alert_for(), gone, DUE)


def test_an_alert_already_acknowledged_cannot_be_acknowledged_again() -> None:
    done = acknowledge(alert_for(), TL_MOPTI, DUE)
    with pytest.raises(CommandRefused, match="alert for MOP-2026-0001 is already acknowledged"):
        acknowledge(done, TL_MOPTI, DUE + timedelta(hours=1))


def test_an_alert_already_resolved_cannot_be_acknowledged() -> None:
    resolved = alert_for(resolved_at=DUE, resolution="case recorded")
    assert not resolved.is_open
    with pytest.raises(CommandRefused, match="alert for MOP-2026-0001 is already resolved"):
        acknowledge(resolved, TL_MOPTI, DUE)


# One alert per case and clock (ADR 0015) ----------------------------------------------------------------

def folded(*steps: tuple[str, str, datetime]) -> Alert:
    """The alert a clock's SLA events make, in order: (event type, recipient role, instant)."""
    (type_, role, at), *later = steps
    alert = from_sla_event("evt-0", type_, sla(recipient_role=role, due_at=at), at)
    assert alert is not None
    for n, (type_, role, at) in enumerate(later, start=2):
        alert = fold(alert, type_, sla(recipient_role=role, due_at=at, period=n), at)
    return alert


def test_a_warning_a_breach_and_an_escalation_make_one_alert_at_escalation_that_reached_every_role() -> None:
    alert = folded(("SlaWarning", "hro", T0 + timedelta(days=3)), ("SlaBreached", "team_leader", DUE),
                   ("SlaEscalated", "director", T0 + timedelta(days=8)))
    assert (alert.alert_id, alert.level, alert.recipient_role, alert.reminders) == (
        "evt-0", "escalation", "director", 3)
    assert alert.reached == ("hro", "team_leader", "director")
    assert (alert.opened_at, alert.latest_at, alert.due_at) == (
        T0 + timedelta(days=3), T0 + timedelta(days=8), DUE)
    assert alert.message.startswith("Escalated: case MOP-2026-0001")
    assert all(may_see(user, alert) for user in (AWA, TL_MOPTI, DIRECTOR))
    assert not any(may_see(user, alert) for user in (BAKARY, TL_GAO, AUDITOR))


def test_a_lower_level_after_a_higher_one_counts_as_a_reminder_and_lowers_nothing() -> None:
    alert = folded(("SlaBreached", "team_leader", DUE), ("SlaWarning", "hro", DUE + timedelta(days=1)))
    assert (alert.level, alert.recipient_role, alert.reminders, alert.due_at) == ("breach", "team_leader", 2, DUE)
    assert alert.reached == ("hro", "team_leader")


def test_anything_new_reopens_an_acknowledged_alert_and_a_resolved_one_stays_resolved_until_replaced() -> None:
    taken = acknowledge(folded(("SlaBreached", "team_leader", DUE)), TL_MOPTI, DUE)
    again = fold(taken, "SlaBreached", sla(period=2), DUE + timedelta(days=30))
    assert not taken.is_open and again.is_open and again.acknowledged_by is None
    done = resolve(taken, DUE + timedelta(days=1), "recorded")
    assert (done.live, done.is_open, done.acknowledged_by) == (False, False, "tl_mopti")


def test_whoever_an_alert_reached_may_acknowledge_it_all() -> None:
    alert = folded(("SlaWarning", "hro", T0), ("SlaBreached", "team_leader", DUE))
    assert may_acknowledge(AWA, alert) and may_acknowledge(TL_MOPTI, alert)
    assert not may_acknowledge(DIRECTOR, alert)  # not escalated: it has not reached a Director
    with pytest.raises(CommandRefused, match=r"officer assigned to the case .* or a Team Leader of Mopti"):
        acknowledge(alert, DIRECTOR, DUE)
