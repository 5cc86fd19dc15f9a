"""Settings of a runtime: an optional TOML file (HRCASE_CONFIG), then HRCASE_* variables, then defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from schemas.topics import TOPICS, TopicSpec
from services.messaging.kafka_security import MECHANISMS, PROTOCOLS, KafkaSecurity
from services.messaging.postgres import postgres_engine
from services.messaging.sqlite import sqlite_engine
from services.private_files import private_folder
from services.vault import IdentityVault, MissingKey

DEFAULT_OFFICES = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")
SERVICES = ("intake", "casework", "sla_monitor")
DEFAULT_PORTS = {"intake": 6061, "casework": 6062, "sla_monitor": 6063}
DEFAULT_API_PORT = 6080
_T = TypeVar("_T")


class NotReady(ValueError):
    """Production refuses to start on a guess: a setting it needs is missing (the message names it)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "hrcase@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # secrets never reach a log through a repr
    starttls: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class ApiSettings:
    """The casework API and alert delivery; the API binds where the workers' web endpoints do unless told."""

    bind: str = "127.0.0.1"  # loopback unless configured: put a TLS-terminating proxy in front for the network
    port: int = DEFAULT_API_PORT
    smtp: SmtpSettings | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    digest_hour: int = 7  # UTC hour at which daily digests go out
    delivery_interval: float = 5.0
    # The address of the TLS proxy in front (waitress's `trusted_proxy`; "*" trusts any, for an API that only the
    # proxy can reach): its X-Forwarded-For then names the client, whom the access log and sign-in throttle see.
    trusted_proxy: str | None = None
    # The overview's figures are taken at most this often (seconds) and shared by every reader meanwhile, the page
    # saying when they were taken (ADR 0025); 0 takes them at every request.
    overview_max_age: float = 60.0
    # How much of its matches a search reads (ADR 0026): facet counts over the first `search_window` results, the
    # total exact up to `search_exact_up_to` (then "more than"), words matching more ranked among the window found.
    search_window: int = 1000
    search_exact_up_to: int = 10_000


class _Topic(Schema):
    partitions = fields.Integer(validate=validate.Range(min=1, max=1000))
    retention_ms = fields.Integer(validate=validate.Range(min=-1))
    cleanup_policy = fields.String(validate=validate.OneOf(("delete", "compact", "compact,delete")))


class _KafkaSecurity(Schema):
    """How the clients reach the brokers; the SASL password comes from a file or the environment, never this file."""

    class Meta:
        unknown = RAISE

    protocol = fields.String(validate=validate.OneOf(PROTOCOLS))
    sasl_mechanism = fields.String(validate=validate.OneOf(MECHANISMS))
    sasl_username = fields.String()
    sasl_password_file = fields.String()
    ssl_cafile = fields.String()
    ssl_certfile = fields.String()
    ssl_keyfile = fields.String()


class _Kafka(Schema):
    bootstrap = fields.String()
    security = fields.Nested(_KafkaSecurity)
    replication_factor = fields.Integer(validate=validate.Range(min=1, max=10))
    min_insync_replicas = fields.Integer(validate=validate.Range(min=1, max=10))
    topics = fields.Dict(keys=fields.String(validate=validate.OneOf([t.name for t in TOPICS])),
                         values=fields.Nested(_Topic))


class _Web(Schema):
    bind = fields.String()
    ports = fields.Dict(keys=fields.String(validate=validate.OneOf(SERVICES)), values=fields.Integer())


class _Smtp(Schema):
    class Meta:
        unknown = RAISE

    host = fields.String(required=True)
    port = fields.Integer(validate=validate.Range(min=1, max=65535))
    sender = fields.String()
    username = fields.String()
    starttls = fields.Boolean()
    timeout = fields.Float(validate=validate.Range(min=0, min_inclusive=False))


class _Api(Schema):
    """The API's section; its secrets (the SMTP password, the webhook secret) come from the environment only."""

    class Meta:
        unknown = RAISE

    port = fields.Integer(validate=validate.Range(min=0, max=65535))
    digest_hour = fields.Integer(validate=validate.Range(min=0, max=23))
    delivery_interval = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    trusted_proxy = fields.String(validate=validate.Length(min=1, max=255))
    overview_max_age = fields.Float(validate=validate.Range(min=0, max=86_400))
    search_window = fields.Integer(validate=validate.Range(min=1, max=100_000))
    search_exact_up_to = fields.Integer(validate=validate.Range(min=1, max=10_000_000))
    smtp = fields.Nested(_Smtp)


