"""People and acts in a CSV situation report: a compact syntax written by hand in one cell (docs/sitrep-formats.md).

    people     p1:victim:female:34:journalist:high; p2:witness:male:adult
               ref:role[:sex[:age or age group[:occupation[:protection risk]]]], one person per `;`
    consent    p1=recorded,contact,referral,share=UNHCR|ICRC,by=fatou.hro,at=2026-11-02T10:00:00+00:00
    acts       killing>p1>state_security_forces; abduction>p1,p2>armed_group>FAMA-33RCP
               violation type>victim refs (`,`)>perpetrator category[>perpetrator unit[>P-code]]
    names      p1=Awa Traoré|Awa Traore; p2=Moussa Keïta     (main name first, variants after `|`; sealed)
    contacts   p1=+223 70 00 00 00                          (sealed)
    births     p1=1990-05-04                                (date of birth, sealed)

Only the syntax is checked here (CellError names the part); the values are intake's to validate, naming the field.
"""

from __future__ import annotations

from typing import Any

PEOPLE_COLUMNS = ("people", "consent", "acts", "names", "contacts", "births")
PERSON_PARTS = ("ref", "role", "sex", "age_group", "occupation", "protection_risk")
CONSENT_FLAGS = ("recorded", "contact", "referral")


class CellError(ValueError):
    """A cell that does not follow its column's syntax."""


def _entries(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _by_ref(cell: str, column: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in _entries(cell):
        ref, sep, value = entry.partition("=")
        if not sep or not ref.strip():
            raise CellError(f"{entry!r} is not ref=value (e.g. p1=...)")
        if ref.strip() in out:
            raise CellError(f"{ref.strip()} appears twice")
        out[ref.strip()] = value.strip()
    return out


def people(cell: str) -> list[dict[str, Any]]:
    found = []
    for entry in _entries(cell):
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) < 2 or len(parts) > len(PERSON_PARTS):
            raise CellError(f"{entry!r} is not ref:role[:sex[:age or age group[:occupation[:protection risk]]]]")
        person: dict[str, Any] = {}
        for name, value in zip(PERSON_PARTS, parts, strict=False):
            if not value:
                continue
            if name == "age_group" and value.isdigit():
                person["age"] = int(value)
            else:
                person[name] = value
        found.append(person)
    return found


def consent(cell: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for ref, value in _by_ref(cell, "consent").items():
        given: dict[str, Any] = {flag: False for flag in CONSENT_FLAGS}
        for item in (i.strip() for i in value.split(",") if i.strip()):
            key, sep, arg = item.partition("=")
            if not sep and key in CONSENT_FLAGS:
                given[key] = True
            elif sep and key == "share":
                given["share_with"] = [p.strip() for p in arg.split("|") if p.strip()]
            elif sep and key in ("by", "at", "withdrawn"):
                given[{"by": "obtained_by", "at": "obtained_at", "withdrawn": "withdrawn_at"}[key]] = arg.strip()
            else:
                raise CellError(f"{ref}: {item!r} is none of recorded, contact, referral, share=, by=, at=, "
                                "withdrawn=")
        out[ref] = given
    return out


def acts(cell: str) -> list[dict[str, Any]]:
    found = []
    for entry in _entries(cell):
        parts = [p.strip() for p in entry.split(">")]
        if len(parts) < 3 or len(parts) > 5:
            raise CellError(f"{entry!r} is not violation type>victims>perpetrator category[>unit[>P-code]]")
        act: dict[str, Any] = {"violation_type": parts[0], "perpetrator_category": parts[2],
                               "victims": [v.strip() for v in parts[1].split(",") if v.strip()]}
        if len(parts) > 3 and parts[3]:
            act["perpetrator_unit"] = parts[3]
        if len(parts) > 4 and parts[4]:
            act["place_pcode"] = parts[4]
        found.append(act)
    return found


def nest(cells: dict[str, str], record: dict[str, Any], identities: dict[str, Any]) -> None:
    """The people columns of one row into `record` (people, acts) and `identities` (people by ref); raises
    CellError with the column first."""
    def column(name: str) -> Any:
        try:
            return {"people": people, "consent": consent, "acts": acts}.get(name, lambda c: _by_ref(c, name))(
                cells[name])
        except CellError as exc:
            raise CellError(f"column {name}: {exc}") from None

    if "people" in cells:
        record["people"] = column("people")
    if "consent" in cells:
        given = column("consent")
        for person in record.get("people", []):
            if person.get("ref") in given:
                person["consent"] = given.pop(person["ref"])
        if given:
            raise CellError(f"column consent: {', '.join(given)} not in the people column")
    if "acts" in cells:
        record["acts"] = column("acts")
    sealed: dict[str, dict[str, Any]] = {}
    for name, key in (("names", "names"), ("contacts", "contact"), ("births", "date_of_birth")):
        if name in cells:
            for ref, value in column(name).items():
                sealed.setdefault(ref, {})[key] = [n.strip() for n in value.split("|") if n.strip()] \
                    if key == "names" else value
    if sealed:
        identities["people"] = sealed
