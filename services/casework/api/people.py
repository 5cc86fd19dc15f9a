"""Finding a person across cases without revealing names (ADR 23): the lookup, and requests for access."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from flask import g
from sqlalchemy import Connection

from services.casework.adapters import access_requests as requests_store
from services.casework.adapters import people_index
from services.casework.api.bodies import Blueprint
from services.casework.api.common import documented
from services.casework.api.errors import ApiError, forbidden, not_found
from services.casework.api.request import context, now, user
from services.casework.api.schemas import (
    AccessDecisionBody,
    AccessRequestBody,
    AccessRequestSchema,
    AccessRequestsSchema,
    LookupBody,
    LookupSchema,
    RevocationBody,
)
from services.casework.auth.policy import may_decide_access, people_lookup_refusal
from services.casework.domain import people_index as rules
from services.casework.domain.access_grants import state_of
from services.casework.domain.roles import User, may_read

blp = Blueprint("people", __name__, description="People across cases: a blind index, no name in the clear")
MAX_MATCHES = 200


def _matched(conn: Connection, caller: User, query: rules.Query) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """(cases the caller may read with how strongly each matched, strongest first; office -> ids of the matching
    cases they may not read)."""
    held: dict[tuple[str, str], set[rules.Term]] = defaultdict(set)
    cases: dict[str, people_index.Hit] = {}
    for hit in people_index.lookup(conn, context().casework.vault, query):
        held[hit.case_id, hit.person].add(hit.term)
        cases[hit.case_id] = hit
    best: dict[str, list[str]] = defaultdict(list)
    for (case_id, _person), terms in held.items():
        found = rules.strength(query, terms)
        if found is not None:
            best[case_id].append(found)
    outside = [c for c in best if not may_read(caller, cases[c].office)]
    granted = requests_store.granted_cases(conn, caller.username, outside, now())
    readable, elsewhere = [], defaultdict(list)
    for case_id, strengths in best.items():
        hit = cases[case_id]
        if case_id in outside and case_id not in granted:
            elsewhere[hit.office].append(case_id)
        else:
            readable.append({"reference": hit.reference, "office": hit.office, "strength": rules.strongest(strengths),
                             "granted": case_id in granted})
    readable.sort(key=lambda m: (rules.STRENGTHS.index(m["strength"]), m["reference"]))
    return readable, dict(elsewhere)


def _caller() -> User:
    caller = user()
    refusal = people_lookup_refusal(caller)
    if refusal:
        raise forbidden(refusal)
    return caller


def look_up(names: list[str], birth_year: int | None) -> dict[str, Any]:
    """The lookup as the API and the page answer it; written to the access log as a read, without the names."""
    caller, query = _caller(), rules.Query(tuple(names), birth_year)
    g.access_action = "read"
    readable, elsewhere = context().casework.read(lambda conn: _matched(conn, caller, query))
    counts = Counter({office: len(ids) for office, ids in elsewhere.items()})
    return {"matches": readable[:MAX_MATCHES], "matches_total": len(readable),
            "elsewhere": [{"office": office, "cases": n} for office, n in sorted(counts.items())],
            "elsewhere_total": sum(counts.values())}


@blp.route("/people/lookup", methods=["POST"])
@blp.arguments(LookupBody)
@blp.response(200, LookupSchema)
@documented(blp, 403)
def lookup(body: dict[str, Any]) -> dict[str, Any]:
    """Whether a person appears in cases: the references of those you may read, and how many elsewhere.

    Officers, Team Leaders and Directors. Names are compared as keyed digests of their normalised words (case,
    accents and punctuation ignored) and of a name with the birth year: no name is stored in the clear for this.
    Matches in cases you may not read are counted per office, with no reference; ask that office's Team Leader for
    access (`POST /people/access-requests`).
    """
    return look_up(body["names"], body["birth_year"])


def present(request: requests_store.AccessRequest, references: list[str] | None) -> dict[str, Any]:
    return {"request_id": request.request_id, "requester": request.requester, "office": request.office,
            "cases": len(request.case_ids), "references": references or [], "reason": request.reason,
            "at": request.at, "status": state_of(request.status, request.expires_at, now()),
            "decided_by": request.decided_by, "decided_at": request.decided_at,
            "decision_reason": request.decision_reason, "expires_at": request.expires_at,
            "revoked_by": request.revoked_by, "revoked_at": request.revoked_at,
            "revocation_reason": request.revocation_reason}


def ask_access(body: dict[str, Any]) -> dict[str, Any]:
    """A request to the office's Team Leaders to read its cases that match the person (the lookup run again)."""
    caller, query = _caller(), rules.Query(tuple(body["names"]), body["birth_year"])
    office = body["office"].strip()

    def make(conn: Connection) -> dict[str, Any]:
        _readable, elsewhere = _matched(conn, caller, query)
        ids = elsewhere.get(office)
        if not ids:
            raise ApiError(409, "conflict", f"no case of {office} that you may not read matches this person")
        return present(requests_store.create(conn, caller.username, office, sorted(ids), body["reason"].strip(),
                                             now()), None)

    return context().casework.write(make)


