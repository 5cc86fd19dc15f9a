"""The access log: every call to a case is recorded (who, when, from where, which endpoint), identities never."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.casework.adapters import access_log
from tests.integration.api_world import CONTACT, NOW, REFS, VICTIM, WITNESS, World, build_template, open_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "template.sqlite"
    yield from open_world(path, build_template(path), tmp_path)


def test_reads_and_changes_are_logged_with_who_when_where_and_which_endpoint(world: World) -> None:
    world.call("GET", f"/cases/{REFS['R']}", "awa")
    world.call("POST", f"/cases/{REFS['R']}/record", "awa", {"note": "recorded"},
               environ_base={"REMOTE_ADDR": "10.1.2.3"})
    world.call("GET", f"/cases/{REFS['R']}", "garba")  # refused (another office): logged all the same
    world.call("GET", f"/cases/{REFS['R']}", None)
    page = world.call("GET", f"/access-log?case={REFS['R']}", "dir_mopti").get_json()
    got = [(e["username"], e["method"], e["endpoint"], e["reference"], e["action"], e["status"],
            e["identities_shown"]) for e in reversed(page["items"])]
    assert got == [
        ("awa", "GET", "/cases/{ref}", REFS["R"], "read", 200, True),
        ("awa", "POST", "/cases/{ref}/record", REFS["R"], "change", 200, False),
        ("garba", "GET", "/cases/{ref}", REFS["R"], "read", 403, False),
    ]
    assert page["items"][1]["remote_addr"] == "10.1.2.3" and page["items"][1]["at"] == NOW.isoformat()
    assert page["items"][0]["role"] == "hro" and page["items"][0]["office"] == "Gao"


def test_only_directors_and_auditors_read_the_access_log_and_it_holds_no_identity(world: World) -> None:
    for caller in ("awa", "tl_mopti", "dir_mopti", "aud_gao"):
        world.call("GET", f"/cases/{REFS['P']}", caller)
    assert world.call("GET", "/access-log", "aud_gao").status_code == 200
    for caller in ("awa", "tl_mopti", "adm_mopti"):
        assert world.call("GET", "/access-log", caller).status_code == 403
    entries = world.call("GET", "/access-log?page_size=200", "dir_gao").get_json()
    text = str(entries)
    assert VICTIM not in text and WITNESS not in text and CONTACT not in text
    assert entries["total"] >= 8
    mine = world.call("GET", "/access-log?username=awa", "dir_gao").get_json()
    assert {e["username"] for e in mine["items"]} == {"awa"}


def test_the_access_log_can_only_be_appended_to() -> None:
    public = {name for name in dir(access_log) if not name.startswith("_") and callable(getattr(access_log, name))}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "purge", "clear"))}
