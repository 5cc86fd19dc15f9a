"""The SLA policy file: TOML, checked against a schema whose errors name the offending key."""

from __future__ import annotations

import logging
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.errors import from_marshmallow
from schemas.vocabulary import OPEN_STAGES
from services.sla_monitor.domain.policy import Policy, RecordingPolicy, RepeatingPolicy, StallPolicy
from services.sla_monitor.domain.registry import CLOCKS

log = logging.getLogger(__name__)


class PolicyError(ValueError):
    """The policy file is missing, is not TOML, or breaks a rule; the message names the key."""


def _days(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=0, min_inclusive=False), **kwargs)


class SectionSchema(Schema):
    """A clock's section: loaded into its policy class, whose own `problems()` name the keys that break a rule."""

    section: type

    @validates_schema
    def rules(self, data: dict, **_: object) -> None:
        for key, message in self.section(**data).problems():
            raise ValidationError(message, key)


class RecordingSchema(SectionSchema):
    section = RecordingPolicy
    warning_days = _days(required=True)
    goal_days = _days(required=True)
    escalate_days = _days(required=True)


class StallSchema(SectionSchema):
    section = StallPolicy
    goal_days = fields.Dict(keys=fields.String(validate=validate.OneOf(OPEN_STAGES)), values=_days(),
                            required=True)
    escalate_after_breaches = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1))


class RepeatingSchema(SectionSchema):
    section = RepeatingPolicy
    goal_days = _days(required=True)


# The file's section of each kind of policy (a new clock of a new kind adds its schema here).
SECTION_SCHEMAS: dict[type, type[SectionSchema]] = {RecordingPolicy: RecordingSchema, StallPolicy: StallSchema,
                                                    RepeatingPolicy: RepeatingSchema}
PolicySchema = Schema.from_dict({
    "version": fields.String(required=True, validate=validate.Length(min=1, max=40)),
    "grace_seconds": fields.Float(load_default=0, validate=validate.Range(min=0)),
    **{name: fields.Nested(SECTION_SCHEMAS[type(spec.default)]) for name, spec in CLOCKS.items()},
}, name="PolicySchema")


def default_policy_path() -> Path:
    return Path(str(resources.files("services.sla_monitor") / "default_policy.toml"))


def load(path: Path | str | None = None) -> Policy:
    """Read and check the policy file (the shipped default when no path is given)."""
    source = Path(path) if path is not None else default_policy_path()
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"policy file {source}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {source}: not valid TOML ({exc})") from None
    try:
        return parse(data)
    except PolicyError as exc:
        raise PolicyError(f"policy file {source}: {exc}") from None


def parse(data: dict[str, Any]) -> Policy:
    """The policy in `data`; a clock it has no section for (one added after the file was written) keeps the
    registry's defaults, and a notice says so."""
    try:
        loaded = PolicySchema().load(data)
    except ValidationError as exc:
        raise PolicyError(from_marshmallow(exc.normalized_messages()).reason) from None
    for name in CLOCKS:
        if name not in loaded:
            log.warning("SLA policy %s has no [%s] section: clock %s runs with its defaults (%s)",
                        loaded["version"], name, name, CLOCKS[name].default)
    sections = {name: type(CLOCKS[name].default)(**loaded[name]) for name in CLOCKS if name in loaded}
    return Policy(version=loaded["version"], grace_seconds=loaded["grace_seconds"], sections=sections)
