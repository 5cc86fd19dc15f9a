"""Dates typed in one field: the reader's format (day first in French, never in English) or ISO 8601."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.casework.web.dates import parse_date, parse_datetime, placeholder, show

AT = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["02/03/2026 21:30", "2/3/2026 21h30", "02.03.26 21:30", "2-3-2026 21H30",
                                   "2026-03-02T21:30", "2026-03-02 21:30:00", "2026-03-02T22:30+01:00",
                                   "2026-03-02T21:30Z", " 02/03/2026   21:30 "])
def test_french_accepts_day_first_and_iso(typed: str) -> None:
    assert parse_datetime(typed, "fr") == AT


@pytest.mark.parametrize("typed", ["2026-03-02 21:30", "2026-03-02T21:30:00+00:00", "2026-3-2 21:30"])
def test_english_accepts_iso(typed: str) -> None:
    assert parse_datetime(typed, "en") == AT


@pytest.mark.parametrize("locale,typed", [
    ("en", "02/03/2026 21:30"),  # day or month first? English readers may mean 3 February: refused, not guessed
    ("fr", "03/13/2026 08:00"), ("fr", "02/03/2026"), ("fr", "02/03/2026 8:00 PM"), ("fr", "02/03/2026 25:00"),
    ("fr", "31/02/2026 08:00"), ("fr", ""), ("fr", "hier"), ("en", "2026-03-02 21:30 extra"),
])
def test_what_is_not_a_date_and_time_is_refused(locale: str, typed: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(typed, locale)


def test_a_day_alone_and_what_each_language_shows() -> None:
    assert parse_date("25/12/2026", "fr") == parse_date("2026-12-25", "fr") == date(2026, 12, 25)
    with pytest.raises(ValueError):
        parse_date("25/12/2026 10:00", "fr")
    assert placeholder("fr") == "JJ/MM/AAAA HH:MM" and placeholder("en", with_time=False) == "YYYY-MM-DD"
    assert placeholder("fr_FR", with_time=False) == "JJ/MM/AAAA" and placeholder("de") == "YYYY-MM-DD HH:MM"
    assert show(AT, "fr") == "02/03/2026 21:30" and show(AT, "en") == "2026-03-02 21:30"
    assert show(date(2026, 12, 25), "fr") == "25/12/2026" and show(None, "fr") == ""
    for locale in ("fr", "en"):  # what is shown reads back as the same instant
        assert parse_datetime(show(AT, locale), locale) == AT
