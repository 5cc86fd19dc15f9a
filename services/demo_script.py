"""The demo's cast and script: who does what, when, in six simulated weeks of autumn 2026."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.casework.domain import commands as c
from services.casework.domain.roles import User

START = datetime(2026, 10, 30, 17, 0, tzinfo=UTC)
END = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)

CAST = (
    User("amadou.hro", "hro", "Mopti", "Amadou (HRO)"),
    User("fatou.hro", "hro", "Mopti", "Fatou (HRO)"),
    User("ibrahim.hro", "hro", "Gao", "Ibrahim (HRO)"),
    User("mariam.hro", "hro", "Timbuktu", "Mariam (HRO)"),
    User("oumar.hro", "hro", "Bamako", "Oumar (HRO)"),
    User("aissata.tl", "team_leader", "Mopti", "Aissata (Team Leader)"),
    User("moussa.tl", "team_leader", "Gao", "Moussa (Team Leader)"),
    User("kadiatou.tl", "team_leader", "Timbuktu", "Kadiatou (Team Leader)"),
    User("seydou.tl", "team_leader", "Bamako", "Seydou (Team Leader)"),
    User("director.keita", "director", "Bamako", "Director"),
    User("deputy.traore", "director", "Bamako", "Deputy Director"),
    User("auditor.diallo", "auditor", "Bamako", "Auditor"),
)

# Cases are named by their incident key; the demo prints their case references.
ANSONGO, BOUREM = "SR-GAO-2026-W44#1", "SR-GAO-2026-W44#2"
BANDIAGARA, DJENNE, NIAFUNKE = "SR-MOP-2026-W44#1", "SR-MOP-2026-W44#2", "SR-MOP-2026-W44#3"
KORO, DOUENTZA = "SR-MOP-2026-W45#1", "SR-MOP-2026-W45#2"
GOUNDAM, NIAFUNKE_RADIO, BER = "SR-TBK-2026-W45#1", "SR-TBK-2026-W45#2", "SR-TBK-2026-W45#3"
COMMUNE_IV, KATI = "SR-BKO-2026-W46#1", "SR-BKO-2026-W46#2"
TESSIT, CHATEAU = "SR-GAO-2026-W46#1", "SR-GAO-2026-W46#2"
NO_ROUTINE = (DJENNE, KORO, GOUNDAM)  # two cases left to stall, and one paused by a justified delay

Factory = Callable[[Any, str], c.Command]  # (demo, case_id) -> command


@dataclass(frozen=True)
class Step:
    at: datetime
    say: str = ""
    sitreps: tuple[str, ...] = ()
    case: str | None = None
    command: Factory | None = None
    routine: bool = False


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def do(when: str, case: str, say: str, command: Factory) -> Step:
    return Step(at(when), say, case=case, command=command)


def ack(user: str) -> Factory:
    """Acknowledge the open alert of this case in the user's inbox."""
    return lambda demo, case_id: c.AcknowledgeAlert(case_id, user, demo.open_alert(user, case_id), "seen")


def amend(user: str, field: str, new: Any, reason: str) -> Factory:
    """Correct one fact of the case's incident, from the value the case holds now."""
    return lambda demo, case_id: c.AmendIncident(case_id, user, reason,
                                                 {field: {"old": demo.details(case_id).get(field), "new": new}})


def fridays() -> list[Step]:
    first = at("2026-11-06 12:00")
    return [Step(first + timedelta(weeks=n), routine=True) for n in range(5)]


