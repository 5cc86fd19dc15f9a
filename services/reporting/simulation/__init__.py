"""Synthetic case histories for a configurable mission, written in the import format."""
