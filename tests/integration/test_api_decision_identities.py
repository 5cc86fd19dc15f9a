"""Need to know for deciders: a Director deciding a closure opens that case's identities, with a reason the access
log keeps and the office's Team Leader sees; nothing else widens (ADR 13)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Connection

from services.casework.adapters import access_log, token_store, web_store
from services.casework.adapters import repository as repo
from services.casework.auth import passwords
from services.casework.domain.roles import User
from tests.integration.api_world import REFS, VICTIM, WITNESS, World
from tests.integration.web_world import PASSWORD, browser, template, web_world

WHY = "two witnesses disagree; I must weigh them"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("decision-identities"))


def enrol_bamako(conn: Connection, at: datetime) -> str:
    """A Director at headquarters (Bamako), who decides Mopti's closures without seeing names: a password, a token."""
    repo.save_user(conn, User("dir_bamako", "director", "Bamako"))
    web_store.set_password(conn, "dir_bamako", passwords.hash_password(PASSWORD), at)
    return token_store.create(conn, "dir_bamako", at).value


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    for world in web_world(made[0], made[1], tmp_path):
        world.tokens = {**world.tokens, "dir_bamako": world.casework.write(partial(enrol_bamako, at=world.clock.now()))}
        yield world


def open_for(world: World, caller: str, key: str, reason: str = WHY) -> tuple[int, dict]:
    response = world.call("POST", f"/cases/{REFS[key]}/identities-for-decision", caller, {"reason": reason})
    return response.status_code, response.get_json()


def test_a_director_elsewhere_decides_with_the_names_after_saying_why_and_the_team_leader_sees_it(
        world: World) -> None:
    blind = world.call("GET", f"/cases/{REFS['Q']}", "dir_bamako").get_json()
    assert blind["identities"] is None and blind["identities_redacted"]
    status, opened = open_for(world, "dir_bamako", "Q")
    assert status == 200 and not opened["identities_redacted"]
    assert [v["name"] for v in opened["identities"]["victims"]] == [VICTIM]
    assert WITNESS in str(opened["identities"]["witnesses"])

    _, entries = world.casework.read(lambda conn: access_log.entries(conn, username="dir_bamako"))
    entry = next(e for _, e in entries if e.endpoint == "/cases/{ref}/identities-for-decision")
    assert (entry.reason, entry.identities_shown, entry.action, entry.reference, entry.status) == (
        WHY, True, "read", REFS["Q"], 200)
    logged = world.call("GET", f"/access-log?case={REFS['Q']}", "dir_mopti").get_json()["items"]
    assert any(item["reason"] == WHY and item["username"] == "dir_bamako" for item in logged)

    seen = world.call("GET", f"/cases/{REFS['Q']}/identity-openings", "tl_mopti").get_json()["items"]
    assert [(o["username"], o["role"], o["office"], o["reason"]) for o in seen] == [
        ("dir_bamako", "director", "Bamako", WHY)]
    assert VICTIM not in str(seen)
    assert world.call("GET", f"/cases/{REFS['Q']}/identity-openings", "tl_gao").status_code == 403
    assert world.call("GET", f"/cases/{REFS['Q']}/identity-openings", "awa").status_code == 403

    approved = world.call("POST", f"/cases/{REFS['Q']}/closure/approve", "dir_bamako", {"note": "agreed"})
    assert approved.status_code == 200
    assert open_for(world, "dir_bamako", "Q")[0] == 409  # decided: no closure awaits, nothing opens


def test_nothing_else_widens(world: World) -> None:
    assert open_for(world, "dir_bamako", "Q")[0] == 200
    again = world.call("GET", f"/cases/{REFS['Q']}", "dir_bamako").get_json()
    assert again["identities"] is None  # each opening is for that answer only
    for key in ("R", "P", "C", "X"):  # the office's other cases: no closure pending
        status, body = open_for(world, "dir_bamako", key)
        assert status == 409 and "no closure awaiting a decision" in body["message"]
        assert world.call("GET", f"/cases/{REFS[key]}", "dir_bamako").get_json()["identities"] is None
    for caller in ("tl_gao", "garba", "aud_mopti", "adm_mopti", "aud_gao"):  # other roles: no new access
        assert open_for(world, caller, "Q")[0] == 403, caller
    status, body = open_for(world, "dir_gao", "Q")  # the proposer: four eyes
    assert status == 403 and "four eyes" in body["message"]
    short = open_for(world, "dir_bamako", "Q", "   because   ")
    assert short[0] == 422 and "reason" in str(short[1])


def test_the_case_page_offers_the_opening_to_the_decider_and_shows_it_to_the_team_leader(world: World) -> None:
    director = browser(world, "dir_bamako")
    page = director.get(f"/web/cases/{REFS['Q']}").get_data(as_text=True)
    assert VICTIM not in page and "Open identities for this decision" in page
    refused = director.post(f"/web/cases/{REFS['Q']}/open-identities", {"reason": "why"})
    assert refused.status_code == 422 and "at least 10 characters" in refused.get_data(as_text=True)
    opened = director.post(f"/web/cases/{REFS['Q']}/open-identities", {"reason": WHY})
    assert opened.status_code == 200 and VICTIM in opened.get_data(as_text=True)
    assert "recorded in the access log with your reason" in opened.get_data(as_text=True)
    assert WHY in opened.get_data(as_text=True).split("Identities opened for a closure decision")[1]
    assert VICTIM not in director.get(f"/web/cases/{REFS['Q']}").get_data(as_text=True)
    assert "Open identities for this decision" not in director.get(f"/web/cases/{REFS['R']}").get_data(as_text=True)
    assert director.post(f"/web/cases/{REFS['R']}/open-identities", {"reason": WHY}).status_code == 409

    leader = browser(world, "tl_mopti").get(f"/web/cases/{REFS['Q']}").get_data(as_text=True)
    assert "Identities opened for a closure decision" in leader and WHY in leader and "dir_bamako" in leader
    officer = browser(world, "awa").get(f"/web/cases/{REFS['Q']}").get_data(as_text=True)
    assert "Identities opened for a closure decision" not in officer and WHY not in officer
