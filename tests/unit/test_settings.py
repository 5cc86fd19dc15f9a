"""Settings: a TOML file, then HRCASE_* variables; typos in the file are errors, never ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config import Settings


def test_the_example_settings_file_loads_and_sets_every_section() -> None:
    settings = Settings().with_file(Path("deploy/config/hrcase.example.toml"))
    assert settings.database_url and settings.database_url.startswith("postgresql+psycopg://")
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.web_ports == {"intake": 6061, "casework": 6062, "sla_monitor": 6063}
    assert {t.name: t.partitions for t in settings.topics()}["case-events"] == 6


def test_environment_variables_override_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text('offices = ["Gao"]\n[kafka]\nbootstrap = "file:1"\n')
    monkeypatch.setenv("HRCASE_CONFIG", str(config))
    monkeypatch.setenv("HRCASE_KAFKA_BOOTSTRAP", "env:2")
    settings = Settings.from_env()
    assert settings.offices == ("Gao",)
    assert settings.kafka_bootstrap == "env:2"


def test_a_misspelt_key_in_the_settings_file_is_an_error_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text('ofices = ["Gao"]\n')
    with pytest.raises(ValueError, match="ofices"):
        Settings().with_file(config)


def test_topic_overrides_change_only_the_named_topic(tmp_path: Path) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text('[kafka.topics.incidents]\npartitions = 24\ncleanup_policy = "compact"\n')
    topics = {t.name: t for t in Settings().with_file(config).topics()}
    assert (topics["incidents"].partitions, topics["incidents"].cleanup_policy) == (24, "compact")
    assert topics["case-events"].partitions == 6


def test_without_a_database_url_each_service_gets_its_own_sqlite_file(tmp_path: Path) -> None:
    engine, schema = Settings(data_dir=tmp_path).database("casework")
    assert schema is None
    assert engine.url.database == str(tmp_path / "casework.sqlite")
