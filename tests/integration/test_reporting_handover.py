"""Handover: export the whole history, restore it into an empty installation, and get the same report."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reference.vocabularies import add_term, shipped
from schemas import vocabulary
from services import vocabulary_file
from services.casework.adapters import repository as repo
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.adapters.log_source import read_log
from services.reporting.adapters.output import write_report
from services.reporting.domain.model import Scope, end_of
from services.reporting.handover import HandoverError, export, read_export, restore
from services.reporting.history.importer import import_files, settle
from services.reporting.whatif import make_report
from services.sealing import sitrep_outgoing
from services.sla_monitor.bootstrap import load_policy
from services.vault import DEV_KEY_FILE
from sitreps.files import read_sitrep

ROOT = Path(__file__).resolve().parents[2]
AS_OF = end_of(date(2024, 6, 30))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedRuntime:
    """The example history, plus a rejected sitrep record, so that every topic has something to hand over."""
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path_factory.mktemp("source")))
    history = ROOT / "examples" / "history"
    import_files(runtime, history / "incidents.csv", history / "cases.csv", datetime(2026, 1, 1, tzinfo=UTC), AS_OF)
    runtime.submit(map(sitrep_outgoing, read_sitrep(ROOT / "examples" / "sitreps" / "2026-W46-bamako.csv")))
    settle(runtime, datetime(2026, 11, 14, tzinfo=UTC))
    return runtime


def target_with_the_source_key(source: EmbeddedRuntime, data: Path) -> EmbeddedRuntime:
    """A new installation given the source's identity key, as the operations guide says (its identity.key)."""
    data.mkdir(parents=True)
    shutil.copy(source.settings.data_dir / DEV_KEY_FILE, data / DEV_KEY_FILE)
    return EmbeddedRuntime(Settings(data_dir=data))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_export_then_import_gives_an_identical_report(source: EmbeddedRuntime, tmp_path: Path) -> None:
    manifest = export(source, tmp_path / "export")
    target = target_with_the_source_key(source, tmp_path / "target")
    result = restore(target, tmp_path / "export")
    assert result.new_records == {}
    assert (result.records, result.users, result.cases) == (manifest["records"], 6, 10)
    policy = load_policy(source.settings.policy_path)
    for scope in (Scope(as_of=AS_OF), Scope(as_of=end_of(date(2026, 12, 31)), office="Bamako")):
        before = write_report(make_report(read_log(source.log), scope, policy), tmp_path / "before")
        after = write_report(make_report(read_log(target.log), scope, policy), tmp_path / "after")
        assert [p.name for p in before] == [p.name for p in after]
        assert files_of(tmp_path / "before") == files_of(tmp_path / "after")
    from_export = make_report(read_export(tmp_path / "export"), Scope(as_of=AS_OF), policy)
    assert from_export == make_report(read_log(source.log), Scope(as_of=AS_OF), policy)


def test_the_restored_installation_holds_the_same_cases_and_keeps_working(source: EmbeddedRuntime,
                                                                         tmp_path: Path) -> None:
    export(source, tmp_path / "export")
    target = target_with_the_source_key(source, tmp_path / "target")
    restore(target, tmp_path / "export")

    def cases(runtime: EmbeddedRuntime) -> list:
        return runtime.casework.read(lambda conn: repo.list_cases(conn, limit=1000))

    assert cases(target) == cases(source)
    assert target.casework.read(repo.list_users) == source.casework.read(repo.list_users)
    source_alerts = source.casework.read(lambda conn: repo.list_alerts(conn, open_only=False, limit=1000))
    assert target.casework.read(lambda conn: repo.list_alerts(conn, open_only=False, limit=1000)) == source_alerts
    # Nothing is processed twice: running the restored services adds no record.
    before = len(list((tmp_path / "export" / "events.jsonl").read_text().splitlines()))
    target.run_until_idle(AS_OF)
    with target.log.engine.connect() as conn:
        from sqlalchemy import func, select

        from services.messaging.embedded import records
        assert conn.scalar(select(func.count()).select_from(records)) == before


