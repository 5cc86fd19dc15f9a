"""A full scenario (the demo's six weeks, the API, alert delivery, records refused) scanned for identities: logs,
metrics, exports, and every byte of the embedded log and of each service's database (ADR 10)."""

from __future__ import annotations

import base64
import io
import json
import logging
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client import generate_latest

from schemas.topics import CASE_EVENTS, INCIDENTS, INTAKE_REJECTED, SLA_EVENTS
from services.casework.adapters import access_log, preferences, token_store
from services.casework.adapters import repository as repo
from services.casework.adapters.channels import SmtpChannel, WebhookChannel
from services.casework.adapters.dispatcher import Dispatcher
from services.casework.api.server import ApiServer, context_for
from services.cli import cli
from services.clock import SimulatedClock
from services.config import Settings, SmtpSettings
from services.demo import Demo
from services.demo_script import END
from services.embedded import EmbeddedRuntime
from services.logs import log_handler
from services.sealing import plain_form
from sitreps.files import read_sitrep
from tests.factories import incident
from tests.integration.api_channels import smtp_server, webhook_server
from tests.leak_scan import every_row, forms, revealed, sqlite_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sitreps"


def identities_in_examples() -> set[str]:
    """Every name and contact of a victim, witness or source in the example situation reports."""
    found: set[str] = set()
    for path in sorted(EXAMPLES.glob("*.*")):
        if path.suffix not in (".jsonl", ".csv"):
            continue
        for record in read_sitrep(path):
            try:
                people = json.loads(record.value).get("identities") or {}
            except (json.JSONDecodeError, AttributeError):
                continue
            for group in people.values() if isinstance(people, dict) else []:
                for person in group if isinstance(group, list) else []:
                    found.update(v for k, v in person.items() if k in ("name", "contact") and v)
                for person in group.values() if isinstance(group, dict) else []:  # version 2's people by ref
                    found.update(person.get("names") or [])
                    found.update(v for k, v in person.items() if k in ("contact", "date_of_birth") and v)
    return found


# Named in what the scenario adds to the demo: through the API, a sitrep file, a refused record, a damaged line.
API_NAMES = ("Tiéman Konaté-Sidibé", "Hawa Dembélé-Kanouté")
FILE_NAMES = ("Bréhima Sanogo-Diarra", "Assétou Camara-Koïta", "+223 6611 2233")
# Version 2's identifying fields of a person: names with a variant, date of birth, contact.
PERSON_FIELDS = ("Kadidia Traoré-Sangaré", "Kadidia Traore", "1979-08-23", "+223 6699 0417")
REFUSED_NAMES = ("Nianankoro Fomba-Diakité", "Salimata Doumbia-Togola")
SECRETS = identities_in_examples() | {*API_NAMES, *FILE_NAMES, *REFUSED_NAMES, *PERSON_FIELDS}
# As written, and as JSON writes non-ASCII letters (Aïssata -> A\u00efssata): a leak in either form is found.
FORMS = forms(SECRETS)


def extra_sitrep(path: Path) -> Path:
    """A week more: an incident (twice, as a repeated report), one refused (unknown office), a damaged line."""
    named = incident("SR-MOP-2026-W49", 1, END - timedelta(days=1), "Mopti", assignee="amadou.hro", identities={
        "victims": [{"name": FILE_NAMES[0], "contact": FILE_NAMES[2]}], "sources": [{"name": FILE_NAMES[1]}],
        "people": {"p1": {"names": list(PERSON_FIELDS[:2]), "date_of_birth": PERSON_FIELDS[2],
                          "contact": PERSON_FIELDS[3]}}},
        people=[{"ref": "p1", "role": "victim", "sex": "female", "age_group": "adult", "occupation": "journalist",
                 "consent": {"recorded": True, "share_with": ["UNICEF"]}}],
        acts=[{"violation_type": "abduction", "victims": ["p1"], "perpetrator_category": "armed_group"}])
    del named["violation_types"], named["victims"]  # from the acts
    refused = incident("SR-MOP-2026-W49", 2, END - timedelta(days=1), "Atlantis", location="Konna",
                       identities={"witnesses": [{"name": REFUSED_NAMES[0]}]})
    damaged = f'{{"sitrep_id": "SR-MOP-2026-W49", "incident_number": 3, "identities": {{"victims": [{{"name": ' \
              f'"{REFUSED_NAMES[1]}"}}]'
    path.write_text("\n".join([json.dumps(named), json.dumps(named), json.dumps(refused), damaged]) + "\n",
                    encoding="utf-8")
    return path


