"""Settings: a TOML file, then HRCASE_* variables; typos in the file are errors, never ignored."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.casework.api.context import ApiContext
from services.config import DEFAULT_OFFICES, ApiSettings, Settings, SmtpSettings
from services.intake.handlers import IntakeHandler
from services.vault import IdentityVault, MissingKey


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


API_VARIABLES = ("HRCASE_API_PORT", "HRCASE_API_BIND", "HRCASE_WEB_BIND", "HRCASE_SMTP_HOST", "HRCASE_SMTP_PORT",
                 "HRCASE_SMTP_FROM", "HRCASE_SMTP_USER", "HRCASE_SMTP_PASSWORD", "HRCASE_SMTP_STARTTLS",
                 "HRCASE_WEBHOOK_SECRET", "HRCASE_DIGEST_HOUR", "HRCASE_DELIVERY_INTERVAL", "HRCASE_CONFIG",
                 "HRCASE_ENV", "HRCASE_IDENTITY_KEY")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in API_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_only_hrcase_env_production_makes_a_production_installation(env: pytest.MonkeyPatch) -> None:
    assert not Settings.from_env().production
    env.setenv("HRCASE_ENV", "staging")
    assert not Settings.from_env().production
    env.setenv("HRCASE_ENV", "Production")
    assert Settings.from_env().production


def test_outside_production_the_vault_keeps_a_development_key_in_the_data_dir(env: pytest.MonkeyPatch,
                                                                             tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    sealed = settings.vault().seal({"victims": [{"name": "Invented Person"}]})
    assert (tmp_path / "identity.key").exists()
    assert settings.vault().open(sealed) == {"victims": [{"name": "Invented Person"}]}


def test_in_production_the_vault_is_the_configured_key_and_never_a_generated_one(env: pytest.MonkeyPatch,
                                                                                tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, production=True)
    with pytest.raises(MissingKey, match="HRCASE_IDENTITY_KEY is not set"):
        settings.vault()
    assert not (tmp_path / "identity.key").exists()
    key = Fernet.generate_key().decode()
    env.setenv("HRCASE_IDENTITY_KEY", key)
    assert IdentityVault(key).open(settings.vault().seal({"sources": []})) == {"sources": []}


def test_the_api_section_comes_from_the_environment(env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().api == ApiSettings()
    for name, value in {"HRCASE_API_PORT": "7080", "HRCASE_SMTP_HOST": "mail.example", "HRCASE_SMTP_PORT": "587",
                        "HRCASE_SMTP_FROM": "alerts@example", "HRCASE_SMTP_USER": "u", "HRCASE_SMTP_PASSWORD": "p",
                        "HRCASE_SMTP_STARTTLS": "1", "HRCASE_WEBHOOK_SECRET": "s", "HRCASE_DIGEST_HOUR": "6",
                        "HRCASE_DELIVERY_INTERVAL": "0.5"}.items():
        env.setenv(name, value)
    assert Settings.from_env().api == ApiSettings(
        port=7080, smtp=SmtpSettings("mail.example", 587, "alerts@example", "u", "p", starttls=True),
        webhook_secret="s", digest_hour=6, delivery_interval=0.5)


def test_the_api_binds_where_the_web_endpoints_do_unless_told_otherwise(env: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text('[web]\nbind = "10.0.0.5"\n')
    assert Settings().with_file(config).api.bind == "10.0.0.5"
    env.setenv("HRCASE_CONFIG", str(config))
    assert Settings.from_env().api.bind == "10.0.0.5"
    env.setenv("HRCASE_WEB_BIND", "10.0.0.6")
    assert Settings.from_env().api.bind == "10.0.0.6"
    env.setenv("HRCASE_API_BIND", "127.0.0.1")
    assert (Settings.from_env().api.bind, Settings.from_env().web_bind) == ("127.0.0.1", "10.0.0.6")


def test_the_api_section_of_the_settings_file_is_read_and_the_environment_overrides_it(env: pytest.MonkeyPatch,
                                                                                        tmp_path: Path) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text('[api]\nport = 7000\ndigest_hour = 5\n[api.smtp]\nhost = "mail.example"\nstarttls = true\n')
    api = Settings().with_file(config).api
    assert (api.port, api.digest_hour, api.smtp) == (7000, 5, SmtpSettings("mail.example", starttls=True))
    env.setenv("HRCASE_CONFIG", str(config))
    env.setenv("HRCASE_SMTP_PASSWORD", "from-the-environment")
    env.setenv("HRCASE_API_PORT", "7001")
    api = Settings.from_env().api
    assert (api.port, api.digest_hour) == (7001, 5)
    assert api.smtp == SmtpSettings("mail.example", password="from-the-environment", starttls=True)


def test_a_secret_in_the_settings_file_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text('[api.smtp]\nhost = "mail.example"\npassword = "secret"\n')
    with pytest.raises(ValueError, match="password"):
        Settings().with_file(config)


def test_the_default_offices_are_the_settings_own_everywhere() -> None:
    assert Settings().offices is DEFAULT_OFFICES
    assert next(f for f in fields(ApiContext) if f.name == "offices").default is DEFAULT_OFFICES
    assert inspect.signature(IntakeHandler).parameters["offices"].default is DEFAULT_OFFICES


def test_the_overviews_figures_age_comes_from_the_file_then_the_environment(env: pytest.MonkeyPatch,
                                                                            tmp_path: Path) -> None:
    assert ApiSettings().overview_max_age == 60.0
    config = tmp_path / "hrcase.toml"
    config.write_text('[api]\noverview_max_age = 300\n')
    assert Settings().with_file(config).api.overview_max_age == 300.0
    env.setenv("HRCASE_CONFIG", str(config))
    env.setenv("HRCASE_OVERVIEW_MAX_AGE", "0")
    assert Settings.from_env().api.overview_max_age == 0.0
    for wrong in ("-1", "soon", "nan", "90000"):
        env.setenv("HRCASE_OVERVIEW_MAX_AGE", wrong)
        with pytest.raises(ValueError, match="HRCASE_OVERVIEW_MAX_AGE"):
            Settings.from_env()
    config.write_text('[api]\noverview_max_age = -5\n')
    with pytest.raises(ValueError, match="overview_max_age"):
        Settings().with_file(config)


def test_the_search_bounds_come_from_the_file_then_the_environment(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hrcase.toml"
    config.write_text("[api]\nsearch_window = 50\nsearch_exact_up_to = 500\n")
    monkeypatch.setenv("HRCASE_CONFIG", str(config))
    assert (Settings.from_env().api.search_window, Settings.from_env().api.search_exact_up_to) == (50, 500)
    monkeypatch.setenv("HRCASE_SEARCH_EXACT_UP_TO", "2000")
    assert Settings.from_env().api.search_exact_up_to == 2000
    monkeypatch.setenv("HRCASE_SEARCH_WINDOW", "0")
    with pytest.raises(ValueError, match="HRCASE_SEARCH_WINDOW"):
        Settings.from_env()
