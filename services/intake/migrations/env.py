"""Alembic environment of the intake service: its own tables, its own version table."""

from services.intake.adapters.tables import metadata
from services.messaging.migrate import run_env

run_env(metadata)