def post(url: str, token: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scenario(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[dict[str, Any]]:
    caplog.set_level(logging.DEBUG)
    # The JSON lines an operator's log collector would get, with every context field a record carries.
    json_logs = io.StringIO()
    json_handler = log_handler("embedded", "json", json_logs)
    logging.getLogger().addHandler(json_handler)
    data = tmp_path / "data"
    runtime = EmbeddedRuntime(Settings(data_dir=data))
    lines: list[str] = []
    demo = Demo(runtime, EXAMPLES, lines.append)
    demo.run()
    week = str(extra_sitrep(tmp_path / "w49.jsonl"))
    loaded = CliRunner().invoke(cli, ["sitrep", "load", "--data-dir", str(data), week])
    assert loaded.exit_code == 0 and "4 incident records queued" in loaded.output, loaded.output
    runtime.run_until_idle(END)
    try:
        yield {"runtime": runtime, "data": data, "lines": lines, "now": END, "json_logs": json_logs}
    finally:
        logging.getLogger().removeHandler(json_handler)


def test_no_identity_reaches_logs_metrics_alerts_or_exports_in_a_full_scenario(
        scenario: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    assert len(SECRETS) >= 10
    with smtp_server() as smtp, webhook_server() as hooks:
        scan(scenario, smtp, hooks, caplog)


def scan(scenario: dict[str, Any], smtp: tuple[Any, int], hooks: tuple[Any, str],
         caplog: pytest.LogCaptureFixture) -> None:
    runtime, data, now = scenario["runtime"], scenario["data"], scenario["now"]
    casework = runtime.casework
    (inbox, port), (handler, url) = smtp, hooks
    people = casework.read(repo.list_users)
    tokens = casework.write(lambda conn: {u.username: token_store.create(conn, u.username, now).value
                                          for u in people})
    for user in people:
        if user.role in ("team_leader", "director"):
            casework.write(lambda conn, u=user: preferences.save(conn, preferences.Preferences(
                u.username, f"{u.username}@example.org", url, "digest" if u.role == "director" else "immediate")))
    dispatcher = Dispatcher(casework, [SmtpChannel(SmtpSettings("127.0.0.1", port)), WebhookChannel("s")],
                            registry=runtime.metrics.registry)
    dispatcher.run_once(now)
    dispatcher.run_once(now + timedelta(days=1))

    server = ApiServer(context_for(casework, clock=SimulatedClock(now)), "127.0.0.1", 0).start()
    shown, shown_text = [], []
    try:
        queued = post(f"{server.url}/incidents", tokens["aissata.tl"], {**incident(
            "API-2026-12", 1, now - timedelta(hours=2), "Mopti", assignee="fatou.hro"), "identities": {
            "victims": [{"name": API_NAMES[0]}], "witnesses": [{"name": API_NAMES[1]}]}})
        assert queued["status"] == "queued"
        for user in people:  # everyone reads everything they may: lists, queue, alerts, each case of theirs
            token = tokens[user.username]
            listing = get(f"{server.url}/cases?page_size=200", token)
            api_text = [json.dumps(listing), json.dumps(get(f"{server.url}/closures/pending", token)),
                        json.dumps(get(f"{server.url}/alerts/mine?state=all", token))]
            for item in listing["items"]:
                case = get(f"{server.url}/cases/{item['reference']}", token)
                if case["identities_redacted"]:
                    api_text.append(json.dumps(case))
                else:
                    shown.append(user.username)
                    shown_text.append(json.dumps(case))
            for text in api_text:
                assert not [s for s in FORMS if s in text], user.username
        access = get(f"{server.url}/access-log?page_size=200", tokens["auditor.diallo"])
    finally:
        server.stop()
    assert shown, "the people who may see identities did see them"
    # The scan can see them: the API shows them, opened, to the people allowed to see them.
    assert len(revealed("".join(shown_text), FORMS)) >= len(SECRETS) // 2
    # A person's names, date of birth and contact (version 2) are shown there too, and nowhere else.
    assert all(revealed("".join(shown_text), forms([field])) for field in PERSON_FIELDS)
    runtime.run_until_idle(now)  # the incident submitted through the API, through intake to casework

    def hrcase(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--data-dir", str(data)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    exports = {
        "demo output": "\n".join(scenario["lines"]),
        "logs": caplog.text,
        "JSON logs": scenario["json_logs"].getvalue(),
        "metrics": generate_latest(runtime.metrics.registry).decode(),
        "e-mails": "\n".join(f"{m['Subject']}\n{m.get_content()}" for m in inbox.messages),
        "webhooks": "\n".join(body.decode() for _, body in handler.received),
        "access log": json.dumps(access) + repr(casework.read(lambda conn: access_log.entries(conn, limit=10**6))),
        "case list": hrcase("case", "list"),
        "rejected": hrcase("rejected"),
        "case show and history": "".join(hrcase("case", "show", c.reference) + hrcase("case", "history", c.reference)
                                         for c in casework.read(lambda conn: repo.list_cases(conn, limit=10**6))),
        "alerts": "".join(hrcase("alerts", "list", "--as", u.username, "--all") for u in people),
        "case-events and sla-events": "".join(m.value.decode() for t in (CASE_EVENTS, SLA_EVENTS)
                                              for m in runtime.log.read_topic(t)),
    }
    assert inbox.messages and handler.received and access["total"] > 50
    for name, text in exports.items():
        assert text.strip(), name
        leaked = sorted(s for s in FORMS if s in text)
        assert not leaked, f"{name} reveals {leaked}"
    scan_storage(runtime, data)


def scan_storage(runtime: EmbeddedRuntime, data: Path) -> None:
    """Every byte of the embedded log and of each service's database, every row of every table, every dead letter's
    original: identities only ever sealed, and what was sealed there opens to the names."""
    vault, casework = runtime.vault, runtime.casework
    cases = {c.incident_key: c for c in casework.read(lambda conn: repo.list_cases(conn, limit=10**6))}
    for key, names in (("API-2026-12#1", API_NAMES), ("SR-MOP-2026-W49#1", (*FILE_NAMES, *PERSON_FIELDS))):
        stored = casework.read(lambda conn, k=key: repo.load_identities(conn, cases[k].case_id))
        assert revealed(json.dumps(vault.open(stored), ensure_ascii=False), FORMS) >= set(names)
    letters = [json.loads(m.value)["payload"] for m in runtime.log.read_topic(INTAKE_REJECTED)]
    opened = [plain_form(base64.b64decode(p["original"]), vault) or b"" for p in letters
              if p["incident_key"] in ("SR-MOP-2026-W49#2", None)]
    assert revealed(b"".join(opened), FORMS) >= set(REFUSED_NAMES)  # both refused records, kept sealed
    assert len(runtime.log.read_topic(INCIDENTS)) >= 16
    stores = {f"{name} table {table}": rows
              for name, engine in (("log", runtime.log.engine), ("intake", runtime.intake.engine),
                                   ("casework", casework.engine), ("sla_monitor", runtime.sla.engine))
              for table, rows in every_row(engine).items()}
    assert {"log table log_records", "intake table rejected_records", "casework table case_identities"} <= set(stores)
    stores |= {f"file {name}": content for name, content in sqlite_files(data).items()}
    assert {"file log.sqlite", "file intake.sqlite", "file casework.sqlite"} <= set(stores)
    for name, content in stores.items():
        assert not revealed(content, FORMS), f"{name} reveals {sorted(revealed(content, FORMS))}"
