"""Validation messages next to the fields, and the refusals of the workflow, in the reader's language."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from schemas.errors import SchemaError
from services.casework.web import dates
from services.casework.web.labels import label


def locale() -> str:
    return str(get_locale() or "en")


def message(text: str) -> str:
    """One marshmallow or intake message, translated when it is one of the common ones."""
    coded = _PROBLEMS.get(getattr(text, "code", ""))
    if coded is not None:
        return str(coded) % getattr(text, "params", {})
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
    found = re.fullmatch(r"p(\d+) is no victim of this incident.*", text)
    if found:
        return _("Person %(n)s is no victim of this incident: give them the role victim, or untick them.",
                 n=found.group(1))
    if text.startswith("name at least one victim"):
        return _("Tick at least one victim of this act.")
    if text.startswith("Unknown field"):
        return _("This field is not expected here.")
    return text


# The coded problems of the sitrep contract (schemas.errors.Problem), by code; their values fill the placeholders.
_PROBLEMS = {
    "future": _l("This time is in the future."),
    "unknown_office": _l("Unknown office %(office)s; expected one of %(offices)s."),
    "not_json": _l("This line is not JSON."),
    "not_object": _l("An incident must be a JSON object."),
    "not_incident": _l("This is not an incident report (IncidentReported, version 1)."),
}

# Each field of a sitrep record, named as on the incident form (the file's own column names are English keys).
FIELDS = {
    "sitrep_id": _l("Situation report"), "incident_number": _l("Number in that report"),
    "reported_at": _l("Reported at (UTC)"), "occurred_at": _l("Occurred at (UTC)"), "office": _l("Office"),
    "location": _l("Location"), "violation_types": _l("Violations"),
    "perpetrator_category": _l("Alleged perpetrators"), "victims": _l("Victims"), "source_type": _l("Source"),
    "summary": _l("Summary"), "assignee": _l("Assign to"), "identities": _l("Identities"),
    "identities.victims": _l("Names of victims"), "identities.witnesses": _l("Names of witnesses"),
    "identities.sources": _l("Names of sources"), "type": _l("Record type"), "payload": _l("Record"),
}


def field_label(path: str) -> str:
    """A dotted field path ("victims.female_adult", "identities.victims.0.name") as the reader calls it; a field
    the contract does not know keeps the name the file gave it."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    if parts[0] == "victims" and len(parts) > 1:
        return f"{FIELDS['victims']} ({label('victims', parts[1])})"
    for size in (2, 1):
        found = FIELDS.get(".".join(parts[:size]))
        if found is not None:
            return str(found)
    return path


def reasons(error: SchemaError) -> list[str]:
    """Why a sitrep record is rejected: each field by its label, each message translated."""
    out = []
    for name, texts in sorted(error.fields.items()):
        said = ", ".join(message(t) for t in texts)
        out.append(said if name == "_record" else _("%(field)s: %(problem)s", field=field_label(name), problem=said))
    return out


def date_problem(field: str, with_time: bool) -> str:
    """A date that cannot be read, naming the field and the format to type."""
    if with_time:
        return _("%(field)s: write the date and time as %(format)s (24 h), e.g. %(example)s.", field=field,
                 format=dates.placeholder(locale()), example=_example(True))
    return _("%(field)s: write the date as %(format)s, e.g. %(example)s.", field=field,
             format=dates.placeholder(locale(), with_time=False), example=_example(False))


def _example(with_time: bool) -> str:
    # A fixed day that cannot be misread: 25 is no month, in any order.
    return dates.show(datetime(2026, 12, 25, 14, 30), locale(), with_time)


FILE_PROBLEMS = {
    "not_utf8": _l("%(name)s is not UTF-8 text: save it again as UTF-8 (CSV UTF-8 in a spreadsheet)."),
    "unknown_format": _l("Unknown file format: use .jsonl or .csv."),
    "unreadable_csv": _l("%(name)s cannot be read as CSV from line %(line)s on."),
    "no_header": _l("%(name)s has no header row: the first line must name the columns."),
    "bad_header": _l("The header row of %(name)s has an empty or repeated column name."),
    "bad_cell": _l("%(name)s, line %(line)s: a people, consent or acts cell does not follow its syntax "
                   "(%(problem)s)."),
}


