"""Settings of a runtime: an optional TOML file (HRCASE_CONFIG), then HRCASE_* variables, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Engine

from schemas.topics import TOPICS, TopicSpec
from services.messaging.postgres import postgres_engine
from services.messaging.sqlite import sqlite_engine

DEFAULT_OFFICES = ("Bamako", "Mopti", "Gao", "Timbuktu", "Kidal", "Menaka")
SERVICES = ("intake", "casework", "sla_monitor")
DEFAULT_PORTS = {"intake": 6061, "casework": 6062, "sla_monitor": 6063}


class _Topic(Schema):
    partitions = fields.Integer(validate=validate.Range(min=1, max=1000))
    retention_ms = fields.Integer(validate=validate.Range(min=-1))
    cleanup_policy = fields.String(validate=validate.OneOf(("delete", "compact", "compact,delete")))


class _Kafka(Schema):
    bootstrap = fields.String()
    replication_factor = fields.Integer(validate=validate.Range(min=1, max=10))
    topics = fields.Dict(keys=fields.String(validate=validate.OneOf([t.name for t in TOPICS])),
                         values=fields.Nested(_Topic))


class _Web(Schema):
    bind = fields.String()
    ports = fields.Dict(keys=fields.String(validate=validate.OneOf(SERVICES)), values=fields.Integer())


class ConfigFileSchema(Schema):
    """The settings file; unknown keys are errors so that a typo is never silently ignored."""

    class Meta:
        unknown = RAISE

    data_dir = fields.String()
    offices = fields.List(fields.String(validate=validate.Length(min=2, max=40)), validate=validate.Length(min=1))
    sla_policy = fields.String()
    batch_size = fields.Integer(validate=validate.Range(min=1, max=100_000))
    database = fields.Dict(keys=fields.String(validate=validate.OneOf(["url"])), values=fields.String())
    kafka = fields.Nested(_Kafka)
    web = fields.Nested(_Web)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var/hrcase")
    offices: tuple[str, ...] = DEFAULT_OFFICES
    policy_path: Path | None = None  # None: the default policy shipped with sla_monitor (which loads it)
    # Records a worker takes per transaction. Per-batch costs (read-ahead queries, the inbox check, the relay's
    # SELECT and DELETE, a commit) are paid a quarter as often as at 500; light traffic never fills a batch anyway.
    batch_size: int = 2000
    database_url: str | None = None  # None: one SQLite file per service in data_dir
    kafka_bootstrap: str = "127.0.0.1:9092"
    replication_factor: int = 1
    topic_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    web_bind: str = "127.0.0.1"  # /health and /metrics stay on loopback unless configured otherwise
    web_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))

    @classmethod
    def from_env(cls, data_dir: Path | str | None = None, policy_path: Path | str | None = None) -> Settings:
        env = os.environ
        settings = cls()
        if env.get("HRCASE_CONFIG"):
            settings = settings.with_file(Path(env["HRCASE_CONFIG"]))
        offices = tuple(o.strip() for o in env.get("HRCASE_OFFICES", "").split(",") if o.strip())
        policy = policy_path or env.get("HRCASE_SLA_POLICY")
        return replace(
            settings,
            data_dir=Path(data_dir or env.get("HRCASE_DATA_DIR") or settings.data_dir),
            offices=offices or settings.offices,
            policy_path=Path(policy) if policy else settings.policy_path,
            batch_size=int(env.get("HRCASE_BATCH_SIZE", settings.batch_size)),
            database_url=env.get("HRCASE_DATABASE_URL") or settings.database_url,
            kafka_bootstrap=env.get("HRCASE_KAFKA_BOOTSTRAP") or settings.kafka_bootstrap,
            web_bind=env.get("HRCASE_WEB_BIND") or settings.web_bind,
        )

    def with_file(self, path: Path) -> Settings:
        try:
            data = ConfigFileSchema().load(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read settings file {path}: {exc}") from None
        except ValidationError as exc:
            raise ValueError(f"settings file {path}: {exc.normalized_messages()}") from None
        kafka, web = data.get("kafka", {}), data.get("web", {})
        return replace(
            self,
            data_dir=Path(data.get("data_dir", self.data_dir)),
            offices=tuple(data.get("offices", self.offices)),
            policy_path=Path(data["sla_policy"]) if "sla_policy" in data else self.policy_path,
            batch_size=data.get("batch_size", self.batch_size),
            database_url=data.get("database", {}).get("url", self.database_url),
            kafka_bootstrap=kafka.get("bootstrap", self.kafka_bootstrap),
            replication_factor=kafka.get("replication_factor", self.replication_factor),
            topic_overrides=kafka.get("topics", {}),
            web_bind=web.get("bind", self.web_bind),
            web_ports={**self.web_ports, **web.get("ports", {})},
        )

    def topics(self) -> tuple[TopicSpec, ...]:
        return tuple(replace(spec, **self.topic_overrides.get(spec.name, {})) for spec in TOPICS)

    def database(self, service: str) -> tuple[Engine, str | None]:
        """The service's engine and its PostgreSQL schema (None on SQLite, where each has its own file).

        The engine given back already maps the service's tables into its schema; migrate with the schema.
        """
        if not self.database_url or self.database_url.startswith("sqlite"):
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return sqlite_engine(self.data_dir / f"{service}.sqlite"), None
        engine = postgres_engine(self.database_url)
        return engine.execution_options(schema_translate_map={None: service}), service
