"""Importing a case history from CSV: rows checked as a whole, then replayed through the services' handlers."""
