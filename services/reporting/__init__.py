"""Reporting: history import and export, simulated histories, and compliance reports computed from events."""
