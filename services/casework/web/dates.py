"""Dates and times typed in one text field: the reader's own format (JJ/MM/AAAA HH:MM in French) or ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

# What each language writes and shows; a browser's date widget would impose its own locale and seven tab stops.
SHOWN = {"en": ("%Y-%m-%d", "YYYY-MM-DD"), "fr": ("%d/%m/%Y", "JJ/MM/AAAA")}
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})")
_TIME = re.compile(r"(?P<h>\d{1,2})(?:[:hH](?P<min>\d{2})?)(?::(?P<s>\d{2})(?:\.\d+)?)?")
_ZONE = re.compile(r"(?:Z|z|UTC|[+-]\d{2}:?\d{2})$")


def _language(locale: str) -> str:
    return locale.split("_")[0] if locale.split("_")[0] in SHOWN else "en"


def placeholder(locale: str, with_time: bool = True) -> str:
    """The pattern to show in an empty field, e.g. JJ/MM/AAAA HH:MM."""
    shown = SHOWN[_language(locale)][1]
    return f"{shown} HH:MM" if with_time else shown


def show(value: datetime | date | None, locale: str, with_time: bool = True) -> str:
    """A value as the reader would type it back (times in UTC)."""
    if value is None:
        return ""
    pattern = SHOWN[_language(locale)][0]
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        return value.strftime(f"{pattern} %H:%M" if with_time else pattern)
    return value.strftime(pattern)


def _day(text: str, locale: str) -> tuple[date, str]:
    found = _ISO_DATE.match(text)
    if found is None and _language(locale) == "fr":  # day first: never in English, where 06/12 reads as June
        found = _DAY_FIRST.match(text)
    if found is None:
        raise ValueError(text)
    year = int(found["y"]) + (2000 if len(found["y"]) == 2 else 0)
    return date(year, int(found["m"]), int(found["d"])), text[found.end():]


def parse_date(text: str, locale: str) -> date:
    """A day typed as the reader's format or ISO; ValueError when it is not one."""
    day, rest = _day(text.strip(), locale)
    if rest.strip():
        raise ValueError(text)
    return day


def parse_datetime(text: str, locale: str) -> datetime:
    """A date and a time in UTC (a written offset is honoured), typed as the reader's format or ISO; ValueError."""
    day, rest = _day(text.strip(), locale)
    rest = rest.lstrip(" T,")
    zone = _ZONE.search(rest)
    clock = rest[:zone.start()].strip() if zone else rest.strip()
    found = _TIME.fullmatch(clock)
    if found is None:
        raise ValueError(text)
    at = datetime.combine(day, time(int(found["h"]), int(found["min"] or 0), int(found["s"] or 0)))
    if zone is None or zone.group() in ("Z", "z", "UTC"):
        return at.replace(tzinfo=UTC)
    return datetime.fromisoformat(f"{at:%Y-%m-%dT%H:%M:%S}{zone.group()}").astimezone(UTC)