def test_an_installation_without_the_identity_key_of_the_export_is_refused_before_anything_is_written(
        source: EmbeddedRuntime, tmp_path: Path) -> None:
    export(source, tmp_path / "export")
    target = EmbeddedRuntime(Settings(data_dir=tmp_path / "target"))  # a key of its own
    with pytest.raises(HandoverError, match="sealed with an identity key this installation does not hold"):
        restore(target, tmp_path / "export")
    assert target.casework.read(repo.list_users) == [] and not target.log.read_topic("sitrep-incidents")


def test_the_export_holds_identities_sealed_only(source: EmbeddedRuntime, tmp_path: Path) -> None:
    export(source, tmp_path / "export")
    events = (tmp_path / "export" / "events.jsonl").read_text(encoding="utf-8")
    names = [n for r in read_sitrep(ROOT / "examples" / "sitreps" / "2026-W46-bamako.csv")
             for group, people in json.loads(r.value).get("identities", {}).items() if group != "people"
             for n in (p["name"] for p in people)]
    names += [n for r in read_sitrep(ROOT / "examples" / "sitreps" / "2026-W46-bamako.csv")  # version 2's, by ref
              for person in json.loads(r.value).get("identities", {}).get("people", {}).values()
              for n in [*person["names"], person.get("contact")] if n]
    assert len(names) >= 9 and "+223 6620 1188" in names and "fernet:" in events
    assert [n for n in names if n in events or json.dumps(n)[1:-1] in events] == []


def test_an_altered_export_is_refused_before_anything_is_written(source: EmbeddedRuntime, tmp_path: Path) -> None:
    export(source, tmp_path / "export")
    events = tmp_path / "export" / "events.jsonl"
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    target = EmbeddedRuntime(Settings(data_dir=tmp_path / "target"))
    with pytest.raises(HandoverError, match="does not match the manifest"):
        restore(target, tmp_path / "export")
    assert target.casework.read(repo.list_users) == []


def test_an_installation_that_holds_anything_is_not_restored_into(source: EmbeddedRuntime, tmp_path: Path) -> None:
    export(source, tmp_path / "export")
    with pytest.raises(HandoverError, match="is not empty"):
        restore(source, tmp_path / "export")


def test_the_manifest_counts_records_by_topic_and_type(source: EmbeddedRuntime, tmp_path: Path) -> None:
    manifest = export(source, tmp_path / "export")
    saved = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert saved["topics"] == manifest["topics"]
    assert saved["topics"]["sitrep-incidents"] == 11
    assert saved["event_types"]["CaseClosedWithoutApproval"] == 1
    assert saved["event_types"]["IncidentRejected"] == 1
    assert set(saved["files"]) == {"events.jsonl", "users.jsonl", "sla_policy.toml", "vocabularies.json"}
    assert saved["vocabularies_version"] == 1


def test_an_export_naming_an_admin_s_terms_restores_only_where_those_terms_are(source: EmbeddedRuntime,
                                                                               tmp_path: Path) -> None:
    added = add_term(shipped(), "violation_types", "looting", {"en": "Looting", "fr": "Pillage"})
    vocabulary_file.save(tmp_path / "vocabularies.json", shipped(), added)
    try:
        vocabulary_file.install(tmp_path / "vocabularies.json")
        export(source, tmp_path / "export")
        kept = tmp_path / "export" / "vocabularies.json"
        assert vocabulary_file.load(kept) == added
        target = target_with_the_source_key(source, tmp_path / "target")  # the shipped terms
        with pytest.raises(HandoverError, match=f"lacks \\(violation_types.looting\\): start it with "
                                                f"HRCASE_VOCABULARIES={kept}"):
            restore(target, tmp_path / "export")
        assert not target.log.read_topic("sitrep-incidents")
        (tmp_path / "elsewhere").mkdir()
        shutil.copy(source.settings.data_dir / DEV_KEY_FILE, tmp_path / "elsewhere" / DEV_KEY_FILE)
        again = EmbeddedRuntime(Settings(data_dir=tmp_path / "elsewhere", vocabularies_path=kept))
        assert restore(again, tmp_path / "export").cases > 0
    finally:
        vocabulary.use(shipped)
