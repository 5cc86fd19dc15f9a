"""Consent over time: recorded or withdrawn after intake, and the one rule on what a person's consent lets be shared.

A person's consent lives with the case's people (details); ConsentRecorded replaces it, ConsentWithdrawn removes the
items withdrawn and dates the withdrawal (`withdrawn_at`). Handovers and referrals (follow-ups naming a partner) and
the export ask `sharing_refusal` / `withheld` here, so each reads the rule once (ADR 0017)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from schemas.case import CONSENT_ITEMS
from schemas.people import ConsentSchema

# Follow-ups that pass the case's people on to someone outside the mission: what each needs of every person.
SHARING_FOLLOW_UPS = {"handover_national_authorities": "share_with", "referral_to_services": "referral"}
_SCHEMA = ConsentSchema()
_EMPTY = {"recorded": False, "contact": False, "share_with": [], "referral": False, "obtained_by": None,
          "obtained_at": None, "withdrawn_at": None}


def person(details: Mapping[str, Any], ref: str) -> Mapping[str, Any] | None:
    return next((p for p in details.get("people") or [] if p.get("ref") == ref), None)


def recorded(details: Mapping[str, Any], ref: str, consent: Mapping[str, Any]) -> dict[str, Any]:
    """The details with person `ref`'s consent replaced (a renewed consent clears an earlier withdrawal)."""
    return _with(details, ref, {**_EMPTY, **_SCHEMA.dump(consent), "withdrawn_at": None})


def withdrawn(details: Mapping[str, Any], ref: str, items: Sequence[str], partners: Sequence[str],
              at: datetime | str) -> dict[str, Any]:
    """The details with the items withdrawn from person `ref`'s consent (only `partners` of share_with, if named)."""
    found = person(details, ref)
    consent = {**_EMPTY, **((found or {}).get("consent") or {})}
    for item in items:
        if item == "share_with" and partners:
            gone = {_key(p) for p in partners}
            consent["share_with"] = [p for p in consent["share_with"] if _key(p) not in gone]
        else:
            consent[item] = [] if item == "share_with" else False
    consent["withdrawn_at"] = at.isoformat() if isinstance(at, datetime) else at
    return _with(details, ref, consent)


def withheld(people: Sequence[Mapping[str, Any]]) -> list[str]:
    """The refs of people whose information no longer leaves this installation: they withdrew their consent to
    sharing and no partner is left they consented to (a consent never given is not a withdrawal: ADR 0017)."""
    out = []
    for p in people:
        consent = p.get("consent") or {}
        if consent.get("withdrawn_at") and not consent.get("share_with"):
            out.append(str(p["ref"]))
    return out


def sharing_refusal(people: Sequence[Mapping[str, Any]], kind: str, partner: str | None) -> str | None:
    """Why a follow-up of `kind` to `partner` would share someone who has not consented to it, or None."""
    need = SHARING_FOLLOW_UPS.get(kind)
    if need is None or not people:
        return None  # not a sharing follow-up, or a case from before people were recorded (version 1)
    if need == "share_with" and not partner:
        return "partner: name who the case is handed over to, so that each person's consent can be checked"
    missing = []
    for p in people:
        consent = p.get("consent") or {}
        if need == "referral" and not consent.get("referral"):
            missing.append(f"{p['ref']} ({p['role']}) has not consented to referral"
                           + (" (withdrawn)" if consent.get("withdrawn_at") else ""))
        if need == "share_with" and _key(partner or "") not in {_key(s) for s in consent.get("share_with") or []}:
            missing.append(f"{p['ref']} ({p['role']}) has not consented to sharing with {partner}"
                           + (" (withdrawn)" if consent.get("withdrawn_at") else ""))
    if missing:
        return "cannot share this case: " + "; ".join(missing) + " (record their consent first)"
    return None


def check_items(items: Sequence[str]) -> list[str]:
    """The items a withdrawal names, 'all' for every one; ValueError naming the field otherwise."""
    if not items:
        raise ValueError("withdrawn: name what is withdrawn (all, or some of " + ", ".join(CONSENT_ITEMS) + ")")
    if "all" in items:
        return list(CONSENT_ITEMS)
    unknown = [i for i in items if i not in CONSENT_ITEMS]
    if unknown:
        raise ValueError(f"withdrawn: {', '.join(unknown)} is not one of all, {', '.join(CONSENT_ITEMS)}")
    return list(dict.fromkeys(items))


def _with(details: Mapping[str, Any], ref: str, consent: dict[str, Any]) -> dict[str, Any]:
    people = [{**p, "consent": consent} if p.get("ref") == ref else p for p in details.get("people") or []]
    return {**details, "people": people}


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()
