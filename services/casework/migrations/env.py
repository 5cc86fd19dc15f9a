"""Alembic environment of the casework service: its own tables, its own version table."""

from services.casework.adapters.tables import metadata
from services.messaging.migrate import run_env

run_env(metadata)
