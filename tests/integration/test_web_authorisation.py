"""No rule lives only in the browser: every form, posted by every role, ends exactly as the same API call does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.casework.adapters import repository as repo
from services.casework.api.commands import COMMANDS
from tests.integration.api_world import CALLERS, NOW, REFS, World
from tests.integration.web_world import browser, template, web_world

UNTIL = datetime.combine((NOW + timedelta(days=10)).date(), datetime.min.time(), tzinfo=UTC)
PATHS = {name: path for name, path, *_ in COMMANDS}
# (form, case, API body); the form sends the same fields (a delay's date as <input type=date> gives it).
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("record", "R", {"note": "from SR-1"}),
    ("assign", "P", {"assignee": "bakary"}),
    ("log-activity", "P", {"description": "visited the family"}),
    ("advance", "P", {"stage": "investigation"}),
    ("justify-delay", "P", {"reason": "security", "until": UNTIL.isoformat()}),
    ("review", "P", {"note": "on track"}),
    ("request-closure", "C", {"reason": "concluded", "note": "handed over"}),
    ("approve-closure", "Q", {"note": "agreed"}),
    ("reject-closure", "Q", {"note": "one more witness"}),
    ("record-follow-up", "C", {"kind": "advocacy"}),
    ("reopen", "X", {"reason": "new facts"}),
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-authorisation"))


def fresh(made: tuple[Path, dict[str, str]], folder: Path) -> World:
    folder.mkdir(parents=True)
    return next(web_world(made[0], made[1], folder))


def form_of(body: dict[str, Any]) -> dict[str, Any]:
    return {k: (UNTIL.date().isoformat() if k == "until" else v) for k, v in body.items()}


def state(world: World, key: str) -> tuple[Any, ...]:
    case = world.casework.read(lambda conn: repo.get_case(conn, REFS[key]))
    assert case is not None
    return case.stage, case.assignee, case.version, case.closure is None


@pytest.mark.parametrize(("action", "key", "body"), CASES, ids=[c[0] for c in CASES])
def test_every_role_gets_from_the_form_what_the_api_gives(made: tuple[Path, dict[str, str]], tmp_path: Path,
                                                          action: str, key: str, body: dict[str, Any]) -> None:
    path = PATHS[action].replace("<ref>", REFS[key])
    outcomes = {}
    for caller in CALLERS:
        api_world, page_world = fresh(made, tmp_path / f"{caller}-api"), fresh(made, tmp_path / f"{caller}-web")
        api = api_world.call("POST", path, caller, body).status_code
        page = browser(page_world, caller).post(f"/web/cases/{REFS[key]}/{action}", form_of(body)).status_code
        outcomes[caller] = (api, page)
        assert (api, page) in ((200, 303), (403, 403), (409, 409), (422, 422)), (caller, api, page)
        assert state(api_world, key) == state(page_world, key), caller
    assert any(api == 200 for api, _ in outcomes.values()), outcomes  # each command succeeds for someone
    assert any(api == 403 for api, _ in outcomes.values()), outcomes  # and is refused to someone


def test_identities_show_on_the_case_page_exactly_to_those_the_api_shows_them_to(
        made: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    world = fresh(made, tmp_path / "identities")
    for caller in CALLERS:
        api = world.call("GET", f"/cases/{REFS['P']}", caller)
        page = browser(world, caller).get(f"/web/cases/{REFS['P']}")
        assert page.status_code == api.status_code, caller
        if api.status_code == 200:
            shown = api.get_json()["identities"] is not None
            assert ("Fatoumata Hidden-Victim" in page.get_data(as_text=True)) is shown, caller


def test_opening_identities_for_a_decision_from_the_page_is_allowed_exactly_where_the_api_allows_it(
        made: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    world = fresh(made, tmp_path / "opening")
    reason = {"reason": "to weigh the witnesses' accounts"}
    for key in ("Q", "P"):
        for caller in CALLERS:
            api = world.call("POST", f"/cases/{REFS[key]}/identities-for-decision", caller, reason).status_code
            page = browser(world, caller).post(f"/web/cases/{REFS[key]}/open-identities", reason)
            assert (api, page.status_code) in ((200, 200), (403, 403), (409, 409)), (key, caller, api)
            assert ("Fatoumata Hidden-Victim" in page.get_data(as_text=True)) is (api == 200), (key, caller)
            director = caller in ("dir_mopti", "dir_gao")  # dir_gao proposed Q's closure: four eyes
            expected = (200 if caller == "dir_mopti" else 403) if key == "Q" else (409 if director else 403)
            assert api == expected, (key, caller)
