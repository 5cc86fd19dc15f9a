"""The pages themselves: every role's pages render, are labelled for assistive technology, speak French, and
the incident form, the sitrep import and the overview do what they say."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from schemas.topics import SITREP_INCIDENTS
from services.casework.adapters import web_store
from tests.integration.api_world import CALLERS, REFS, World
from tests.integration.web_world import browser, template, web_world

WEB = Path(__file__).resolve().parents[2] / "services" / "casework" / "web"
PAGES = {
    "hro": ("/web/my-cases", "/web/cases", "/web/alerts", "/web/incidents/new", "/web/import", "/web/overview",
            "/web/settings", "/web/closures", f"/web/cases/{REFS['P']}"),
    "team_leader": ("/web/cases", "/web/alerts?state=all", "/web/incidents/new", f"/web/cases/{REFS['Q']}",
                    "/web/overview"),
    "director": ("/web/closures", "/web/cases?office=Mopti&stage=closed", "/web/alerts", f"/web/cases/{REFS['X']}",
                 "/web/overview", "/web/incidents/new"),
    "auditor": ("/web/cases", "/web/overview", f"/web/cases/{REFS['R']}"),
    "admin": ("/web/cases", "/web/overview", "/web/units"),
}
ROLE_OF = {"awa": "hro", "tl_mopti": "team_leader", "dir_mopti": "director", "aud_gao": "auditor",
           "adm_mopti": "admin"}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-pages"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


class Audit(HTMLParser):
    """What an accessibility check can see in the markup: labels, ids, headings, language, images."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.in_label = 0
        self.h1 = 0
        self.lang = ""
        self.svgs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "_wrapped": "yes" if self.in_label else ""})
        elif tag == "svg":
            self.svgs.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def audit(html: str) -> Audit:
    parsed = Audit()
    parsed.feed(html)
    return parsed


@pytest.mark.parametrize("username", sorted(ROLE_OF))
def test_every_page_of_every_role_renders_with_a_label_for_each_field_and_unique_ids(world: World,
                                                                                      username: str) -> None:
    user = browser(world, username)
    for path in PAGES[ROLE_OF[username]]:
        response = user.get(path)
        assert response.status_code == 200, (username, path, response.status_code)
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        page = audit(response.get_data(as_text=True))
        assert page.lang == "en" and page.h1 == 1, path
        assert [i for i, n in page.ids.items() if n > 1] == [], path
        unlabelled = [c.get("name") for c in page.controls if not c["_wrapped"] and c.get("id") not in page.label_for]
        assert unlabelled == [], (path, unlabelled)
        assert all(s.get("role") == "img" and s.get("aria-labelledby") for s in page.svgs), path
        assert 'href="#main"' in response.get_data(as_text=True)


def test_every_message_of_the_pages_has_a_french_translation_with_the_same_placeholders() -> None:
    with (WEB / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    french = {m.id: m.string for m in catalogue if m.id}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(WEB), method_map, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
                                        "ngettext": (1, 2)})}
    plural = {m[0]: m for m in found if isinstance(m, tuple)}
    missing = sorted(str(m) for m in found if isinstance(m, str) and not french.get(m))
    missing += sorted(s for s, m in plural.items() if not isinstance(french.get(m), tuple) or not all(french[m]))
    assert missing == []
    for english, translated in french.items():
        forms = translated if isinstance(translated, tuple) else (translated,)
        for one in forms:  # each plural form keeps the placeholders of the English
            assert set(re.findall(r"%\(\w+\)s", str(english))) == set(re.findall(r"%\(\w+\)s", one)), english
    assert catalogue.plural_forms == "nplurals=2; plural=(n > 1);"  # French: 0 and 1 take the singular


