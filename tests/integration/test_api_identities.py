"""Identities of victims, witnesses and sources: shown to the few the design names, encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.casework.adapters import repository as repo
from services.vault import IdentityVault, MissingKey
from tests.integration.api_world import CONTACT, REFS, VICTIM, WITNESS, World, build_template, open_world


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("template") / "casework.sqlite"
    return path, build_template(path)


@pytest.fixture
def world(template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[World]:
    yield from open_world(*template, tmp_path)


@pytest.mark.parametrize("caller", ["awa", "tl_mopti", "dir_mopti"])
def test_the_assigned_officer_their_team_leader_and_the_directors_of_the_office_see_identities(
        world: World, caller: str) -> None:
    case = world.call("GET", f"/cases/{REFS['P']}", caller).get_json()
    assert case["identities_redacted"] is False
    assert case["identities"]["victims"] == [{"name": VICTIM, "contact": CONTACT}]
    assert case["identities"]["witnesses"] == [{"name": WITNESS, "contact": None}]


@pytest.mark.parametrize("caller", ["bakary", "dir_gao", "aud_mopti", "aud_gao", "adm_mopti", "adm_gao"])
def test_everyone_else_who_may_read_the_case_gets_identities_redacted(world: World, caller: str) -> None:
    response = world.call("GET", f"/cases/{REFS['P']}", caller)
    assert response.status_code == 200
    case = response.get_json()
    assert (case["identities"], case["identities_redacted"]) == (None, True)
    assert VICTIM not in response.get_data(as_text=True) and CONTACT not in response.get_data(as_text=True)


def test_lists_queues_alerts_and_command_answers_never_carry_identities(world: World) -> None:
    world.call("POST", f"/cases/{REFS['R']}/record", "awa", {"note": "recorded"})
    for caller in ("awa", "tl_mopti", "dir_mopti"):
        for path in ("/cases", "/closures/pending", "/alerts/mine?state=all", "/me"):
            text = world.call("GET", path, caller).get_data(as_text=True)
            assert VICTIM not in text and WITNESS not in text and CONTACT not in text, path


def test_a_database_dump_alone_does_not_reveal_identities(world: World) -> None:
    world.casework.engine.dispose()  # checkpoint nothing away: read the files as they are, WAL included
    folder = Path(str(world.casework.engine.url.database)).parent
    dump = b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("casework.sqlite"))
    for secret in (VICTIM, WITNESS, CONTACT):
        assert secret.encode() not in dump
    stored = world.casework.read(lambda conn: repo.load_identities(conn, world.case_id("P")))
    assert stored and stored.startswith("fernet:")
    with pytest.raises(MissingKey, match="cannot be decrypted"):
        IdentityVault.generate().open(stored)


def test_without_a_configured_key_production_refuses_to_start(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.delenv("HRCASE_IDENTITY_KEY", raising=False)
    with pytest.raises(MissingKey, match="HRCASE_IDENTITY_KEY is not set"):
        IdentityVault.from_env(dev_dir=None)
    dev = IdentityVault.from_env(dev_dir=tmp_path)  # the embedded runtime's development key, kept for restarts
    assert IdentityVault.from_env(dev_dir=tmp_path).open(dev.seal({"victims": []})) == {"victims": []}
    assert oct((tmp_path / "identity.key").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("HRCASE_IDENTITY_KEY", "not-a-key")
    with pytest.raises(MissingKey, match="not a valid Fernet key"):
        IdentityVault.from_env()


def test_a_rotated_key_still_opens_what_the_old_key_sealed() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = IdentityVault(old).seal({"victims": [{"name": VICTIM}]})
    assert IdentityVault(f"{new},{old}").open(sealed) == {"victims": [{"name": VICTIM}]}  # newest first
    with pytest.raises(MissingKey):
        IdentityVault(new).open(sealed)


def test_processes_starting_together_share_one_development_key(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.delenv("HRCASE_IDENTITY_KEY", raising=False)
    vaults: list[IdentityVault] = []
    threads = [threading.Thread(target=lambda: vaults.append(IdentityVault.from_env(dev_dir=tmp_path)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sealed = vaults[0].seal({"victims": [{"name": VICTIM}]})
    assert len(vaults) == 8 and all(v.open(sealed) == {"victims": [{"name": VICTIM}]} for v in vaults)


def test_reseal_encrypts_rows_stored_in_clear_and_moves_them_to_the_newest_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner
    from sqlalchemy import insert, select

    from services.casework import bootstrap
    from services.casework.adapters import tables
    from services.cli import cli
    from services.messaging.sqlite import sqlite_engine

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    engine = sqlite_engine(tmp_path / "casework.sqlite")
    bootstrap.migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(tables.case_identities), [
            {"case_id": "legacy", "data": json.dumps({"victims": [{"name": VICTIM}]})},
            {"case_id": "old-key", "data": IdentityVault(old).seal({"witnesses": [{"name": WITNESS}]})}])
    monkeypatch.setenv("HRCASE_IDENTITY_KEY", f"{new},{old}")
    monkeypatch.delenv("HRCASE_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["api", "reseal", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "2 identities record(s)" in result.output, result.output
    with engine.connect() as conn:
        stored = dict(conn.execute(select(tables.case_identities)).all())
    assert VICTIM not in repr(stored)
    assert IdentityVault(new).open(stored["legacy"]) == {"victims": [{"name": VICTIM}]}
    assert IdentityVault(new).open(stored["old-key"]) == {"witnesses": [{"name": WITNESS}]}
