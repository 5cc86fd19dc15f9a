"""Validation messages next to the fields: the API's marshmallow messages, in the reader's language."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _


def message(text: str) -> str:
    """One marshmallow or intake message, translated when it is one of the common ones."""
    if text in ("Missing data for required field.", "Field may not be null.") or text.startswith("Shorter than"):
        return _("This field is required.")
    if text.startswith("Must be one of"):
        return _("Choose one of the options.")
    if text.startswith("Not a valid datetime") or text.startswith("Not a valid aware datetime"):
        return _("Enter a valid date and time.")
    if text.startswith("Not a valid integer"):
        return _("Enter a whole number.")
    if text.startswith("Not a valid email"):
        return _("Enter a valid e-mail address.")
    found = re.fullmatch(r"Length must be between (\d+) and (\d+)\.", text)
    if found:
        return _("Between %(low)s and %(high)s characters.", low=found.group(1), high=found.group(2))
    if text.startswith("Longer than"):
        return _("This text is too long.")
    if text.startswith("Must be greater than or equal") or text.startswith("Must be less than or equal"):
        return _("This number is out of range.")
    if text.startswith("String does not match expected pattern"):
        return _("Use letters, digits, dots, dashes or slashes only.")
    if text.startswith("occurred after it was reported"):
        return _("The incident cannot have happened after it was reported.")
    if text.startswith("is in the future"):
        return _("This time is in the future.")
    if text.startswith("contains a control character"):
        return _("This text contains a control character (such as a null character): only tab and line breaks "
                 "are allowed. Type the text again rather than pasting it.")
    if text.startswith("Unknown field"):
        return _("This field is not expected here.")
    return text


def flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors to "field" / "victims.female_adult" -> translated messages."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(key, int):  # a list position: the list's field carries the message
                name = prefix
            for field, texts in flatten(value, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, str):
                out.setdefault(prefix or "_form", []).append(message(item))
            else:
                for field, texts in flatten(item, prefix).items():
                    out.setdefault(field, []).extend(texts)
    elif isinstance(errors, str):
        out.setdefault(prefix or "_form", []).append(message(errors))
    return out



def refusal(text: str) -> str:
    """A refusal from the policy or the workflow (their wording is English): translated when it is a known one."""
    for pattern, translated in _refusals():
        found = re.fullmatch(pattern, text)
        if found:
            return translated % found.groupdict()
    return text


def _refusals() -> list[tuple[str, str]]:
    return [
        (r"you proposed this closure; another Director or Deputy Director must (?P<verb>\w+) (it|on it) \(four eyes\)",
         _("You proposed this closure: another Director or Deputy Director must decide on it (four eyes).")),
        (r"only the Director or a Deputy Director decides on a closure",
         _("Only the Director or a Deputy Director decides on a closure.")),
        (r"only the Director or a Deputy Director reopens a closed case",
         _("Only the Director or a Deputy Director reopens a closed case.")),
        (r"only the assigned officer \((?P<who>[^)]*)\) or a Team Leader of (?P<office>\S+) may update case "
         r"(?P<ref>\S+)",
         _("Only the assigned officer (%(who)s) or a Team Leader of %(office)s may update case %(ref)s.")),
        (r"only a Team Leader of (?P<office>\S+) (assigns|reviews) its cases",
         _("Only a Team Leader of %(office)s does this on its cases.")),
        (r"case (?P<ref>\S+) belongs to (?P<office>\S+), outside your office \((?P<mine>[^)]*)\)",
         _("Case %(ref)s belongs to %(office)s, outside your office (%(mine)s).")),
        (r"cannot (?P<what>.+) case (?P<ref>\S+) at stage '(?P<stage>\w+)' \(allowed at: (?P<allowed>[^)]*)\)",
         _("Case %(ref)s cannot do this at stage '%(stage)s' (allowed at: %(allowed)s).")),
        (r"a delay may pause the clock until a date after now and at most (?P<days>\d+) days ahead",
         _("A delay may pause the clock until a date after now and at most %(days)s days ahead.")),
        (r"before findings are concluded a case can only be closed as (?P<reasons>.+)",
         _("Before findings are concluded a case can only be closed as %(reasons)s.")),
        (r"alert (?P<id>\S+) is not addressed to you", _("This alert is not addressed to you.")),
        (r"alert for (?P<ref>\S+) is already (?P<state>\w+)", _("The alert for %(ref)s is already %(state)s.")),
        (r"you may submit incidents for your own office \((?P<office>[^)]*)\) only",
         _("You may submit incidents for your own office (%(office)s) only.")),
        (r"only officers, Team Leaders and Directors submit incidents",
         _("Only officers, Team Leaders and Directors submit incidents.")),
        (r"case (?P<ref>\S+) is already assigned to (?P<who>\S+)", _("Case %(ref)s is already assigned to %(who)s.")),
        (r"(?P<who>\S+) is not a Human Rights Officer of (?P<office>\S+)",
         _("%(who)s is not a Human Rights Officer of %(office)s.")),
    ]
