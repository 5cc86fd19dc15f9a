"""French as a French-speaking officer reads it: refusals, import reasons and counts in French words, dates typed
as JJ/MM/AAAA HH:MM, and no page that sends a web user to a command line."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale

from schemas.topics import SITREP_INCIDENTS
from services.casework.adapters import repository as repo
from services.casework.adapters import web_store
from services.casework.web import actions, forms
from tests.integration.api_world import REFS, World
from tests.integration.web_world import browser, template, web_world

# The stored values a French reader must never see raw, and English words of the UI that must not survive.
RAW = ("unsubstantiated", "duplicate", "merged", "preliminary", "investigation", "closure_requested",
       "female_adult", "reported_at", "occurred_at", "summary", "perpetrator_category", "sitrep_id")
ENGLISH = (" is required", " may update ", " belongs to ", "allowed at", "only the ", "Only ", " case ",
           "must be one of", " records", " will be ", "Not a valid", "Missing data")
SHELL = re.compile(r"<code>hrcase|`hrcase|hrcase (users|sitrep|rejected|serve|demo|db|report|worker)\b")
PAGES = {
    "awa": ("/web/my-cases", "/web/cases", "/web/alerts", "/web/incidents/new", "/web/import", "/web/overview",
            "/web/settings", "/web/closures", f"/web/cases/{REFS['P']}"),
    "tl_mopti": ("/web/cases", "/web/alerts?state=all", f"/web/cases/{REFS['Q']}"),
    "dir_mopti": ("/web/closures", f"/web/cases/{REFS['X']}", f"/web/cases/{REFS['Q']}"),
}
LINE = {"sitrep_id": "SR-FR", "reported_at": "2026-03-03T08:00:00+00:00", "occurred_at": "2026-03-02T08:00:00+00:00",
        "office": "Mopti", "location": "Sévaré", "violation_types": ["injury"], "perpetrator_category": "other",
        "victims": {"unknown": 1}, "source_type": "media", "summary": "un blessé"}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return template(tmp_path_factory.mktemp("web-french"))


@pytest.fixture
def world(made: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from web_world(made[0], made[1], tmp_path)


def french(world: World, username: str) -> Any:
    world.casework.write(lambda conn: web_store.set_locale(conn, username, "fr"))
    return browser(world, username)


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def sitrep(*records: Any) -> bytes:
    return b"\n".join(r if isinstance(r, bytes) else json.dumps(r).encode() for r in records) + b"\n"


def test_every_refusal_a_case_page_can_show_is_in_french_with_its_stages_and_reasons_translated(world: World) -> None:
    now = world.clock.now()
    users = world.casework.read(repo.list_users)
    cases = [world.casework.read(lambda conn, ref=ref: repo.get_case(conn, ref)) for ref in REFS.values()]
    said = {reason for case in cases for user in users
            for reason in actions.offered(case, user, now).values() if reason}
    assert len(said) >= 8  # the world's cases at every stage give many different refusals
    with world.client.application.test_request_context(), force_locale("fr"):
        for text in sorted(said):
            shown = forms.refusal(text)
            assert shown != text, text
            assert not any(word in shown for word in RAW + ENGLISH), (text, shown)
        early = forms.refusal("before findings are concluded a case can only be closed as "
                              "unsubstantiated, duplicate, merged")
    assert early == ("Avant les conclusions, un dossier ne peut être clos que comme : "
                     "Non étayé, Doublon, Fusionné avec un autre dossier.")


def test_an_early_closure_for_findings_is_refused_in_french_naming_the_three_reasons(world: World) -> None:
    awa = french(world, "awa")
    response = awa.post(f"/web/cases/{REFS['P']}/request-closure", {"reason": "concluded", "note": "fini"})
    assert response.status_code == 409
    text = visible(response.get_data(as_text=True))
    assert "ne peut être clos que comme : Non étayé, Doublon, Fusionné avec un autre dossier." in text
    assert not any(word in text for word in ("unsubstantiated", "merged"))


def test_the_import_preview_names_fields_by_their_labels_and_counts_with_french_plurals(world: World) -> None:
    awa = french(world, "awa")
    data = sitrep(dict(LINE, incident_number=1), dict(LINE, incident_number=2, office="Gao"),
                  dict(LINE, incident_number=3, summary="", victims={"female_adult": -1}),
                  dict(LINE, incident_number=4, office="Atlantis"), b"{not json")
    page = awa.post("/web/import", {"file": (io.BytesIO(data), "semaine-10.jsonl")},
                    content_type="multipart/form-data").get_data(as_text=True)
    text = visible(page)
    assert ("1 enregistrement sera accepté, 2 rejetés, 0 déjà reçu, 2 hors de votre bureau (non importés)."
            in text)  # 0 and 1 singular, 2 plural (French: n > 1); Atlantis is no office of awa's either
    assert "Résumé : Entre 1 et 4000 caractères." in text
    assert "Victimes (Femmes) : Ce nombre est hors limites." in text
    assert "Bureau : Bureau inconnu : Atlantis ; bureaux possibles :" in text
    assert "Cette ligne n&#39;est pas du JSON." in page
    assert not any(word in text for word in RAW), [w for w in RAW if w in text]
    assert "Importer 1 enregistrement" in text  # the accepted row only: rejected rows are not imported
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    done = awa.post("/web/import/confirm", {"token": token.group(1)}, follow_redirects=True)
    text = visible(done.get_data(as_text=True))
    assert "3 enregistrements de semaine-10.jsonl envoyés à la réception. 2 seront rejetés, pour les motifs " \
           "indiqués dans l&#39;aperçu." in text
    assert not SHELL.search(done.get_data(as_text=True))


def test_counts_take_the_singular_for_0_and_1_in_french_and_only_for_1_in_english(world: World) -> None:
    app = world.client.application
    forms_of = {0: ("0 clôture attend une décision.", "0 closures await a decision, the oldest request first."),
                1: ("1 clôture attend une décision.", "1 closure awaits a decision."),
                2: ("2 clôtures attendent une décision, la plus ancienne demande d'abord.",
                    "2 closures await a decision, the oldest request first.")}
    for n, (fr, en) in forms_of.items():
        with app.test_request_context():
            template = "{{ ngettext('%(num)s closure awaits a decision.', " \
                       "'%(num)s closures await a decision, the oldest request first.', n) }}"
            with force_locale("fr"):
                assert app.jinja_env.from_string(template).render(n=n) == fr
            with force_locale("en"):
                assert app.jinja_env.from_string(template).render(n=n) == en


def test_a_french_officer_types_dates_as_jj_mm_aaaa_and_a_wrong_one_is_named_with_its_format(world: World) -> None:
    awa = french(world, "awa")
    form = awa.get("/web/incidents/new").get_data(as_text=True)
    assert '<html lang="fr">' in form and 'placeholder="JJ/MM/AAAA HH:MM"' in form
    assert 'type="datetime-local"' not in form and re.search(r'id="reported_at"[^>]*value="\d\d/\d\d/\d{4} \d\d:\d\d"',
                                                              form)
    base = {"sitrep_id": "SR-FR-1", "incident_number": "1", "office": "Mopti", "location": "Konna",
            "violation_types": ["killing"], "perpetrator_category": "armed_group", "source_type": "ngo",
            "summary": "un homme tué", "victims_male_adult": "1"}
    wrong = awa.post("/web/incidents/new", {**base, "reported_at": "03/13/2026 8:00 PM", "occurred_at": "2/3/2026 21h"})
    assert wrong.status_code == 422
    text = visible(wrong.get_data(as_text=True))
    assert ("Signalé le (UTC) : écrivez la date et l&#39;heure sous la forme JJ/MM/AAAA HH:MM (24 h), "
            "par exemple 25/12/2026 14:30.") in text
    assert 'id="occurred_at-error"' not in wrong.get_data(as_text=True)  # "2/3/2026 21h" is a date it reads
    done = awa.post("/web/incidents/new", {**base, "reported_at": "3/3/2026 8:00", "occurred_at": "02/03/26 21h30"})
    assert done.status_code == 303
    record = [o for o in world.outbox() if o["topic"] == SITREP_INCIDENTS][-1]["value"]
    assert (record["reported_at"], record["occurred_at"]) == ("2026-03-03T08:00:00+00:00", "2026-03-02T21:30:00+00:00")


def test_a_delay_is_paused_until_a_day_typed_in_french_and_a_us_date_is_refused_naming_the_field(world: World) -> None:
    awa = french(world, "awa")
    case = awa.get(f"/web/cases/{REFS['P']}").get_data(as_text=True)
    assert 'placeholder="JJ/MM/AAAA"' in case and 'type="date"' not in case
    until = world.clock.now().date().toordinal() + 10
    from datetime import date
    day = date.fromordinal(until)
    wrong = awa.post(f"/web/cases/{REFS['P']}/justify-delay", {"reason": "security", "until": f"{day:%m/%d/%Y}x"})
    assert wrong.status_code == 422
    assert "Suspendre le délai d&#39;inactivité jusqu&#39;au : écrivez la date sous la forme JJ/MM/AAAA" in \
        wrong.get_data(as_text=True)
    done = awa.post(f"/web/cases/{REFS['P']}/justify-delay", {"reason": "security", "until": f"{day:%d/%m/%Y}"})
    assert done.status_code == 303
    history = awa.get(f"/web/cases/{REFS['P']}").get_data(as_text=True)
    assert f"{day:%Y-%m-%d}" in history


def test_no_page_sends_a_web_user_to_a_shell_command(world: World) -> None:
    anonymous = browser(world)
    assert not SHELL.search(anonymous.get("/web/login").get_data(as_text=True))
    for username, paths in PAGES.items():
        user = browser(world, username)
        for path in paths:
            page = user.get(path).get_data(as_text=True)
            assert not SHELL.search(page), (username, path, SHELL.search(page))
    preview = browser(world, "awa").post("/web/import", {"file": (io.BytesIO(sitrep(dict(LINE, incident_number=9))),
                                                                  "w.jsonl")}, content_type="multipart/form-data")
    assert not SHELL.search(preview.get_data(as_text=True))


def test_the_user_guides_glossary_uses_the_words_the_french_pages_use() -> None:
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with (root / "services/casework/web/translations/fr/LC_MESSAGES/messages.po").open("rb") as source:
        said = " ".join(str(m.string).casefold() for m in read_po(source, locale="fr") if m.id)
    guide = (root / "docs/user-guide.md").read_text().split("## Glossary", 1)[1]
    rows = re.findall(r"^\| (?!English|---)(.+?) \| (.+?) \|$", guide, flags=re.M)
    assert len(rows) >= 15
    terms = [t.strip() for _, french in rows for t in re.split(r", | ; ", french.split(": ")[-1])]
    missing = [t for t in terms if t.casefold() not in said]
    assert missing == []
    assert ("Human Rights Officer (HRO, role `hro`)", "Chargé(e) des droits de l'homme") in rows


def test_a_page_that_is_not_there_says_so_in_french_not_in_werkzeugs_english(world: World) -> None:
    awa = french(world, "awa")
    for path, said in (("/web/cases/MOP-1999-0001", "Rien n&#39;est connu sous &#39;MOP-1999-0001&#39;."),
                       ("/web/cases/MOP-2026-0001/no-such-action", "Cette page n&#39;existe pas")):
        response = awa.post(path, {}) if path.endswith("action") else awa.get(path)
        text = visible(response.get_data(as_text=True))
        assert response.status_code == 404 and said in text, (path, text[-400:])
        assert "requested URL" not in text


def test_a_label_follows_the_language_each_time_it_changes(world: World) -> None:
    app = world.client.application
    shown = "{{ 'closure_requested'|label('stage') }}"
    with app.test_request_context():
        for language, expected in (("en", "Closure requested"), ("fr", "Clôture demandée"),
                                   ("en", "Closure requested"), ("fr", "Clôture demandée")):
            with force_locale(language):
                assert app.jinja_env.from_string(shown).render() == expected