@blp.route("/people/access-requests", methods=["POST"])
@blp.arguments(AccessRequestBody)
@blp.response(201, AccessRequestSchema)
@documented(blp, 403, 409)
def request_access(body: dict[str, Any]) -> dict[str, Any]:
    """Ask an office's Team Leaders to let you read its cases that match this person (a lookup's count elsewhere).

    The matching cases are found again from the names sent; the request keeps their ids (no name) and tells you
    how many; their references are yours once a Team Leader grants it.
    """
    return ask_access(body)


def requests_of(caller: User) -> dict[str, Any]:
    def load(conn: Connection) -> dict[str, Any]:
        # The references are the requester's while the grant is in force, as the cases are.
        yours = [present(r, requests_store.references(conn, r.case_ids)
                         if state_of(r.status, r.expires_at, now()) == requests_store.GRANTED else None)
                 for r in requests_store.made_by(conn, caller.username)]
        leader = may_decide_access(caller, caller.office)
        deciding = requests_store.pending_for(conn, caller.office) if leader else []
        in_force = requests_store.in_force_for(conn, caller.office, now()) if leader else []
        return {"yours": yours,
                "to_decide": [present(r, requests_store.references(conn, r.case_ids)) for r in deciding],
                "in_force": [present(r, requests_store.references(conn, r.case_ids)) for r in in_force]}

    return context().casework.read(load)


@blp.route("/people/access-requests", methods=["GET"])
@blp.response(200, AccessRequestsSchema)
@documented(blp)
def list_requests() -> dict[str, Any]:
    """Your requests for access (with the references once granted, until the grant ends), and, for a Team Leader,
    those awaiting them and the grants of their office in force."""
    return requests_of(user())


def _office_request(conn: Connection, caller: User, request_id: str) -> requests_store.AccessRequest:
    """The request, if this caller is a Team Leader of the office it asks of: 404 if there is none, 403 if not."""
    found = requests_store.get(conn, request_id)
    if found is None:
        raise not_found(f"no access request {request_id!r}")
    if not may_decide_access(caller, found.office):
        raise forbidden(f"only a Team Leader of {found.office} decides on access to its cases")
    return found


def decide(request_id: str, grant: bool, reason: str | None, days: int) -> dict[str, Any]:
    caller = user()

    def change(conn: Connection) -> dict[str, Any]:
        found = _office_request(conn, caller, request_id)
        if found.status != requests_store.PENDING:
            raise ApiError(409, "conflict", f"this request was {found.status} already")
        try:
            decided = requests_store.decide(conn, found, caller.username, grant, (reason or "").strip() or None,
                                            now(), days)
        except LookupError as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        return present(decided, requests_store.references(conn, decided.case_ids))

    return context().casework.write(change)


def revoke(request_id: str, reason: str) -> dict[str, Any]:
    caller = user()

    def change(conn: Connection) -> dict[str, Any]:
        found = _office_request(conn, caller, request_id)
        state = state_of(found.status, found.expires_at, now())
        if state != requests_store.GRANTED:
            raise ApiError(409, "conflict", f"this request is {state}: only a grant in force is revoked")
        try:
            revoked = requests_store.revoke(conn, found, caller.username, reason.strip(), now())
        except LookupError as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        return present(revoked, requests_store.references(conn, revoked.case_ids))

    return context().casework.write(change)


@blp.route("/people/access-requests/<request_id>/decision", methods=["POST"])
@blp.arguments(AccessDecisionBody)
@blp.response(200, AccessRequestSchema)
@documented(blp, 403, 404, 409)
def decision(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Grant or refuse a request to read your office's cases (its Team Leaders); a refusal says why.

    A grant lets the requester read those cases (never their identities) for `days` (90 unless said; 1 to 365),
    and is recorded with who granted it; it ends by itself, or earlier when revoked.
    """
    return decide(request_id, body["grant"], body["reason"], body["days"])


@blp.route("/people/access-requests/<request_id>/revocation", methods=["POST"])
@blp.arguments(RevocationBody)
@blp.response(200, AccessRequestSchema)
@documented(blp, 403, 404, 409)
def revocation(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """End a grant of your office before its time (its Team Leaders), saying why: the requester reads those cases no
    more, and sees who revoked it and why."""
    return revoke(request_id, body["reason"])
