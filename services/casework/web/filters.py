"""Jinja filters: labels, times in UTC, time left on a clock, numbers and shares."""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Any

from babel import numbers
from flask import Flask
from flask_babel import format_decimal, format_percent
from markupsafe import Markup, escape

from services.casework.web import dates
from services.casework.web.forms import field_label, locale, refusal
from services.casework.web.i18n import gettext as _
from services.casework.web.i18n import language
from services.casework.web.labels import label


def when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d %H:%M}" if with_time else f"{value:%Y-%m-%d}"


def duration(seconds: int | float) -> str:
    """e.g. "3 d 4 h", "5 h 10 min" (short units, the same in every language we serve)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    return _("%(h)s h %(m)s min", h=hours, m=rest // 60)


def time_left(seconds: int | float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0:
        return _("overdue by %(time)s", time=duration(seconds))
    return _("%(time)s left", time=duration(seconds))


def number(value: Any, digits: int = 1) -> str:
    """An int grouped in thousands, anything else with `digits` decimals, as babel's `format_decimal` writes them in
    the reader's language (the overview shows some 360 numbers; babel parsed its pattern for each)."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or value == math.inf:
        return _babel_number(value, digits)  # its locale's minus sign, NaN, and whatever else is not a plain number
    group, decimal = _symbols(language())
    text = f"{value:,d}" if isinstance(value, int) else f"{round(float(value), digits):,.{digits}f}"
    return text.translate({ord(","): group, ord("."): decimal})


@functools.lru_cache(maxsize=16)
def _symbols(language: str) -> tuple[str, str]:
    return numbers.get_group_symbol(language), numbers.get_decimal_symbol(language)


def _babel_number(value: Any, digits: int) -> str:
    if isinstance(value, int):
        return format_decimal(value)
    return format_decimal(round(float(value), digits), format="#,##0." + "0" * digits)


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, format="#,##0%")


def alert_text(alert: dict[str, Any]) -> str:
    """What an alert asks, in the reader's language (the stored message is English, for e-mails and logs)."""
    what = {
        "recording": _("not recorded within the recording goal"),
        "stall": _("no activity for longer than its stage allows (period %(n)s)", n=alert["period"]),
        "review": _("not reviewed by a Team Leader within the review period"),
        "closure_approval": _("closure awaiting a Director's decision"),
    }.get(alert["kind"])
    if what is None:
        return str(alert["message"])
    due = alert.get("clock_due_at") or alert["due_at"]  # the goal's instant, as the monitor scheduled it
    return _("Case %(ref)s (%(office)s): %(what)s; due %(due)s UTC.", ref=alert["reference"], office=alert["office"],
             what=what, due=when(due))


# An amended field's values, each as the case page shows that field (its vocabulary's labels, times in UTC).
_FIELD_KINDS = {"violation_types": "violation", "perpetrator_category": "perpetrator", "source_type": "source"}


def change_value(value: Any, field: str) -> str:
    """One side of an amendment (a JSON value) as the reader would read it."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "occurred_at" and isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(change_value(v, field) for v in value)
    if isinstance(value, dict):
        shown = [f"{label(field, k)}: {change_value(v, k)}" for k, v in value.items() if v not in (0, None)]
        return ", ".join(shown) or "—"
    return label(_FIELD_KINDS[field], value) if field in _FIELD_KINDS else str(value)


def date_attrs(shown: str) -> str:
    """A date typed in one text field: the format as placeholder, no autofill or spelling suggestions."""
    return f'placeholder="{shown}" autocomplete="off" spellcheck="false" size="{len(shown) + 2}"'


def date_formats() -> dict[str, Any]:
    """What each page's date fields ask for, in the reader's language (JJ/MM/AAAA HH:MM in French)."""
    return {"datetime_format": dates.placeholder(locale()), "date_format": dates.placeholder(locale(), False),
            "date_attrs": date_attrs}


def marked(excerpt: dict[str, Any]) -> Markup:
    """A search result's excerpt with the words found in <mark>: the text is escaped piece by piece, so that nothing
    an officer wrote is ever read as HTML (ADR 0021)."""
    text, out, at = excerpt["text"], [], 0
    for hit in sorted(excerpt["highlights"], key=lambda h: h["start"]):
        if hit["start"] < at:
            continue
        out += [escape(text[at:hit["start"]]), Markup("<mark>"), escape(text[hit["start"]:hit["end"]]),
                Markup("</mark>")]
        at = hit["end"]
    out.append(escape(text[at:]))
    return Markup("").join(out)


def install(app: Flask) -> None:
    app.context_processor(date_formats)
    app.jinja_env.filters.update(
        label=lambda value, kind: label(kind, value), when=when, time_left=time_left, duration=duration,
        number=number, percent=percent, refusal=refusal, alert_text=alert_text, change_value=change_value,
        field_label=field_label, marked=marked,
        zip_self=lambda values: [(v, v) for v in values])
