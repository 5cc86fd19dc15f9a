"""Cases, alerts and access-log entries as the API shows them (the response schemas dump these dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reference.gazetteer import gazetteer
from reference.places import region_of_incident
from schemas import compiled
from schemas.people import ActSchema, PersonOpenSchema
from services.casework.adapters.access_log import Access
from services.casework.domain.alerts import Alert
from services.casework.domain.case import Case
from services.casework.domain.schedules import Schedule, next_deadline, running, sla_state


def summary(case: Case, now: datetime, schedules: list[Schedule]) -> dict[str, Any]:
    """The case with the monitor's schedules of its running clocks (casework computes no deadline itself)."""
    deadline = next_deadline(schedules)
    clocks = [{"clock": s.clock, "due_at": s.due_at, "paused_until": s.paused_until, "state": sla_state(s, now),
               "seconds_left": int((s.due_at - now).total_seconds())} for s in running(schedules)]
    return {
        "clocks": clocks,  # every running clock, for the web pages (the API's schemas show the next one only)
        "case_id": case.case_id, "reference": case.reference, "office": case.office, "stage": case.stage,
        "assignee": case.assignee, "reported_at": case.reported_at, "recorded_at": case.recorded_at,
        "last_activity_at": case.last_activity_at, "closure": case.closure, "sla_state": sla_state(deadline, now),
        "next_deadline": None if deadline is None else {
            "clock": deadline.clock, "due_at": deadline.due_at, "paused_until": deadline.paused_until,
            "seconds_left": int((deadline.due_at - now).total_seconds())},
    }


def summary_row(row: dict[str, Any], now: datetime, schedules: list[Schedule],
                closure: dict[str, Any] | None) -> dict[str, Any]:
    """A list's item from the case's read-model row (its SLA state as the list's SQL computed it, on the next
    deadline the row holds), the running clocks of the page's cases, and its closure request: as `summary` shows it,
    and what the web list adds (place, region, violations, perpetrator, an excerpt)."""
    due = row["next_due_at"]
    clocks = [{"clock": s.clock, "due_at": s.due_at, "paused_until": s.paused_until, "state": sla_state(s, now),
               "seconds_left": int((s.due_at - now).total_seconds())} for s in running(schedules)]
    region = gazetteer().get(row["region_pcode"]) if row["region_pcode"] else None
    return {
        "clocks": clocks,
        **{k: row[k] for k in ("case_id", "reference", "office", "stage", "assignee", "reported_at", "recorded_at",
                               "last_activity_at", "sla_state", "place", "perpetrator", "excerpt", "victims")},
        "closure": closure,
        "next_deadline": None if due is None else {
            "clock": row["next_clock"], "due_at": due, "paused_until": row["next_paused_until"],
            "seconds_left": int((due - now).total_seconds())},
        "region": region.name if region else None, "violations": row["violations"].split(),
    }


def urgency_key(item: dict[str, Any]) -> tuple[int, float, str]:
    """Soonest deadline first (overdue ones before all); cases with no running clock last."""
    deadline = item["next_deadline"]
    if deadline is None:
        return (1, 0.0, item["reference"])
    return (0, deadline["due_at"].timestamp(), item["reference"])


def details(case: Case) -> dict[str, Any]:
    out = dict(case.details)
    if isinstance(out.get("occurred_at"), str):
        out["occurred_at"] = datetime.fromisoformat(out["occurred_at"])
    return out


def detail(case: Case, now: datetime, schedules: list[Schedule], history: list[dict[str, Any]],
           identities: dict[str, Any] | None) -> dict[str, Any]:
    return {
        **summary(case, now, schedules), "incident_key": case.incident_key, "last_review_at": case.last_review_at,
        "delay": case.delay, "follow_ups": list(case.follow_ups), "possible_duplicates": list(case.possible_duplicates),
        "closed_at": case.closed_at, "approved_by": case.approved_by, "version": case.version,
        "merged_into": case.merged_into, "merged_from": list(case.merged_from),
        "details": details(case), "identities": identities, "identities_redacted": identities is None,
        **record(case, identities),
        "history": [{k: row[k] for k in ("event_id", "type", "occurred_at", "actor")} | {"payload": shown(row)}
                    for row in history],
    }


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """An event's payload as the history shows it: a correction's sealed identity left out (it names the fields
    corrected, ADR 20), so nobody, allowed to open identities or not, reads ciphertext in a history."""
    payload: dict[str, Any] = row["payload"]
    return {k: v for k, v in payload.items() if k != "identity"} if row["type"] == "IdentityCorrected" else payload


_PERSON, _ACT = PersonOpenSchema(), ActSchema()


def record(case: Case, identities: dict[str, Any] | None) -> dict[str, Any]:
    """Who did what to whom, and where: people (their identifying fields only beside the case's identities), acts,
    the place in the gazetteer and its region."""
    facts = case.details
    named = (identities or {}).get("people") or {}
    people = []
    for stored in facts.get("people") or []:
        person = compiled.load(_PERSON, stored)  # kept as the event carried it: times as text
        who = named.get(person["ref"]) or {}
        people.append({**person, "names": who.get("names", []) if identities is not None else None,
                       "date_of_birth": who.get("date_of_birth"), "contact": who.get("contact"),
                       "identity_redacted": identities is None})
    pcode = facts.get("place_pcode")
    region = region_of_incident(pcode, facts.get("location"))  # the one rule: reports and the overview use it too
    return {"people": people, "acts": [compiled.load(_ACT, act) for act in facts.get("acts") or []],
            "place_pcode": pcode,
            "place_free_text": facts.get("place_free_text"),
            "region": region.name if region else None,
            "latitude": facts.get("latitude"), "longitude": facts.get("longitude")}


def alert(item: Alert, deliveries: list[dict[str, Any]] | None = None, schedules: list[Schedule] | None = None,
          now: datetime | None = None) -> dict[str, Any]:
    """The alert, and for an open one the state of its clock now, from the monitor's schedule: a warning whose goal
    has come reads overdue, never due soon (`clock_state`, `clock_due_at`: None without a running schedule)."""
    state = "open" if item.is_open else ("acknowledged" if item.acknowledged_at else "resolved")
    mine = [d for d in deliveries or [] if d["alert_id"] == item.alert_id]
    clock = next((s for s in schedules or [] if s.clock == item.kind and s.running), None)
    live = item.is_open and clock is not None and now is not None
    return {**item.__dict__, "recipients": list(item.reached), "state": state, "deliveries": mine,
            "clock_state": sla_state(clock, now) if live and now is not None else None,
            "clock_due_at": clock.due_at if live and clock is not None else None}


def access(seq: int, entry: Access) -> dict[str, Any]:
    return {"seq": seq, **entry.__dict__}


def opening(entry: Access) -> dict[str, Any]:
    """An opening of a case's identities for a decision: who, when, why (never what was seen)."""
    return {"at": entry.at, "username": entry.username, "role": entry.role, "office": entry.office,
            "reason": entry.reason}


def page(items: list[Any], total: int, page_number: int, size: int) -> dict[str, Any]:
    return {"items": items, "total": total, "page": page_number, "page_size": size}
