"""Intake's pure rules: validation, incident keys, content hashes and de-duplication (no I/O, no clock)."""