SCRIPT: tuple[Step, ...] = tuple(sorted([
    Step(at("2026-10-30 17:00"), sitreps=("2026-W44-gao.csv", "2026-W44-mopti.jsonl")),
    do("2026-11-02 09:00", NIAFUNKE, "aissata.tl (Team Leader, Mopti) assigns {case} to amadou.hro",
       lambda d, i: c.AssignCase(i, "aissata.tl", "amadou.hro")),
    do("2026-11-02 09:30", BANDIAGARA, "amadou.hro records {case}", lambda d, i: c.RecordCase(i, "amadou.hro")),
    do("2026-11-02 09:40", NIAFUNKE, "amadou.hro records {case}", lambda d, i: c.RecordCase(i, "amadou.hro")),
    do("2026-11-02 10:00", DJENNE, "fatou.hro records {case}", lambda d, i: c.RecordCase(i, "fatou.hro")),
    do("2026-11-02 11:00", ANSONGO, "ibrahim.hro records {case}", lambda d, i: c.RecordCase(i, "ibrahim.hro")),
    do("2026-11-02 11:30", BOUREM, "ibrahim.hro tries to record {case}, which nobody assigned to him",
       lambda d, i: c.RecordCase(i, "ibrahim.hro")),
    do("2026-11-03 10:00", BANDIAGARA, "amadou.hro opens the investigation of {case}",
       lambda d, i: c.AdvanceStage(i, "amadou.hro", "investigation", "detainee located; interviews planned")),
    Step(at("2026-11-06 17:00"), sitreps=("2026-W45-mopti.jsonl", "2026-W45-timbuktu.jsonl")),
    do("2026-11-09 08:30", BOUREM, "moussa.tl (Team Leader, Gao) assigns the late {case} to ibrahim.hro",
       lambda d, i: c.AssignCase(i, "moussa.tl", "ibrahim.hro")),
    do("2026-11-09 09:00", BOUREM, "ibrahim.hro records {case}, ten days after it was reported",
       lambda d, i: c.RecordCase(i, "ibrahim.hro", "recorded late: office without connectivity")),
    do("2026-11-09 09:10", KORO, "amadou.hro records {case}", lambda d, i: c.RecordCase(i, "amadou.hro")),
    do("2026-11-09 09:20", DOUENTZA, "fatou.hro records {case}", lambda d, i: c.RecordCase(i, "fatou.hro")),
    do("2026-11-10 10:00", DOUENTZA, "fatou.hro corrects where {case} happened: the village of Boni, not Douentza",
       amend("fatou.hro", "location", "Boni", "the victim's family placed it at Boni, on the Douentza road")),
    do("2026-11-09 09:30", GOUNDAM, "mariam.hro records {case}", lambda d, i: c.RecordCase(i, "mariam.hro")),
    do("2026-11-09 09:40", BER, "mariam.hro records {case}", lambda d, i: c.RecordCase(i, "mariam.hro")),
    do("2026-11-09 10:00", NIAFUNKE_RADIO, "kadiatou.tl (Team Leader, Timbuktu) reviews the likely duplicate {case}",
       ack("kadiatou.tl")),
    do("2026-11-09 10:05", NIAFUNKE_RADIO, "kadiatou.tl records {case} herself",
       lambda d, i: c.RecordCase(i, "kadiatou.tl", "same killing as reported by Mopti")),
    do("2026-11-10 09:00", NIAFUNKE_RADIO, "deputy.traore (Deputy Director) proposes closing {case} as a duplicate",
       lambda d, i: c.RequestClosure(i, "deputy.traore", "duplicate", "same killing as the Mopti case")),
    do("2026-11-10 09:05", NIAFUNKE_RADIO, "deputy.traore tries to approve the closure of {case} she proposed",
       lambda d, i: c.ApproveClosure(i, "deputy.traore")),
    do("2026-11-11 08:00", NIAFUNKE_RADIO, "director.keita (Director) approves the closure of {case}",
       lambda d, i: c.ApproveClosure(i, "director.keita", "duplicate confirmed")),
    Step(at("2026-11-13 17:00"), sitreps=("2026-W46-bamako.csv", "2026-W46-gao.jsonl")),
    do("2026-11-16 09:00", COMMUNE_IV, "oumar.hro records {case}", lambda d, i: c.RecordCase(i, "oumar.hro")),
    do("2026-11-16 09:10", KATI, "seydou.tl (Team Leader, Bamako) assigns {case} to oumar.hro",
       lambda d, i: c.AssignCase(i, "seydou.tl", "oumar.hro")),
    do("2026-11-16 09:20", KATI, "oumar.hro records {case}", lambda d, i: c.RecordCase(i, "oumar.hro")),
    do("2026-11-16 09:30", TESSIT, "ibrahim.hro records {case}", lambda d, i: c.RecordCase(i, "ibrahim.hro")),
    do("2026-11-16 10:00", GOUNDAM, "mariam.hro justifies a delay on {case}: road to Goundam closed",
       lambda d, i: c.JustifyDelay(i, "mariam.hro", "security", at("2026-12-01 00:00"), "road closed by fighting")),
    do("2026-11-18 10:00", CHATEAU, "moussa.tl records {case} himself, after the recording breach",
       lambda d, i: c.RecordCase(i, "moussa.tl")),
    do("2026-11-12 10:00", ANSONGO, "ibrahim.hro opens the investigation of {case}",
       lambda d, i: c.AdvanceStage(i, "ibrahim.hro", "investigation", "two witnesses identified")),
    do("2026-11-12 11:00", NIAFUNKE, "amadou.hro opens the investigation of {case}",
       lambda d, i: c.AdvanceStage(i, "amadou.hro", "investigation", "mission to Niafunké approved")),
    do("2026-11-20 15:00", BANDIAGARA, "amadou.hro concludes {case}",
       lambda d, i: c.AdvanceStage(i, "amadou.hro", "concluded", "detention beyond legal limits established")),
    do("2026-11-23 09:00", BANDIAGARA, "amadou.hro records the handover of {case} to the national authorities",
       lambda d, i: c.RecordFollowUp(i, "amadou.hro", "handover_national_authorities", "prosecutor seized")),
    do("2026-11-23 09:30", BANDIAGARA, "amadou.hro proposes closing {case}",
       lambda d, i: c.RequestClosure(i, "amadou.hro", "concluded", "findings documented and handed over")),
    do("2026-11-23 09:35", BANDIAGARA, "amadou.hro tries to approve the closure of {case} himself",
       lambda d, i: c.ApproveClosure(i, "amadou.hro")),
    do("2026-11-25 11:00", BANDIAGARA, "director.keita approves the closure of {case}",
       lambda d, i: c.ApproveClosure(i, "director.keita", "reviewed: findings and follow-up complete")),
    do("2026-12-03 09:00", DJENNE, "aissata.tl acknowledges the stall alert on {case}", ack("aissata.tl")),
    do("2026-12-03 11:00", DJENNE, "fatou.hro logs work on {case} again",
       lambda d, i: c.LogActivity(i, "fatou.hro", "called the complainant; follow-up visit planned")),
    *fridays(),
], key=lambda s: s.at))
