"""Alembic environment of the sla_monitor service: its own tables, its own version table."""

from services.messaging.migrate import run_env
from services.sla_monitor.adapters.tables import metadata

run_env(metadata)
