"""Alembic environment of the sla_monitor service: its own tables, its own version table."""

from services.sla_monitor.adapters.tables import metadata
from services.messaging.migrate import run_env

run_env(metadata)
