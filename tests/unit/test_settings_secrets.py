"""Kafka TLS and SASL settings, and secrets read from files: from the settings file, then HRCASE_* variables."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from services.config import Settings
from services.messaging.kafka_security import KafkaSecurity

SECURITY_VARIABLES = ("HRCASE_CONFIG", "HRCASE_DATABASE_URL", "HRCASE_DATABASE_PASSWORD",
                      "HRCASE_DATABASE_PASSWORD_FILE", "HRCASE_KAFKA_SECURITY_PROTOCOL", "HRCASE_KAFKA_SASL_MECHANISM",
                      "HRCASE_KAFKA_SASL_USERNAME", "HRCASE_KAFKA_SASL_PASSWORD", "HRCASE_KAFKA_SASL_PASSWORD_FILE",
                      "HRCASE_KAFKA_SSL_CAFILE", "HRCASE_KAFKA_SSL_CERTFILE", "HRCASE_KAFKA_SSL_KEYFILE")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECURITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def secret(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_without_security_settings_the_clients_get_no_security_options() -> None:
    settings = Settings.from_env()
    assert settings.kafka_security.protocol == "PLAINTEXT"
    assert settings.kafka_security.client_options() == {}


def test_sasl_ssl_from_the_environment_with_the_password_from_a_secret_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_USERNAME", "hrcase-intake")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_PASSWORD_FILE", str(secret(tmp_path, "kafka-password", "s3cret\n")))
    options = Settings.from_env().kafka_security.client_options()
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "hrcase-intake", "sasl_plain_password": "s3cret"}
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_the_settings_file_names_the_protocol_and_files_and_the_environment_overrides_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password = secret(tmp_path, "pw", "from-file")
    config = secret(tmp_path, "hrcase.toml", f'[kafka.security]\nprotocol = "SASL_PLAINTEXT"\n'
                                             f'sasl_mechanism = "SCRAM-SHA-256"\nsasl_username = "file-user"\n'
                                             f'sasl_password_file = "{password}"\n')
    monkeypatch.setenv("HRCASE_CONFIG", str(config))
    security = Settings.from_env().kafka_security
    assert (security.protocol, security.mechanism, security.username, security.password) == (
        "SASL_PLAINTEXT", "SCRAM-SHA-256", "file-user", "from-file")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_USERNAME", "env-user")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_PASSWORD", "from-env")
    security = Settings.from_env().kafka_security
    assert (security.username, security.password) == ("env-user", "from-env")


def test_the_sasl_password_is_never_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_USERNAME", "u")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_PASSWORD", "do-not-print-me")
    assert "do-not-print-me" not in repr(Settings.from_env())


@pytest.mark.parametrize(("variables", "named"), [
    ({"HRCASE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HRCASE_KAFKA_SASL_USERNAME": "u"}, "HRCASE_KAFKA_SASL_PASSWORD"),
    ({"HRCASE_KAFKA_SECURITY_PROTOCOL": "TLS"}, "HRCASE_KAFKA_SECURITY_PROTOCOL"),
    ({"HRCASE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HRCASE_KAFKA_SASL_MECHANISM": "GSSAPI",
      "HRCASE_KAFKA_SASL_USERNAME": "u", "HRCASE_KAFKA_SASL_PASSWORD": "p"}, "HRCASE_KAFKA_SASL_MECHANISM"),
    ({"HRCASE_KAFKA_SSL_CAFILE": "/ca.pem"}, "HRCASE_KAFKA_SECURITY_PROTOCOL"),
    ({"HRCASE_KAFKA_SECURITY_PROTOCOL": "SSL", "HRCASE_KAFKA_SSL_CERTFILE": "/c.pem"}, "HRCASE_KAFKA_SSL_KEYFILE"),
    ({"HRCASE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HRCASE_KAFKA_SASL_USERNAME": "u",
      "HRCASE_KAFKA_SASL_PASSWORD_FILE": "/nowhere/pw"}, "HRCASE_KAFKA_SASL_PASSWORD_FILE"),
])
def test_incomplete_or_wrong_security_settings_stop_the_start_naming_the_setting(
        variables: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=named):
        Settings.from_env()


def test_an_unknown_key_in_the_security_section_is_an_error(tmp_path: Path) -> None:
    config = secret(tmp_path, "hrcase.toml", '[kafka.security]\nsasl_password = "in the file"\n')
    with pytest.raises(ValueError, match="sasl_password"):
        Settings().with_file(config)


def test_a_client_certificate_is_loaded_into_the_context(tmp_path: Path) -> None:
    from tests.tls import make_certificates

    certs = make_certificates(tmp_path)
    security = KafkaSecurity("SSL", cafile=str(certs.ca), certfile=str(certs.client_cert),
                             keyfile=str(certs.client_key))
    assert isinstance(security.client_options()["ssl_context"], ssl.SSLContext)
    with pytest.raises(ssl.SSLError):
        KafkaSecurity("SSL", cafile=str(certs.ca), certfile=str(certs.client_cert),
                      keyfile=str(certs.ca)).client_options()


def test_the_database_password_from_a_secret_file_goes_into_a_url_without_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_DATABASE_URL", "postgresql+psycopg://hrcase@db.internal:5432/hrcase")
    monkeypatch.setenv("HRCASE_DATABASE_PASSWORD_FILE", str(secret(tmp_path, "db-password", "p@ss:w/rd\n")))
    url = make_url(Settings.from_env().database_url or "")
    assert (url.username, url.password, url.host, url.database) == ("hrcase", "p@ss:w/rd", "db.internal", "hrcase")


def test_a_database_password_given_apart_replaces_the_one_in_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_DATABASE_URL", "postgresql+psycopg://hrcase:old@127.0.0.1/hrcase")
    monkeypatch.setenv("HRCASE_DATABASE_PASSWORD", "new")
    assert make_url(Settings.from_env().database_url or "").password == "new"


def test_the_settings_file_may_name_the_database_password_file(tmp_path: Path) -> None:
    password = secret(tmp_path, "pw", "filed")
    config = secret(tmp_path, "hrcase.toml",
                    f'[database]\nurl = "postgresql+psycopg://hrcase@127.0.0.1/hrcase"\npassword_file = "{password}"\n')
    assert make_url(Settings().with_file(config).database_url or "").password == "filed"


def test_an_unreadable_database_password_file_is_an_error_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_DATABASE_URL", "postgresql+psycopg://hrcase@127.0.0.1/hrcase")
    monkeypatch.setenv("HRCASE_DATABASE_PASSWORD_FILE", "/nowhere/db-password")
    with pytest.raises(ValueError, match="HRCASE_DATABASE_PASSWORD_FILE"):
        Settings.from_env()


def test_no_secret_shows_in_the_settings_when_they_are_printed_or_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRCASE_DATABASE_URL", "postgresql+psycopg://hrcase@db.internal:5432/hrcase")
    monkeypatch.setenv("HRCASE_DATABASE_PASSWORD_FILE", str(secret(tmp_path, "db-password", "db-s3cret\n")))
    monkeypatch.setenv("HRCASE_SMTP_HOST", "smtp.internal")
    monkeypatch.setenv("HRCASE_SMTP_PASSWORD", "smtp-s3cret")
    monkeypatch.setenv("HRCASE_WEBHOOK_SECRET", "hook-s3cret")
    monkeypatch.setenv("HRCASE_KAFKA_SASL_PASSWORD", "kafka-s3cret")
    shown = repr(Settings.from_env())
    assert "smtp.internal" in shown  # the settings are shown, only their secrets are not
    assert not [s for s in ("db-s3cret", "smtp-s3cret", "hook-s3cret", "kafka-s3cret") if s in shown]
