"""The officers a list's filter offers: a choice of names while they are few, a username typed when they are many."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.casework.adapters import repository as repo
from services.casework.api.request import context

# Beyond this a drop-down is a scroll no one reads, and rendering it was most of a list page's time (2,400 officers
# at a million cases: 60 ms a page): the filter becomes a username to type.
CHOICES = 150


def officer_choices(offices: Sequence[str]) -> list[tuple[str, str]] | None:
    """(username, name) of the offices' officers, or None when there are more than CHOICES of them."""
    found = context().casework.read(partial(repo.officers_of, offices=offices, limit=CHOICES + 1))
    return None if len(found) > CHOICES else found
