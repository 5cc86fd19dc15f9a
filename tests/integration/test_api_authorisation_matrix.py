"""Every endpoint, called as every role from the case's office and from another office: the exact status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from services.casework.adapters import access_requests
from services.casework.domain.duplicates import pair_id
from services.casework.domain.reference import case_id_for
from sitreps.key import incident_key
from tests.integration.api_world import CALLERS, NOW, REFS, VICTIM, World, build_template, open_world

MOPTI_HROS = {"awa": 202, "bakary": 202}
DIRECTORS = ("dir_mopti", "dir_gao")
DIVISION_READERS = ("dir_mopti", "dir_gao", "aud_mopti", "aud_gao", "adm_mopti", "adm_gao")
MOPTI = ("awa", "bakary", "tl_mopti", "dir_mopti", "aud_mopti", "adm_mopti")
# The world's cases R and P (same place, day and violation) are a likely duplicate pair of Mopti's (ADR 22).
PAIR = pair_id(*sorted(case_id_for(incident_key("SR-1", n)) for n in (1, 2)))


LOOKERS = ("awa", "bakary", "tl_mopti", "dir_mopti", "garba", "tl_gao", "dir_gao")
REQUEST, WHY = "req-garba-1", "the same victim appears in a Gao case"
GRANTED = "req-granted-1"  # to someone who is none of the callers: revoking it changes what no other row reads


def only(status: int, *callers: str) -> dict[str, int]:
    return {name: status for name in callers}


def readers(*callers: str) -> dict[str, int]:
    return only(200, *callers)


# (name, method, path, body, callers who succeed -> status); everyone else with a token gets 403, nobody gets 401.
ENDPOINTS: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("list cases", "GET", "/cases", None, readers(*CALLERS)),
    ("list cases of the case's office", "GET", "/cases?office=Mopti", None, readers(*MOPTI, *DIVISION_READERS)),
    ("search cases", "GET", "/cases/search?q=road", None, readers(*CALLERS)),
    ("search cases of the case's office", "GET", "/cases/search?office=Mopti", None,
     readers(*MOPTI, *DIVISION_READERS)),
    # A CSV of cases leaves the system: not for admins (policy.may_export_cases).
    ("export searched cases", "GET", "/cases/search.csv?q=road", None,
     readers(*(c for c in CALLERS if not c.startswith("adm_")))),
    ("read a case", "GET", f"/cases/{REFS['R']}", None, readers(*MOPTI, *DIVISION_READERS)),
    ("closure queue", "GET", "/closures/pending", None, readers(*CALLERS)),
    ("my alerts", "GET", "/alerts/mine", None, readers(*CALLERS)),
    ("my worklist", "GET", "/alerts/worklist", None, readers(*CALLERS)),
    ("me", "GET", "/me", None, readers(*CALLERS)),
    ("places", "GET", "/places?q=menaka", None, readers(*CALLERS)),
    ("perpetrator units", "GET", "/units", None, readers(*CALLERS)),
    ("alert preferences", "PUT", "/me/alert-preferences", {"email": "me@example.org", "mode": "digest"},
     readers(*CALLERS)),
    ("access log", "GET", "/access-log", None, readers("dir_mopti", "dir_gao", "aud_mopti", "aud_gao")),
    ("submit an incident", "POST", "/incidents", "incident", only(202, "awa", "bakary", "tl_mopti", *DIRECTORS)),
    ("record", "POST", f"/cases/{REFS['R']}/record", {"note": "from SR-1"}, readers("awa", "tl_mopti")),
    ("assign", "POST", f"/cases/{REFS['R']}/assign", {"assignee": "bakary"}, readers("tl_mopti")),
    ("log activity", "POST", f"/cases/{REFS['P']}/activities", {"description": "met the family"},
     readers("awa", "tl_mopti")),
    ("advance", "POST", f"/cases/{REFS['P']}/advance", {"stage": "investigation"}, readers("awa", "tl_mopti")),
    ("justify delay", "POST", f"/cases/{REFS['P']}/delays",
     {"reason": "security", "until": (NOW + timedelta(days=10)).isoformat()}, readers("awa", "tl_mopti")),
    ("review", "POST", f"/cases/{REFS['P']}/reviews", {"note": "keep going"}, readers("tl_mopti")),
    ("request closure", "POST", f"/cases/{REFS['P']}/closure/request",
     {"reason": "unsubstantiated", "note": "no second source"}, readers("awa", "tl_mopti", *DIRECTORS)),
    # Q was proposed by dir_gao: four eyes leaves dir_mopti alone to decide.
    ("approve closure", "POST", f"/cases/{REFS['Q']}/closure/approve", {"note": "agreed"}, readers("dir_mopti")),
    ("reject closure", "POST", f"/cases/{REFS['Q']}/closure/reject", {"note": "ask again"}, readers("dir_mopti")),
    ("record follow-up", "POST", f"/cases/{REFS['C']}/follow-ups", {"kind": "advocacy"},
     readers("awa", "tl_mopti", *DIRECTORS)),
    ("reopen", "POST", f"/cases/{REFS['X']}/reopen", {"reason": "a new witness"}, readers(*DIRECTORS)),
    ("amend the incident", "POST", f"/cases/{REFS['P']}/amendments",
     {"reason": "the sitrep misspelt the town", "changes": {"location": {"old": "Konna", "new": "Mopti"}}},
     readers("awa", "tl_mopti", *DIRECTORS)),
    ("record consent", "POST", f"/cases/{REFS['P']}/consent", {"person": "p1", "consent": {"recorded": True}},
     readers("awa", "tl_mopti", *DIRECTORS)),
    ("withdraw consent", "POST", f"/cases/{REFS['P']}/consent/withdrawals", {"person": "p1", "withdrawn": ["all"]},
     readers("awa", "tl_mopti", *DIRECTORS)),
    ("correct an identity", "POST", f"/cases/{REFS['P']}/people/p1/identity",
     # Only those who see the case's identities correct them: Gao's Director may amend, not correct them blind.
     {"reason": "spelling checked", "names": ["Fatoumata Traoré"]}, readers("awa", "tl_mopti", "dir_mopti")),
    # A Director who may decide Q's closure opens its identities, with a reason (ADR 13); dir_gao proposed it.
    ("open identities to decide", "POST", f"/cases/{REFS['Q']}/identities-for-decision",
     {"reason": "to weigh the witnesses' accounts"}, readers("dir_mopti")),
    ("identity openings", "GET", f"/cases/{REFS['Q']}/identity-openings", None,
     readers("tl_mopti", "dir_mopti", "dir_gao", "aud_mopti", "aud_gao")),
    ("acknowledge an alert", "POST", "/alerts/alert-R/acknowledge", {"note": "on it"}, readers("tl_mopti")),
    # ADR 23: those who see identities in their scope look people up; Gao's ask Mopti for access to its matches
    # (Mopti's own and the Directors read them already: nothing to ask, 409); Mopti's Team Leader decides.
    ("look a person up", "POST", "/people/lookup", {"names": [VICTIM]}, readers(*LOOKERS)),
    ("ask for access", "POST", "/people/access-requests", {"names": [VICTIM], "office": "Mopti", "reason": WHY},
     {**only(201, "garba", "tl_gao"), **only(409, "awa", "bakary", "tl_mopti", *DIRECTORS)}),
    ("access requests", "GET", "/people/access-requests", None, readers(*CALLERS)),
    ("decide on access", "POST", f"/people/access-requests/{REQUEST}/decision",
     {"grant": True, "reason": "to compare the cases"},
     readers("tl_mopti")),
    ("revoke access", "POST", f"/people/access-requests/{GRANTED}/revocation", {"reason": "the comparison is done"},
     readers("tl_mopti")),
    # Every Team Leader lists the pairs of their office (Gao's: none); only Mopti's, or a Director, decides Mopti's.
    ("likely duplicates", "GET", "/duplicates", None, readers("tl_mopti", "tl_gao", *DIRECTORS)),
    ("decide a likely duplicate", "POST", f"/duplicates/{PAIR}/decision", {"decision": "distinct", "note": "two"},
     readers("tl_mopti", *DIRECTORS)),
]

INCIDENT = {
    "sitrep_id": "API-1", "incident_number": 1, "reported_at": NOW.isoformat(),
    "occurred_at": (NOW - timedelta(days=1)).isoformat(), "office": "Mopti", "location": "Sevare",
    "violation_types": ["killing"], "perpetrator_category": "armed_group", "victims": {"male_adult": 1},
    "source_type": "direct_witness", "summary": "a man killed at the market",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("template") / "casework.sqlite"
    return path, build_template(path)


@pytest.fixture
def world(template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in open_world(*template, tmp_path):
        world.casework.write(partial(access_requests.create, requester="garba", office="Mopti",
                                     case_ids=[world.case_id("R")], reason=WHY, at=NOW, request_id=REQUEST))
        world.casework.write(partial(_granted, case_id=world.case_id("R")))
        yield world


def _granted(conn: Connection, case_id: str) -> None:
    made = access_requests.create(conn, "officer_elsewhere", "Mopti", [case_id], WHY, NOW, GRANTED)
    access_requests.decide(conn, made, "tl_mopti", True, "to compare", NOW, 30)


CASES = [(name, caller) for name, *_ in ENDPOINTS for caller in (*CALLERS, None)]


@pytest.mark.parametrize(("name", "caller"), CASES, ids=[f"{n} as {c or 'nobody'}" for n, c in CASES])
def test_every_endpoint_answers_every_caller_with_the_exact_status_and_a_refusal_changes_nothing(
        world: World, name: str, caller: str | None) -> None:
    _, method, path, body, allowed = next(e for e in ENDPOINTS if e[0] == name)
    expected = 401 if caller is None else allowed.get(caller, 403)
    before = world.snapshot()
    response = world.call(method, path, caller, INCIDENT if body == "incident" else body)
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        error = response.get_json()
        assert set(error) == {"code", "message", "status"} and error["status"] == expected
        assert error["code"] == {401: "unauthenticated", 403: "forbidden", 409: "conflict"}[expected]
        assert error["message"]
        assert world.snapshot() == before


def test_the_matrix_covers_every_operation_of_the_openapi_document(world: World) -> None:
    spec = world.client.get("/openapi.json").get_json()
    operations = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    covered = {(m, _template(p)) for _, m, p, *_ in ENDPOINTS}
    public = {("GET", "/health")}
    assert operations - public == covered


def _template(path: str) -> str:
    path = path.split("?")[0]
    for ref in REFS.values():
        path = path.replace(ref, "{ref}")
    path = path.replace(GRANTED, "{request_id}")
    return (path.replace("alert-R", "{alert_id}").replace(REQUEST, "{request_id}").replace(PAIR, "{pair_id}")
            .replace("/people/p1/", "/people/{person}/"))