def test_a_user_who_chose_french_gets_every_page_in_french(world: World) -> None:
    world.casework.write(lambda conn: web_store.set_locale(conn, "tl_mopti", "fr"))
    leader = browser(world, "tl_mopti")
    queue = leader.get("/web/cases").get_data(as_text=True)
    assert '<html lang="fr">' in queue and "File de l&#39;équipe" in queue and "En retard" in queue
    case = leader.get(f"/web/cases/{REFS['Q']}").get_data(as_text=True)
    assert "Historique" in case and "Clôture demandée" in case
    alerts = leader.get("/web/alerts").get_data(as_text=True)
    assert "non enregistré dans le délai d&#39;enregistrement" in alerts
    leader.post("/web/language", {"lang": "en"})
    assert "Team queue" in leader.get("/web/cases").get_data(as_text=True)
    assert world.casework.read(lambda conn: web_store.account(conn, "tl_mopti")).locale == "en"


def test_the_incident_form_shows_each_problem_next_to_its_field_and_queues_nothing(world: World) -> None:
    awa = browser(world, "awa")
    before = len(world.outbox())
    response = awa.post("/web/incidents/new", {"sitrep_id": "SR 9", "incident_number": "x", "location": "K",
                                               "reported_at": "2026-03-03T08:00", "occurred_at": "2026-03-05T08:00"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("sitrep_id", "incident_number", "location", "summary", "perpetrator_category",
                  "violation_types", "source_type"):
        assert f'id="{field}-error"' in page, field
    # The location's hint (how to pick a place) and its error both describe it.
    assert 'aria-invalid="true"' in page and 'aria-describedby="location-hint location-error"' in page
    assert len(world.outbox()) == before


def incident_form(**changes: Any) -> dict[str, Any]:
    form = {"sitrep_id": "SR-WEB-1", "incident_number": "3", "reported_at": "2026-03-03T08:00",
            "occurred_at": "2026-03-02T21:00", "office": "Mopti", "location": "Konna",
            "violation_types": ["killing", "injury"], "perpetrator_category": "armed_group",
            "source_type": "direct_witness", "summary": "two men shot at a checkpoint", "victims_male_adult": "2",
            "victims_names": "First Victim\nSecond Victim"}
    return {**form, **changes}


def test_a_submitted_incident_goes_to_intake_as_a_sitrep_line_with_the_officer_as_assignee(world: World) -> None:
    awa = browser(world, "awa")
    response = awa.post("/web/incidents/new", incident_form())
    assert response.status_code == 303 and response.headers["Location"] == "/web/my-cases"
    queued = [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS]
    assert queued[-1]["key"] == "SR-WEB-1#3"
    record = queued[-1]["value"]
    assert record["assignee"] == "awa" and record["victims"]["male_adult"] == "2"
    assert "First Victim" not in json.dumps(queued[-1]) and record["identities"].startswith("fernet:")  # ADR 10
    assert world.casework.vault.open(record["identities"])["victims"] == [{"name": "First Victim"},
                                                                          {"name": "Second Victim"}]
    assert record["reported_at"] == "2026-03-03T08:00:00+00:00"


def test_an_officer_cannot_submit_an_incident_for_another_office_even_by_editing_the_form(world: World) -> None:
    garba = browser(world, "garba")
    before = len(world.outbox())
    response = garba.post("/web/incidents/new", incident_form(office="Mopti"))
    assert response.status_code == 403 and "own office (Gao)" in response.get_data(as_text=True)
    assert len(world.outbox()) == before
    auditor = browser(world, "aud_mopti")
    assert auditor.get("/web/incidents/new").status_code == 403


def sitrep(*records: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode() + b"\n"


LINE = {"sitrep_id": "SR-IMP", "reported_at": "2026-03-03T08:00:00+00:00", "occurred_at": "2026-03-02T08:00:00+00:00",
        "office": "Mopti", "location": "Mopti town", "violation_types": ["injury"], "perpetrator_category": "other",
        "victims": {"unknown": 1}, "source_type": "media", "summary": "one wounded"}


def test_the_import_preview_saves_nothing_and_the_confirmation_queues_exactly_what_was_previewed(world: World) -> None:
    import io

    awa = browser(world, "awa")
    data = sitrep(dict(LINE, incident_number=1, identities={"victims": [{"name": "Imported Victim"}]}),
                  dict(LINE, incident_number=2, office="Gao"),
                  dict(LINE, incident_number=3, summary=""), {"sitrep_id": "SR-1", "incident_number": 1})
    before = world.snapshot()
    preview = awa.post("/web/import", {"file": (io.BytesIO(data), "week-10.jsonl")},
                       content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "1 record will be accepted, 2 rejected, 0 already received, 1 outside your office (not imported)." in page
    after = world.snapshot()
    assert {k: v for k, v in after.items() if k != "web_sessions"} == {
        k: v for k, v in before.items() if k != "web_sessions"}
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    response = awa.post("/web/import/confirm", {"token": token.group(1)})
    assert response.status_code == 303
    queued = [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS]
    assert [o["key"] for o in queued] == ["SR-IMP#1", "SR-IMP#3", "SR-1#1"]  # Gao's line is not awa's to send
    assert "Imported Victim" not in json.dumps(queued)  # sealed before the outbox (ADR 10)
    assert world.casework.vault.open(queued[0]["value"]["identities"]) == {"victims": [{"name": "Imported Victim"}]}
    forged = token.group(1)[:-12] + base64.urlsafe_b64encode(b"altered!").decode()
    assert awa.post("/web/import/confirm", {"token": forged}).status_code == 400


def test_the_overview_counts_what_the_cases_are_and_an_officer_sees_only_their_office(world: World) -> None:
    director = browser(world, "dir_gao").get("/web/overview").get_data(as_text=True)
    figures = re.findall(r'<span class="value">([^<]+)</span><span class="what">([^<(]+)', director)
    got = {what.strip(): value for value, what in figures}
    assert got["incidents reported"] == "5" and got["recorded"] == "4" and got["not recorded"] == "1"
    assert got["closed"] == "1"
    assert "chart-stages" in director and "Mopti" in director
    officer = browser(world, "garba").get("/web/overview").get_data(as_text=True)
    assert ">Mopti<" not in officer and "office Gao" in officer


def test_anyone_signed_in_reaches_the_pages_in_scope_and_nobody_else(world: World) -> None:
    for caller in CALLERS:
        status = browser(world, caller).get(f"/web/cases/{REFS['R']}").status_code
        api = world.call("GET", f"/cases/{REFS['R']}", caller).status_code
        assert status == api, caller


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_keep_at_least_the_wcag_aa_contrast_on_their_backgrounds() -> None:
    css = (WEB / "static" / "hrcase.css").read_text()
    var = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [(var["ink"], "#ffffff"), (var["ink"], var["bg"]), (var["muted"], var["bg"]), (var["muted"], "#ffffff"),
             (var["brand"], "#ffffff"), ("#ffffff", var["brand"]), ("#dde7f0", var["brand"]),
             (var["bad"], "#fbeaea"), (var["warn"], "#fff3db"), (var["warn"], "#fff8e6"), (var["ok"], "#e9f5ec"),
             (var["ink"], "#eceae5"), (var["ink"], "#ffbf47")]
    low = [(fg, bg, round(contrast(fg, bg), 2)) for fg, bg in pairs if contrast(fg, bg) < 4.5]
    assert low == []


def test_with_many_officers_the_assignee_filter_is_a_username_typed_and_still_filters(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    director = browser(world, "dir_mopti")
    director.get("/web/cases")
    assert "<select id=\"f-assignee\"" in director.text() and "<option value=\"awa\" >" in director.text()
    from services.casework.web import officers
    monkeypatch.setattr(officers, "CHOICES", 1)  # more officers than choices: nobody is listed
    for path in ("/web/cases", "/web/cases/search?q=market"):
        director.get(path)
        assert '<select id="f-assignee"' not in director.text() and '<select id="s-assignee"' not in director.text()
        assert "The officer's username; empty for anyone." in director.text()
    director.get("/web/cases?assignee=awa")
    shown = set(re.findall(r'data-label="Assignee">([^<]+)<', director.text()))
    assert shown == {"awa"} and 'value="awa"' in director.text()
