"""The SLA policy file: TOML, checked against a schema whose errors name the offending key."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.errors import from_marshmallow
from schemas.vocabulary import OPEN_STAGES
from services.sla_monitor.domain.policy import Policy, RecordingPolicy, RepeatingPolicy, StallPolicy


class PolicyError(ValueError):
    """The policy file is missing, is not TOML, or breaks a rule; the message names the key."""


def _days(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=0, min_inclusive=False), **kwargs)


class RecordingSchema(Schema):
    warning_days = _days(required=True)
    goal_days = _days(required=True)
    escalate_days = _days(required=True)

    @validates_schema
    def in_order(self, data: dict, **_: object) -> None:
        if data["warning_days"] > data["goal_days"]:
            raise ValidationError("must not be later than goal_days", "warning_days")
        if data["escalate_days"] < data["goal_days"]:
            raise ValidationError("must not be earlier than goal_days", "escalate_days")


class StallSchema(Schema):
    goal_days = fields.Dict(keys=fields.String(validate=validate.OneOf(OPEN_STAGES)), values=_days(),
                            required=True)
    escalate_after_breaches = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1))

    @validates_schema
    def every_open_stage(self, data: dict, **_: object) -> None:
        missing = [stage for stage in OPEN_STAGES if stage not in data["goal_days"]]
        if missing:
            raise ValidationError(f"missing stage(s): {', '.join(missing)}", "goal_days")


class RepeatingSchema(Schema):
    goal_days = _days(required=True)


class PolicySchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    grace_seconds = fields.Float(load_default=0, validate=validate.Range(min=0))
    recording = fields.Nested(RecordingSchema, required=True)
    stall = fields.Nested(StallSchema, required=True)
    review = fields.Nested(RepeatingSchema, required=True)
    closure_approval = fields.Nested(RepeatingSchema, required=True)


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
    try:
        loaded = PolicySchema().load(data)
    except ValidationError as exc:
        raise PolicyError(from_marshmallow(exc.normalized_messages()).reason) from None
    stall = loaded["stall"]
    return Policy(
        version=loaded["version"],
        grace_seconds=loaded["grace_seconds"],
        recording=RecordingPolicy(**loaded["recording"]),
        stall=StallPolicy(dict(stall["goal_days"]), stall["escalate_after_breaches"]),
        review=RepeatingPolicy(**loaded["review"]),
        closure_approval=RepeatingPolicy(**loaded["closure_approval"]),
    )
