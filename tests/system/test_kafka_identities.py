"""On Kafka and PostgreSQL: identities sealed at every edge, so no topic, table or log holds a name in the clear."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import text

from schemas.topics import INCIDENTS, INTAKE_REJECTED, SITREP_INCIDENTS
from services.casework import bootstrap as casework_boot
from services.casework.adapters import repository as repo
from services.casework.adapters import token_store
from services.casework.domain.roles import User
from services.config import Settings
from services.sealing import plain_form
from services.vault import DEV_KEY_FILE, IdentityVault
from tests.factories import incident
from tests.leak_scan import every_row, forms, identities_of, revealed
from tests.system.kafka_cluster import REPO, TOPIC_NAMES, Stack, kafka_stack, wait_for

SITREPS = REPO / "examples" / "sitreps"
EXAMPLES = sorted(SITREPS.glob("*.jsonl")) + sorted(SITREPS.glob("*.csv"))
FILE_NAMES = ("Yaya Kanambaye-Guindo", "Mariétou Sow-Ouattara", "+223 9012 3344")
REFUSED_NAMES = ("Bourama Tangara-Coulibaly", "Ténin Kéita-Magassa")
API_NAMES = ("Sériba Dao-Maïga", "Oumou Cissé-Nantoumé")


def example_names() -> set[str]:
    from sitreps.files import read_sitrep

    names: set[str] = set()
    for path in EXAMPLES:
        for record in read_sitrep(path):
            names.update(identities_of(json.loads(record.value)))
    return names


NAMES = example_names() | {*FILE_NAMES, *REFUSED_NAMES, *API_NAMES}
FORMS = forms(NAMES)


def week(path: Path, reported: datetime) -> Path:
    """An incident (twice, as a repeated report), one refused for its office, a damaged line: each naming people."""
    named = incident("SR-GAO-2026-W47", 1, reported, "Gao", assignee="garba", identities={
        "victims": [{"name": FILE_NAMES[0], "contact": FILE_NAMES[2]}], "witnesses": [{"name": FILE_NAMES[1]}]})
    refused = incident("SR-GAO-2026-W47", 2, reported, "Atlantis", location="Nowhere",
                       identities={"sources": [{"name": REFUSED_NAMES[0]}]})
    damaged = f'{{"sitrep_id": "SR-GAO-2026-W47", "incident_number": 3, "identities": {{"victims": [{{"name": ' \
              f'"{REFUSED_NAMES[1]}"'
    path.write_text("\n".join([json.dumps(named), json.dumps(named), json.dumps(refused), damaged]) + "\n",
                    encoding="utf-8")
    return path


def api(method: str, url: str, token: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def every_record(stack: Stack, topic: str, timeout: float = 60.0) -> list[bytes]:
    """Every record's bytes on every partition of `topic`, from the start (some are not JSON: sealed whole)."""
    consumer = KafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        values: list[bytes] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


def sql_one(stack: Stack, sql: str) -> Any:
    with stack.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def enrol(stack: Stack) -> str:
    """An officer of Gao and their API token, written into casework's schema (the worker has migrated it)."""
    engine, schema = Settings(database_url=stack.database_url).database("casework")
    casework_boot.migrate(engine, schema)
    try:
        with engine.begin() as conn:
            repo.save_user(conn, User("garba", "hro", "Gao"))
            return token_store.create(conn, "garba", datetime.now(UTC)).value
    finally:
        engine.dispose()


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(400)
def test_no_topic_table_or_worker_log_holds_an_identity_in_the_clear_and_the_api_still_shows_them(
        kafka_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    reported = datetime.now(UTC) - timedelta(hours=3)
    with kafka_stack(kafka_bootstrap, postgres_url, tmp_path) as stack:
        stack.cli("topics", "create")
        workers = {s: stack.worker(s) for s in ("intake", "casework", "sla-monitor")}
        for worker in workers.values():
            worker.wait_healthy()
        stack.cli("sitrep", "publish", *map(str, EXAMPLES), str(week(tmp_path / "w47.jsonl", reported)))
        token = enrol(stack)
        url = f"http://127.0.0.1:{workers['casework'].env['HRCASE_API_PORT']}"
        submitted = {**incident("API-2026-W47", 1, reported, "Gao"), "identities": {
            "victims": [{"name": API_NAMES[0]}], "witnesses": [{"name": API_NAMES[1]}]}}
        assert api("POST", f"{url}/incidents", token, submitted)["status"] == "queued"

        wait_for(lambda: stack.scalar("select count(*) from casework.cases") == 16, 120, "16 cases",
                 lambda: f"{stack.scalar('select count(*) from casework.cases')} cases")
        rejected = stack.reader(INTAKE_REJECTED)
        wait_for(lambda: len(rejected.envelopes()) >= 3, 60, "three dead letters")
        wait_for(stack.quiet, 60, "outboxes relayed and every group caught up")

        # The scan can see them: the assigned officer reads them through the API, opened by casework's vault.
        reference = sql_one(stack, "select reference from casework.cases where incident_key = 'API-2026-W47#1'")
        detail = api("GET", f"{url}/cases/{reference}", token)
        assert [p["name"] for p in detail["identities"]["victims"] + detail["identities"]["witnesses"]] == [
            *API_NAMES]
        vault = IdentityVault((tmp_path / "data" / DEV_KEY_FILE).read_text().strip())
        stored = sql_one(stack, "select i.data from casework.case_identities i join casework.cases c "
                                "on c.case_id = i.case_id where c.incident_key = 'SR-GAO-2026-W47#1'")
        assert revealed(json.dumps(vault.open(stored), ensure_ascii=False), FORMS) >= set(FILE_NAMES)
        letters = [e["payload"] for e in rejected.envelopes()]
        opened = b"".join(plain_form(base64.b64decode(p["original"]), vault) or b"" for p in letters)
        assert revealed(opened, FORMS) >= set(REFUSED_NAMES)  # the refused records are kept, sealed

        places = {f"topic {topic}": every_record(stack, topic) for topic in TOPIC_NAMES}
        assert len(places[f"topic {INCIDENTS}"]) >= 16 and len(places[f"topic {SITREP_INCIDENTS}"]) >= 21
        places = {place: b"\n".join(values) for place, values in places.items()}
        for schema in ("intake", "casework", "sla_monitor"):
            places |= {f"table {t}": rows for t, rows in every_row(stack.engine, schema).items()}
        assert {"table casework.case_identities", "table intake.rejected_records", "table casework.outbox"} \
            <= set(places)
        places |= {f"log {w.log.name}": w.log.read_bytes() for w in stack.workers}
        for place, content in places.items():
            assert not revealed(content, FORMS), f"{place} reveals {sorted(revealed(content, FORMS))}"