class ConfigFileSchema(Schema):
    """The settings file; unknown keys are errors so that a typo is never silently ignored."""

    class Meta:
        unknown = RAISE

    data_dir = fields.String()
    offices = fields.List(fields.String(validate=validate.Length(min=2, max=40)), validate=validate.Length(min=1))
    sla_policy = fields.String()
    vocabularies = fields.String()
    batch_size = fields.Integer(validate=validate.Range(min=1, max=100_000))
    log_format = fields.String(validate=validate.OneOf(("text", "json")))
    database = fields.Dict(keys=fields.String(validate=validate.OneOf(["url", "password_file"])),
                           values=fields.String())
    kafka = fields.Nested(_Kafka)
    web = fields.Nested(_Web)
    api = fields.Nested(_Api)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var/hrcase")
    offices: tuple[str, ...] = DEFAULT_OFFICES
    policy_path: Path | None = None  # None: the default policy shipped with sla_monitor (which loads it)
    # The vocabulary file every service reads (an admin's added terms); None: the vocabularies shipped in reference/.
    vocabularies_path: Path | None = None
    # Records a worker takes per transaction. Per-batch costs (read-ahead queries, the inbox check, the relay's
    # SELECT and DELETE, a commit) are paid a quarter as often as at 500; light traffic never fills a batch anyway.
    batch_size: int = 2000
    # None: one SQLite file per service in data_dir. Out of the repr: it may hold the password (from a secret file).
    database_url: str | None = field(default=None, repr=False)
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)
    replication_factor: int = 1
    min_insync_replicas: int | None = None  # None: the broker's default (1); with replication 3, set 2
    topic_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    web_bind: str = "127.0.0.1"  # /health and /metrics stay on loopback unless configured otherwise
    web_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    production: bool = False  # HRCASE_ENV=production: an identity key must be configured, none is ever generated
    api: ApiSettings = field(default_factory=ApiSettings)
    log_format: str = "text"  # HRCASE_LOG_FORMAT=json: one JSON object a line, for a log collector
    # Workers migrate their schema as they start; where a separate step does (`hrcase db upgrade`, a Kubernetes
    # Job), HRCASE_MIGRATE=no makes them check it instead, so that a rollout never migrates from many pods.
    migrate: bool = True

    @classmethod
    def from_env(cls, data_dir: Path | str | None = None, policy_path: Path | str | None = None) -> Settings:
        env = os.environ
        settings = cls()
        if env.get("HRCASE_CONFIG"):
            settings = settings.with_file(Path(env["HRCASE_CONFIG"]))
        offices = tuple(o.strip() for o in env.get("HRCASE_OFFICES", "").split(",") if o.strip())
        policy = policy_path or env.get("HRCASE_SLA_POLICY")
        web_bind = env.get("HRCASE_WEB_BIND") or settings.web_bind
        return replace(
            settings,
            data_dir=Path(data_dir or env.get("HRCASE_DATA_DIR") or settings.data_dir),
            offices=offices or settings.offices,
            policy_path=Path(policy) if policy else settings.policy_path,
            vocabularies_path=(Path(env["HRCASE_VOCABULARIES"]) if env.get("HRCASE_VOCABULARIES")
                               else settings.vocabularies_path),
            batch_size=int(env.get("HRCASE_BATCH_SIZE", settings.batch_size)),
            database_url=_database_url_from_env(env, settings.database_url),
            kafka_bootstrap=env.get("HRCASE_KAFKA_BOOTSTRAP") or settings.kafka_bootstrap,
            kafka_security=_kafka_security_from_env(env, settings.kafka_security).check(),
            replication_factor=_count(env, "HRCASE_KAFKA_REPLICATION_FACTOR", settings.replication_factor),
            min_insync_replicas=_count(env, "HRCASE_KAFKA_MIN_INSYNC_REPLICAS", settings.min_insync_replicas),
            migrate=_yes(env, "HRCASE_MIGRATE", settings.migrate),
            web_bind=web_bind,
            production=env.get("HRCASE_ENV", "").lower() == "production",
            api=_api_from_env(env, settings.api, web_bind),
            log_format=(env.get("HRCASE_LOG_FORMAT") or settings.log_format).lower(),
        )

    def with_file(self, path: Path) -> Settings:
        try:
            data = ConfigFileSchema().load(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read settings file {path}: {exc}") from None
        except ValidationError as exc:
            raise ValueError(f"settings file {path}: {exc.normalized_messages()}") from None
        kafka, web, api = data.get("kafka", {}), data.get("web", {}), data.get("api", {})
        smtp = SmtpSettings(**api.pop("smtp")) if "smtp" in api else self.api.smtp
        return replace(
            self,
            data_dir=Path(data.get("data_dir", self.data_dir)),
            offices=tuple(data.get("offices", self.offices)),
            policy_path=Path(data["sla_policy"]) if "sla_policy" in data else self.policy_path,
            vocabularies_path=Path(data["vocabularies"]) if "vocabularies" in data else self.vocabularies_path,
            batch_size=data.get("batch_size", self.batch_size),
            database_url=_database_url_from_file(data.get("database", {}), self.database_url),
            kafka_bootstrap=kafka.get("bootstrap", self.kafka_bootstrap),
            kafka_security=_kafka_security_from_file(kafka.get("security", {}), self.kafka_security),
            replication_factor=kafka.get("replication_factor", self.replication_factor),
            min_insync_replicas=kafka.get("min_insync_replicas", self.min_insync_replicas),
            topic_overrides=kafka.get("topics", {}),
            web_bind=web.get("bind", self.web_bind),
            web_ports={**self.web_ports, **web.get("ports", {})},
            api=replace(self.api, bind=web.get("bind", self.api.bind), smtp=smtp, **api),
            log_format=data.get("log_format", self.log_format),
        )

    def vault(self) -> IdentityVault:
        """The identity key of this installation's processes: configured (HRCASE_IDENTITY_KEY), or outside production
        a development key kept in the data dir. Workers on several machines must share one configured key."""
        return IdentityVault.from_env(dev_dir=None if self.production else self.data_dir)

    # ---- layouts and production's refusals (issue 18)
    @property
    def embedded(self) -> bool:
        """The embedded layout (SQLite files in data_dir, the embedded log) rather than PostgreSQL and Kafka."""
        return not self.database_url or self.database_url.startswith("sqlite")

    def require_production_ready(self, database: bool = True, identity: bool = True) -> None:
        """In production (HRCASE_ENV=production) refuse to guess: a PostgreSQL database and a configured identity key,
        or NotReady naming the setting. Pure: call it before anything joins a group or touches a file."""
        if not self.production:
            return
        if database and self.embedded:
            given = "an SQLite URL" if self.database_url else "no database URL"
            raise NotReady(f"HRCASE_ENV=production with {given}: set HRCASE_DATABASE_URL (or [database] url in "
                           "HRCASE_CONFIG) to the PostgreSQL database; production never keeps its state in local "
                           "SQLite files")
        if identity:
            try:
                IdentityVault.from_env(dev_dir=None)
            except MissingKey as exc:
                raise NotReady(f"HRCASE_ENV=production: {exc}") from None

    def topics(self) -> tuple[TopicSpec, ...]:
        return tuple(replace(spec, **self.topic_overrides.get(spec.name, {})) for spec in TOPICS)

    def database(self, service: str) -> tuple[Engine, str | None]:
        """The service's engine and its PostgreSQL schema (None on SQLite, where each has its own file).

        The engine given back already maps the service's tables into its schema; migrate with the schema.
        """
        if not self.database_url or self.database_url.startswith("sqlite"):
            private_folder(self.data_dir)
            return sqlite_engine(self.data_dir / f"{service}.sqlite"), None
        engine = postgres_engine(self.database_url)
        return engine.execution_options(schema_translate_map={None: service}), service


def _count(env: Mapping[str, str], name: str, default: _T) -> int | _T:
    """A whole number of brokers from the environment (1 to 10), or `default` when it is not set."""
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 10:
        raise ValueError(f"{name}={value!r}: expected a number of brokers from 1 to 10")
    return int(value)


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number above zero from the environment, or `default` when it is not set."""
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a whole number above zero")
    return int(value)


def _yes(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("yes", "no", "true", "false", "1", "0"):
        raise ValueError(f"{name}={value!r}: expected yes or no")
    return value in ("yes", "true", "1")


def _api_from_env(env: Mapping[str, str], api: ApiSettings, web_bind: str) -> ApiSettings:
    """The API's section with the environment's HRCASE_* variables over it; it binds where the web endpoints do."""
    smtp = api.smtp
    host = env.get("HRCASE_SMTP_HOST") or (smtp.host if smtp else None)
    if host:
        base = smtp or SmtpSettings(host)
        smtp = SmtpSettings(
            host=host, port=int(env.get("HRCASE_SMTP_PORT") or base.port),
            sender=env.get("HRCASE_SMTP_FROM") or base.sender, username=env.get("HRCASE_SMTP_USER") or base.username,
            password=env.get("HRCASE_SMTP_PASSWORD") or base.password,
            starttls=env["HRCASE_SMTP_STARTTLS"] == "1" if "HRCASE_SMTP_STARTTLS" in env else base.starttls,
            timeout=base.timeout)
    return replace(
        api, bind=env.get("HRCASE_API_BIND") or web_bind, port=int(env.get("HRCASE_API_PORT") or api.port),
        smtp=smtp, webhook_secret=env.get("HRCASE_WEBHOOK_SECRET") or api.webhook_secret,
        digest_hour=int(env.get("HRCASE_DIGEST_HOUR") or api.digest_hour),
        delivery_interval=float(env.get("HRCASE_DELIVERY_INTERVAL") or api.delivery_interval),
        trusted_proxy=env.get("HRCASE_API_TRUSTED_PROXY") or api.trusted_proxy,
        overview_max_age=_seconds(env, "HRCASE_OVERVIEW_MAX_AGE", api.overview_max_age),
        search_window=_positive(env, "HRCASE_SEARCH_WINDOW", api.search_window),
        search_exact_up_to=_positive(env, "HRCASE_SEARCH_EXACT_UP_TO", api.search_exact_up_to),
    )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds from 0 to a day from the environment, or `default` when it is not set."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise ValueError(f"{name}={value!r}: expected a number of seconds from 0 to 86400")
    return seconds


def read_secret(path: str, setting: str) -> str:
    """A secret kept in a file (a Kubernetes secret mount, a credentials directory): its text less the line end."""
    try:
        return Path(path).read_text().rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def _with_password(url: str | None, password: str | None) -> str | None:
    """The URL with the password put in (a URL without one, and the password from a secret)."""
    if url is None or password is None:
        return url
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _database_url_from_file(database: Mapping[str, str], url: str | None) -> str | None:
    password_file = database.get("password_file")
    password = read_secret(password_file, "[database] password_file") if password_file else None
    return _with_password(database.get("url", url), password)


def _database_url_from_env(env: Mapping[str, str], url: str | None) -> str | None:
    """HRCASE_DATABASE_URL over the file's URL; the password, when given apart, over the one in the URL."""
    url = env.get("HRCASE_DATABASE_URL") or url
    if env.get("HRCASE_DATABASE_PASSWORD_FILE"):
        return _with_password(url, read_secret(env["HRCASE_DATABASE_PASSWORD_FILE"], "HRCASE_DATABASE_PASSWORD_FILE"))
    return _with_password(url, env.get("HRCASE_DATABASE_PASSWORD") or None)


def _kafka_security_from_file(section: Mapping[str, str], base: KafkaSecurity) -> KafkaSecurity:
    password_file = section.get("sasl_password_file")
    return replace(
        base, protocol=section.get("protocol", base.protocol), mechanism=section.get("sasl_mechanism", base.mechanism),
        username=section.get("sasl_username", base.username),
        password=read_secret(password_file, "[kafka.security] sasl_password_file") if password_file else base.password,
        cafile=section.get("ssl_cafile", base.cafile), certfile=section.get("ssl_certfile", base.certfile),
        keyfile=section.get("ssl_keyfile", base.keyfile))


def _kafka_security_from_env(env: Mapping[str, str], base: KafkaSecurity) -> KafkaSecurity:
    """The HRCASE_KAFKA_* security variables over the file's [kafka.security] section."""
    password = env.get("HRCASE_KAFKA_SASL_PASSWORD") or base.password
    if env.get("HRCASE_KAFKA_SASL_PASSWORD_FILE"):
        password = read_secret(env["HRCASE_KAFKA_SASL_PASSWORD_FILE"], "HRCASE_KAFKA_SASL_PASSWORD_FILE")
    return replace(
        base, protocol=(env.get("HRCASE_KAFKA_SECURITY_PROTOCOL") or base.protocol).upper(),
        mechanism=(env.get("HRCASE_KAFKA_SASL_MECHANISM") or base.mechanism).upper(),
        username=env.get("HRCASE_KAFKA_SASL_USERNAME") or base.username, password=password,
        cafile=env.get("HRCASE_KAFKA_SSL_CAFILE") or base.cafile,
        certfile=env.get("HRCASE_KAFKA_SSL_CERTFILE") or base.certfile,
        keyfile=env.get("HRCASE_KAFKA_SSL_KEYFILE") or base.keyfile)
