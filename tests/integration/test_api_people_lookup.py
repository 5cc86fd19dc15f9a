"""Finding a person across cases without revealing names (ADR 23): the references a caller may read, a count per
office elsewhere, requests for access that the other office's Team Leader grants or refuses, and no name in clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.casework.adapters import access_log, tables
from tests.integration.api_world import VICTIM, WITNESS, World, open_world
from tests.integration.people_world import GAO_REFS, M6, SEARCHED_WORDS, add_people
from tests.integration.web_world import template

AMINATA = {"names": ["Aminata Traoré"], "birth_year": 1990}
WHY = "the same victim may have been abducted twice: I must compare"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("people-lookup"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in open_world(made[0], made[1], tmp_path):
        add_people(world.casework)
        yield world


def look(world: World, caller: str, body: dict[str, Any] = AMINATA) -> Any:
    response = world.call("POST", "/people/lookup", caller, body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_officer_sees_her_office_s_references_and_only_a_count_of_gao_s(world: World) -> None:
    found = look(world, "awa", {"names": ["TRAORE aminata"], "birth_year": 1990})
    assert [(m["reference"], m["strength"]) for m in found["matches"]] == [(M6, "all_tokens")]
    assert found["elsewhere"] == [{"office": "Gao", "cases": 2}] and found["elsewhere_total"] == 2
    assert "GAO-" not in str(found)


def test_a_team_leader_sees_how_strongly_each_case_matched(world: World) -> None:
    found = look(world, "tl_gao")
    assert [(m["reference"], m["strength"]) for m in found["matches"]] == [
        (GAO_REFS[1], "name_year"), (GAO_REFS[2], "some_tokens")]
    assert found["elsewhere"] == [{"office": "Mopti", "cases": 1}]
    keita = look(world, "tl_mopti", {"names": ["moussa KEITA"], "birth_year": 1970})
    assert [(m["reference"], m["strength"]) for m in keita["matches"]] == [(M6, "name_year")]


def test_a_director_reads_the_division_and_version_one_names_are_found_too(world: World) -> None:
    found = look(world, "dir_mopti")
    assert {m["reference"] for m in found["matches"]} == {M6, *GAO_REFS.values()}
    assert found["elsewhere"] == [] and found["elsewhere_total"] == 0
    victim = look(world, "tl_mopti", {"names": [VICTIM.upper()]})
    assert len(victim["matches"]) == 5 and {m["strength"] for m in victim["matches"]} == {"all_tokens"}


def test_who_may_look_up_and_what_a_lookup_needs(world: World) -> None:
    for caller in ("aud_mopti", "adm_gao"):
        assert world.call("POST", "/people/lookup", caller, AMINATA).status_code == 403
    bad = world.call("POST", "/people/lookup", "awa", {"names": ["A", "-"]})
    assert bad.status_code == 422 and "names" in bad.get_json()["errors"]
    assert world.call("POST", "/people/lookup", "awa", {"birth_year": 1990}).status_code == 422
    assert world.call("GET", "/people/lookup", "awa").status_code == 405


def test_a_lookup_is_in_the_access_log_as_a_read_without_the_names(world: World) -> None:
    look(world, "awa")
    _, entries = world.casework.read(lambda conn: access_log.entries(conn, username="awa"))
    lookup = [e for _, e in entries if e.endpoint == "/people/lookup"]
    assert [(e.method, e.action, e.status, e.case_id) for e in lookup] == [("POST", "read", 200, None)]
    assert not any(word in str(entries).casefold() for word in SEARCHED_WORDS)


def test_no_table_holds_a_name_in_the_clear(world: World) -> None:
    look(world, "awa")
    with world.casework.engine.connect() as conn:
        indexed = conn.execute(select(tables.person_index)).all()
        everything = {t.name: conn.execute(select(t)).all() for t in tables.metadata.sorted_tables}
    assert len({row.case_id for row in indexed}) == 8  # five of Mopti's first, G1, G2, M6
    text = str(everything).casefold()
    for word in (*SEARCHED_WORDS, *VICTIM.split(), *WITNESS.split()):
        assert word.casefold() not in text


def test_access_asked_of_gao_granted_by_its_team_leader_lets_the_officer_read_those_cases(world: World) -> None:
    assert world.call("GET", f"/cases/{GAO_REFS[1]}", "awa").status_code == 403
    asked = world.call("POST", "/people/access-requests", "awa", {**AMINATA, "office": "Gao", "reason": WHY})
    assert asked.status_code == 201, asked.get_json()
    made = asked.get_json()
    assert (made["office"], made["cases"], made["references"], made["status"]) == ("Gao", 2, [], "pending")
    request_id = made["request_id"]

    assert world.call("GET", "/people/access-requests", "tl_mopti").get_json()["to_decide"] == []
    pending = world.call("GET", "/people/access-requests", "tl_gao").get_json()["to_decide"]
    assert [(p["requester"], p["references"], p["reason"]) for p in pending] == [
        ("awa", sorted(GAO_REFS.values()), WHY)]
    decide = f"/people/access-requests/{request_id}/decision"
    assert world.call("POST", decide, "tl_mopti", {"grant": True, "reason": "to compare"}).status_code == 403
    assert world.call("POST", decide, "garba", {"grant": True, "reason": "to compare"}).status_code == 403
    granted = world.call("POST", decide, "tl_gao", {"grant": True, "reason": "compare them"})
    assert granted.status_code == 200 and granted.get_json()["status"] == "granted"
    assert world.call("POST", decide, "tl_gao", {"grant": False, "reason": "changed my mind"}).status_code == 409

    case = world.call("GET", f"/cases/{GAO_REFS[1]}", "awa")
    assert case.status_code == 200 and case.get_json()["identities"] is None  # read, never the names
    assert world.call("POST", f"/cases/{GAO_REFS[1]}/record", "awa", {"note": "x"}).status_code == 403
    again = look(world, "awa")
    assert {(m["reference"], m["granted"]) for m in again["matches"]} == {
        (M6, False), (GAO_REFS[1], True), (GAO_REFS[2], True)}
    assert again["elsewhere_total"] == 0
    mine = world.call("GET", "/people/access-requests", "awa").get_json()["yours"]
    assert [(r["status"], r["decided_by"], r["references"]) for r in mine] == [
        ("granted", "tl_gao", sorted(GAO_REFS.values()))]
    assert world.call("GET", f"/cases/{GAO_REFS[1]}", "bakary").status_code == 403  # granted to awa only


def test_a_refusal_says_why_and_changes_nothing(world: World) -> None:
    asked = world.call("POST", "/people/access-requests", "garba", {**AMINATA, "office": "Mopti", "reason": WHY})
    request_id = asked.get_json()["request_id"]
    decide = f"/people/access-requests/{request_id}/decision"
    unsaid = world.call("POST", decide, "tl_mopti", {"grant": False})
    assert unsaid.status_code == 422 and "reason" in unsaid.get_json()["errors"]
    refused = world.call("POST", decide, "tl_mopti", {"grant": False, "reason": "not the same person"})
    assert refused.get_json()["status"] == "refused"
    mine = world.call("GET", "/people/access-requests", "garba").get_json()["yours"]
    assert [(r["status"], r["decision_reason"], r["references"]) for r in mine] == [
        ("refused", "not the same person", [])]
    assert world.call("GET", f"/cases/{M6}", "garba").status_code == 403


def test_no_request_for_an_office_without_a_match_one_may_not_read(world: World) -> None:
    for office in ("Mopti", "Kidal"):
        asked = world.call("POST", "/people/access-requests", "awa", {**AMINATA, "office": office, "reason": WHY})
        assert asked.status_code == 409
    short = world.call("POST", "/people/access-requests", "awa", {**AMINATA, "office": "Gao", "reason": "pls"})
    assert short.status_code == 422 and "reason" in short.get_json()["errors"]


def _granted(world: World, days: int | None = None) -> str:
    asked = world.call("POST", "/people/access-requests", "awa", {**AMINATA, "office": "Gao", "reason": WHY})
    request_id = asked.get_json()["request_id"]
    body = {"grant": True, "reason": "compare them", **({"days": days} if days else {})}
    granted = world.call("POST", f"/people/access-requests/{request_id}/decision", "tl_gao", body)
    assert granted.status_code == 200, granted.get_json()
    return str(request_id)


def test_a_grant_ends_by_itself_after_the_days_the_team_leader_chose(world: World) -> None:
    granted_at = world.clock.now()
    request_id = _granted(world, days=7)
    mine = world.call("GET", "/people/access-requests", "awa").get_json()["yours"][0]
    assert mine["status"] == "granted" and mine["expires_at"] == (granted_at + timedelta(days=7)).isoformat()
    in_force = world.call("GET", "/people/access-requests", "tl_gao").get_json()["in_force"]
    assert [(r["request_id"], r["requester"]) for r in in_force] == [(request_id, "awa")]

    world.clock.advance(timedelta(days=7))  # the end itself is excluded
    assert world.call("GET", f"/cases/{GAO_REFS[1]}", "awa").status_code == 403
    mine = world.call("GET", "/people/access-requests", "awa").get_json()["yours"][0]
    assert (mine["status"], mine["references"]) == ("expired", [])
    assert look(world, "awa")["elsewhere"] == [{"office": "Gao", "cases": 2}]
    assert world.call("GET", "/people/access-requests", "tl_gao").get_json()["in_force"] == []
    late = world.call("POST", f"/people/access-requests/{request_id}/revocation", "tl_gao", {"reason": "done"})
    assert late.status_code == 409 and "expired" in late.get_json()["message"]


def test_a_grant_lasts_three_months_unless_said_and_a_year_at_most(world: World) -> None:
    asked = world.call("POST", "/people/access-requests", "awa", {**AMINATA, "office": "Gao", "reason": WHY})
    decide = f"/people/access-requests/{asked.get_json()['request_id']}/decision"
    too_long = world.call("POST", decide, "tl_gao", {"grant": True, "reason": "compare", "days": 366})
    assert too_long.status_code == 422 and "days" in too_long.get_json()["errors"]
    granted = world.call("POST", decide, "tl_gao", {"grant": True, "reason": "compare"}).get_json()
    assert granted["expires_at"] == (world.clock.now() + timedelta(days=90)).isoformat()
    world.clock.advance(timedelta(days=89))
    assert world.call("GET", f"/cases/{GAO_REFS[2]}", "awa").status_code == 200


def test_a_team_leader_of_the_office_revokes_a_grant_saying_why(world: World) -> None:
    request_id = _granted(world)
    revoke = f"/people/access-requests/{request_id}/revocation"
    for caller in ("tl_mopti", "awa", "dir_mopti"):
        assert world.call("POST", revoke, caller, {"reason": "no longer needed"}).status_code == 403
    unsaid = world.call("POST", revoke, "tl_gao", {"reason": " "})
    assert unsaid.status_code == 422 and "reason" in unsaid.get_json()["errors"]
    assert world.call("POST", "/people/access-requests/nope/revocation", "tl_gao", {"reason": "x"}).status_code == 404

    revoked = world.call("POST", revoke, "tl_gao", {"reason": "the comparison is done"})
    assert revoked.status_code == 200
    assert world.call("GET", f"/cases/{GAO_REFS[1]}", "awa").status_code == 403
    mine = world.call("GET", "/people/access-requests", "awa").get_json()["yours"][0]
    assert (mine["status"], mine["revoked_by"], mine["revocation_reason"], mine["references"]) == (
        "revoked", "tl_gao", "the comparison is done", [])
    assert world.call("POST", revoke, "tl_gao", {"reason": "again"}).status_code == 409
    assert world.call("GET", "/people/access-requests", "tl_gao").get_json()["in_force"] == []


def test_a_new_grant_after_one_ended_lets_her_read_again(world: World) -> None:
    _granted(world, days=1)
    world.clock.advance(timedelta(days=2))
    assert world.call("GET", f"/cases/{GAO_REFS[1]}", "awa").status_code == 403
    _granted(world, days=30)
    assert world.call("GET", f"/cases/{GAO_REFS[1]}", "awa").status_code == 200
    statuses = [r["status"] for r in world.call("GET", "/people/access-requests", "awa").get_json()["yours"]]
    assert statuses == ["granted", "expired"]