def file_problem(exc: Any, name: str) -> str:
    """Why a sitrep file as a whole cannot be read (sitreps.files.SitrepFileError), in the reader's language."""
    found = FILE_PROBLEMS.get(getattr(exc, "code", ""))
    return str(exc) if found is None else str(found) % {"name": name, "line": "", **getattr(exc, "params", {})}




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
    """A refusal from the policy or the workflow (their wording is English): translated when it is a known one,
    with the stages, reasons and states it names as the reader calls them."""
    for pattern, translated in _refusals():
        found = re.fullmatch(pattern, text)
        if found:
            return translated % {k: _value(k, v) for k, v in found.groupdict().items()}
    return text


def value_refusal(field: str, text: str) -> str:
    """A value the workflow refused, shown next to its field: a known refusal translated, else the field's own
    problem as the incident form words it ("location: Length must be between 2 and 200." -> "Between 2 and 200
    characters.")."""
    translated = refusal(text)
    if translated == text and text.startswith(f"{field}: "):
        return message(text[len(field) + 2:])
    return translated


# The values a refusal quotes from the vocabulary, shown by their labels ("unsubstantiated" -> "Non étayé").
_VALUES = {"stage": "stage", "allowed": "stage", "reasons": "closure_reason", "next": "stage",
           "state": "alert_state"}
_WHAT = {"a description of the activity": _l("A description of the activity"),
         "a reason for the closure": _l("A reason for the closure"),
         "a reason for rejecting the closure": _l("A reason for rejecting the closure"),
         "a reason to reopen": _l("A reason to reopen")}


def _value(group: str, value: str) -> str:
    if group == "field":
        return field_label(value)
    if group == "what" and value in _WHAT:
        return str(_WHAT[value])
    kind = _VALUES.get(group)
    if kind is None:
        return value
    said = ", ".join(label(kind, v.strip()) for v in value.split(","))
    return said.lower() if group == "state" else said  # a state inside a sentence: "already acknowledged"


