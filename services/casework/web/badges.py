"""A case's stage, SLA state and running clocks as every list shows them in each row, built in Python: as Jinja
macros (each call its context and caller machinery, three or four a row) they cost twice as much."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from services.casework.web.filters import time_left, when
from services.casework.web.i18n import gettext as _
from services.casework.web.labels import label


def stage(value: str | None) -> Markup:
    return Markup(f'<span class="badge stage">{escape(label("stage", value))}</span>')


def sla(state: str | None) -> Markup:
    return Markup(f'<span class="badge sla-{escape(state)}">{escape(label("sla", state))}</span>')


def clocks(items: Sequence[Mapping[str, Any]] | None) -> Markup:
    """Each running clock: its name, how long is left (or overdue by), when it is due; paused, until when."""
    if not items:
        return Markup(f'<span class="muted">{escape(_("No clock running"))}</span>')
    due = escape(_("due"))
    lines = []
    for c in items:
        paused = (escape(_("paused until %(date)s", date=when(c["paused_until"]))) + ", "
                  if c["state"] == "paused" else "")
        name, left = escape(label("clock", c["clock"])), escape(time_left(c["seconds_left"]))
        lines.append(f'<li class="sla-{escape(c["state"])}"><span class="clock-name">{name}</span>: {paused}'
                     f'<strong>{left}</strong> '
                     f'<span class="muted">({due} {escape(when(c["due_at"]))})</span></li>')
    return Markup(f'<ul class="clocks">{"".join(lines)}</ul>')
