"""The pages against bad input and prying: control characters refused next to their field, the import preview's
upload sealed and its button counting only what it imports, HTML answers for unknown pages, a favicon, headers."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import SITREP_INCIDENTS
from tests.integration.api_world import REFS, World
from tests.integration.test_web_pages import LINE, incident_form, sitrep
from tests.integration.web_world import browser, template, web_world

VICTIM = "Mariam Sealed-Upload"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-inputs"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def preview(user: Any, data: bytes, name: str = "week-11.jsonl") -> tuple[Any, str]:
    response = user.post("/web/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    return response, response.get_data(as_text=True)


def test_the_incident_form_refuses_a_control_character_next_to_its_field_and_queues_nothing(world: World) -> None:
    awa = browser(world, "awa")
    before = len(world.outbox())
    response = awa.post("/web/incidents/new", incident_form(location="Kon\x00na",
                                                            victims_names="First\x0bVictim\r\nSecond Victim"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and len(world.outbox()) == before
    for field in ("location", "victims_names"):
        error = re.search(rf'id="{field}-error"[^>]*>(.*?)</', page, re.S)
        assert error is not None and "control character" in error.group(1), field


def test_windows_line_breaks_from_a_text_area_are_plain_line_breaks(world: World) -> None:
    awa = browser(world, "awa")
    response = awa.post("/web/incidents/new", incident_form(summary="first line\r\nsecond line",
                                                            victims_names="First Victim\r\nSecond Victim"))
    assert response.status_code == 303
    record = [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS][-1]["value"]
    assert record["summary"] == "first line\r\nsecond line"  # as written: intake reads it as "first line\nsecond line"
    assert world.casework.vault.open(record["identities"])["victims"] == [{"name": "First Victim"},
                                                                          {"name": "Second Victim"}]


def test_a_case_note_with_a_control_character_is_refused_on_the_case_page(world: World) -> None:
    awa = browser(world, "awa")
    awa.get(f"/web/cases/{REFS['P']}")
    response = awa.post(f"/web/cases/{REFS['P']}/log-activity", {"description": "went\x07 there"})
    assert response.status_code == 422 and "control character" in response.get_data(as_text=True)


def test_the_import_preview_counts_in_its_button_only_the_records_it_imports(world: World) -> None:
    awa = browser(world, "awa")
    data = sitrep(dict(LINE, incident_number=21), dict(LINE, incident_number=22, location="Kon\x00na"),
                  dict(LINE, incident_number=23, summary=""))
    _, page = preview(awa, data)
    assert "1 record will be accepted, 2 rejected" in page
    assert re.search(r'<button type="submit" class="primary">\s*Import 1 record\s*</button>', page)
    assert "Rejected records are not imported" in page
    assert "Location: This text contains a control character" in page  # the field by its label
    _, none_accepted = preview(awa, sitrep(dict(LINE, incident_number=24, summary="")))
    assert "import/confirm" not in none_accepted  # nothing to import: no button at all


def test_the_import_preview_page_holds_the_upload_sealed_never_a_name_in_the_clear(world: World) -> None:
    awa = browser(world, "awa")
    data = sitrep(dict(LINE, incident_number=31, identities={"victims": [{"name": VICTIM}]}))
    _, page = preview(awa, data)
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None and token.group(1).startswith("fernet:")
    assert VICTIM not in page and VICTIM.encode() not in _decoded_fragments(token.group(1))
    # Another person, even of the same office, cannot replay it; nor can anyone after an hour.
    bakary = browser(world, "bakary")
    assert bakary.post("/web/import/confirm", {"token": token.group(1)}).status_code == 400
    world.clock.advance(timedelta(hours=1, seconds=1))
    assert awa.post("/web/import/confirm", {"token": token.group(1)}).status_code == 400
    world.clock.advance(timedelta(hours=-1, seconds=-1))
    assert awa.post("/web/import/confirm", {"token": token.group(1)}).status_code == 303
    queued = [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS]
    assert queued[-1]["key"] == "SR-IMP#31" and VICTIM not in json.dumps(queued)


def _decoded_fragments(token: str) -> bytes:
    import base64

    body = token.removeprefix("fernet:")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def test_an_unknown_page_answers_the_pages_html_error_not_json(world: World) -> None:
    for user in (browser(world), browser(world, "awa")):
        response = user.get("/web/no-such-page")
        assert response.status_code == 404 and response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "<h1" in page and "Not found" in page and '"code"' not in page
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    signed_in = browser(world, "awa").get("/web/no-such-page").get_data(as_text=True)
    assert "Sign out" in signed_in  # the navigation of whoever is signed in
    wrong_method = browser(world, "awa").client.delete("/web/cases", base_url="https://localhost")
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "text/html" and wrong_method.headers["Allow"]


def test_every_page_links_its_favicon_and_the_favicon_needs_no_sign_in(world: World) -> None:
    login = browser(world).get("/web/login")
    assert '<link rel="icon" href="/web/static/favicon.svg"' in login.get_data(as_text=True)
    icon = browser(world).get("/web/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert browser(world).client.get("/favicon.ico", base_url="https://localhost").status_code == 200
