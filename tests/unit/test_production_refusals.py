"""Production refuses to guess: no database URL, an SQLite one, or no identity key stops it, naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.config import NotReady, Settings

POSTGRES = "postgresql+psycopg://hrcase@db.example/hrcase"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = Fernet.generate_key().decode()
    monkeypatch.setenv("HRCASE_IDENTITY_KEY", value)
    return value


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HRCASE_IDENTITY_KEY", raising=False)


def test_production_with_postgresql_and_a_key_is_ready(key: str) -> None:
    Settings(database_url=POSTGRES, production=True).require_production_ready()


def test_production_without_a_database_url_is_refused_naming_the_setting(key: str) -> None:
    with pytest.raises(NotReady, match="no database URL: set HRCASE_DATABASE_URL"):
        Settings(production=True).require_production_ready()


def test_production_with_an_sqlite_url_is_refused_naming_the_setting(key: str) -> None:
    with pytest.raises(NotReady, match="an SQLite URL: set HRCASE_DATABASE_URL"):
        Settings(database_url="sqlite:///var/hrcase/casework.sqlite", production=True).require_production_ready()


def test_production_without_an_identity_key_is_refused_naming_the_setting(no_key: None, tmp_path: Path) -> None:
    with pytest.raises(NotReady, match="HRCASE_IDENTITY_KEY is not set"):
        Settings(data_dir=tmp_path, database_url=POSTGRES, production=True).require_production_ready()
    assert not list(tmp_path.iterdir()), "no development key is made"


def test_production_with_an_identity_key_that_is_no_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_IDENTITY_KEY", "CHANGE-ME-hrcase-api-keygen")
    with pytest.raises(NotReady, match="HRCASE_IDENTITY_KEY is not a valid Fernet key"):
        Settings(database_url=POSTGRES, production=True).require_production_ready()


def test_a_command_that_needs_only_the_key_is_not_refused_for_want_of_a_database(key: str) -> None:
    Settings(production=True).require_production_ready(database=False)


def test_a_command_that_needs_neither_is_never_refused(no_key: None) -> None:
    Settings(production=True).require_production_ready(database=False, identity=False)


def test_outside_production_nothing_is_refused(no_key: None) -> None:
    Settings().require_production_ready()
    Settings(database_url="sqlite:///x.sqlite").require_production_ready()


@pytest.mark.parametrize(("url", "embedded"), [(None, True), ("sqlite:///x.sqlite", True), (POSTGRES, False)])
def test_the_layout_is_embedded_unless_the_database_url_names_postgresql(url: str | None, embedded: bool) -> None:
    assert Settings(database_url=url).embedded is embedded