def _refusals() -> list[tuple[str, str]]:
    return [
        (r"person: case (?P<ref>\S+) records no people", _("Case %(ref)s records no people.")),
        (r"person: case (?P<ref>\S+) has no person '(?P<person>[^']*)' \(people: (?P<people>[^)]*)\)",
         _("Case %(ref)s has no person %(person)s (people: %(people)s).")),
        (r"cannot share this case: (?P<who>.*) \(record their consent first\)",
         _("This case cannot be shared: %(who)s (record their consent first).")),
        (r"partner: name who the case is handed over to, so that each person's consent can be checked",
         _("Name the partner the case is handed over to, so that each person's consent can be checked.")),
        (r"you proposed this closure; another Director or Deputy Director must (?P<verb>\w+) (it|on it) \(four eyes\)",
         _("You proposed this closure: another Director or Deputy Director must decide on it (four eyes).")),
        (r"only the Director or a Deputy Director decides on a closure",
         _("Only the Director or a Deputy Director decides on a closure.")),
        (r"only the Director or a Deputy Director reopens a closed case",
         _("Only the Director or a Deputy Director reopens a closed case.")),
        (r"only the assigned officer \((?P<who>[^)]*)\) or a Team Leader of (?P<office>\S+) may update case "
         r"(?P<ref>\S+)",
         _("Only the assigned officer (%(who)s) or a Team Leader of %(office)s may update case %(ref)s.")),
        (r"only those who see the identities of case (?P<ref>\S+) may correct them",
         _("Only those who see the identities of case %(ref)s may correct them.")),
        (r"only a Team Leader of (?P<office>\S+) (assigns|reviews) its cases",
         _("Only a Team Leader of %(office)s does this on its cases.")),
        (r"case (?P<ref>\S+) belongs to (?P<office>\S+), outside your office \((?P<mine>[^)]*)\)",
         _("Case %(ref)s belongs to %(office)s, outside your office (%(mine)s).")),
        (r"cannot (?P<action>.+) case (?P<ref>\S+) at stage '(?P<stage>\w+)' \(allowed at: (?P<allowed>[^)]*)\)",
         _("Case %(ref)s cannot do this at stage '%(stage)s' (allowed at: %(allowed)s).")),
        (r"case (?P<ref>\S+) at '(?P<stage>\w+)' can only move on to '(?P<next>\w+)'",
         _("Case %(ref)s at stage '%(stage)s' can only move on to '%(next)s'.")),
        (r"case (?P<ref>\S+) is closed", _("Case %(ref)s is closed.")),
        (r"a delay may pause the clock until a date after now and at most (?P<days>\d+) days ahead",
         _("A delay may pause the clock until a date after now and at most %(days)s days ahead.")),
        (r"before findings are concluded a case can only be closed as (?P<reasons>.+)",
         _("Before findings are concluded a case can only be closed as %(reasons)s.")),
        (r"(closure reason|delay reason|follow-up kind) must be one of .*", _("Choose one of the options.")),
        (r"(?P<what>.+) is required", _("%(what)s is required.")),
        (r"(?P<what>.+) is too long \(at most (?P<n>\d+) characters\)",
         _("%(what)s is too long (at most %(n)s characters).")),
        (r"alert (?P<id>\S+) is not addressed to you", _("This alert is not addressed to you.")),
        (r"alert for (?P<ref>\S+) is addressed to .+, not to (?P<who>\S+)", _("This alert is not addressed to you.")),
        (r"alert for (?P<ref>\S+) is already (?P<state>\w+)", _("The alert for %(ref)s is already %(state)s.")),
        (r"no (case|alert) (?P<ref>'[^']*')", _("Nothing is known by %(ref)s.")),
        (r"no active user named (?P<who>'[^']*')", _("No active user is named %(who)s.")),
        (r"user (?P<who>\S+) is deactivated", _("The account %(who)s is deactivated.")),
        (r"only a Team Leader of (?P<a>\S+) or (?P<b>\S+), or a Director, decides whether these cases are one incident",
         _("Only a Team Leader of %(a)s or %(b)s, or a Director, decides whether these cases are one incident.")),
        (r"only a Team Leader of (?P<office>\S+), or a Director, decides whether these cases are one incident",
         _("Only a Team Leader of %(office)s, or a Director, decides whether these cases are one incident.")),
        (r"only Team Leaders and Directors review likely duplicates",
         _("Only Team Leaders and Directors review likely duplicates.")),
        (r"this pair was already decided: (?P<status>\w+)", _("This pair was already decided.")),
        (r"this pair was decided meanwhile", _("This pair was already decided.")),
        (r"note: say why these are distinct incidents", _("Say why these are distinct incidents.")),
        (r"survivor: (?P<a>\S+) or (?P<b>\S+)", _("Choose the case that carries the incident on: %(a)s or %(b)s.")),
        (r"case (?P<ref>\S+) is (?P<stage>\w+): a Director reopens it before a merge",
         _("Case %(ref)s is closed: a Director reopens it before a merge.")),
        (r"you may submit incidents for your own office \((?P<office>[^)]*)\) only",
         _("You may submit incidents for your own office (%(office)s) only.")),
        (r"only officers, Team Leaders and Directors submit incidents",
         _("Only officers, Team Leaders and Directors submit incidents.")),
        (r"case (?P<ref>\S+) is already assigned to (?P<who>\S+)", _("Case %(ref)s is already assigned to %(who)s.")),
        (r"(?P<who>\S+) is not a Human Rights Officer of (?P<office>\S+)",
         _("%(who)s is not a Human Rights Officer of %(office)s.")),
        (r"you may read the cases of (?P<scope>.+) only", _("You may read the cases of %(scope)s only.")),
        (r"(?P<field>\w+) is no longer (?P<old>.+) but (?P<held>.+): someone changed it since; reload the case and "
         r"amend what it holds now",
         _("%(field)s is no longer %(old)s but %(held)s: someone changed it since. Reload the case and amend what it "
           "holds now.")),
        (r"the amendment changes nothing: .*",
         _("The amendment changes nothing: every value is the one the case already holds.")),
        (r"reason: say why the incident's details are amended", _("Say why the incident's details are amended.")),
        (r"when the activity was done: (?P<at>.+) UTC is in the future",
         _("When it was done: %(at)s UTC is in the future.")),
        (r"when the activity was done: not before the case's last change, (?P<at>.+) UTC \(its history stays in "
         r"order\)", _("When it was done: not before the case's last change, %(at)s UTC (its history stays in "
                      "order).")),
        (r"when the activity was done: not before (?P<at>.+) UTC, when the case's stall clock fell due \(its breach "
         r"is on record\)",
         _("When it was done: not before %(at)s UTC, when the case's stall clock fell due (its breach is on "
           "record).")),
    ]
