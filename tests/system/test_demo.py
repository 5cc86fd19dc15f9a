"""The main job: `hrcase demo` tells the scripted six weeks with the right cases, breaches, alerts and refusals."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sitreps"


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    data = tmp_path_factory.mktemp("demo") / "data"
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "demo", "--data-dir", str(data)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_registers_one_case_per_accepted_incident(demo_output: str) -> None:
    cases = re.findall(r"^   case (\w{3}-2026-\d{4})", demo_output, flags=re.M)
    assert len(cases) == 14
    assert len(set(cases)) == 14
    assert {c[:3] for c in cases} == {"MOP", "GAO", "TIM", "BAM"}


def test_demo_shows_the_rejected_incident_and_why(demo_output: str) -> None:
    assert re.search(r"REJECTED SR-BKO-2026-W46#3 \(2026-W46-bamako.csv line 4\): occurred_at: occurred after it "
                     r"was reported", demo_output)


def test_demo_treats_a_repeated_incident_as_one_and_flags_the_likely_duplicate(demo_output: str) -> None:
    assert "1 record(s) repeat an incident already accepted" in demo_output
    assert re.search(r"case TIM-2026-0002 .* LIKELY DUPLICATE of MOP-2026-0003 \(SR-MOP-2026-W44#3\)", demo_output)


def test_demo_breaches_recording_for_incidents_not_recorded_within_four_days(demo_output: str) -> None:
    breaches = re.findall(r"!! SLA breach +recording +(\S+) +(.+?) ->", demo_output)
    assert breaches == [("GAO-2026-0002", "Tue 03 Nov 16:00"), ("GAO-2026-0004", "Tue 17 Nov 16:00")]
    assert re.search(r"SLA warning +recording +GAO-2026-0002 +Mon 02 Nov 16:00 -> Team Leader", demo_output)
    assert re.search(r"SLA escalation recording +GAO-2026-0002 +Sat 07 Nov 16:00 -> Director", demo_output)
    assert re.search(r"SLA cleared +recording +GAO-2026-0002 +Mon 09 Nov 09:00 -> recorded", demo_output)


def test_demo_sends_stall_alerts_to_the_team_leader(demo_output: str) -> None:
    assert re.search(r"SLA breach +stall +MOP-2026-0002 +Wed 02 Dec 10:00 -> Team Leader \(Mopti case\)", demo_output)
    assert re.search(r"aissata.tl .*: 1 open alert\(s\)\n +- Overdue: case MOP-2026-0004 \(Mopti\) no activity",
                     demo_output)


def test_demo_refuses_closure_to_its_proposer_and_a_director_approves(demo_output: str) -> None:
    assert "REFUSED: you proposed this closure; another Director or Deputy Director must approve it" in demo_output
    assert "REFUSED: only the Director or a Deputy Director decides on a closure" in demo_output
    approvals = re.findall(r"director.keita .*approves the closure of (\S+)\n   ok: ClosureApproved", demo_output)
    assert approvals == ["TIM-2026-0002", "MOP-2026-0001"]


def test_demo_ends_with_a_metrics_summary_that_matches_what_happened(demo_output: str) -> None:
    assert ("incident records received 16, accepted 14, rejected 1, repeats 1, flagged as likely duplicates 1"
            in demo_output)
    assert "cases registered 14, open 12" in demo_output
    assert "SLA events: breach 4, cleared 3, escalation 1, warning 2" in demo_output
    # GAO-2026-0002 and -0004 were recorded after their recording breach: 12 of the 14 on time, none left unrecorded.
    assert "recording delay: mean 3.4 days over the 14 cases recorded; 0 not recorded and past their four days" \
        in demo_output
    assert "recorded on time: 12 of 14 incidents whose four days have passed (86%)" in demo_output
    assert "closures approved 2, dead letters 1" in demo_output


def identity_names() -> set[str]:
    """Every name, contact and date of birth in the examples' sensitive parts (JSONL `identities`, their `people`
    by ref; CSV *_names, names and contacts columns)."""
    names: set[str] = set()
    for path in EXAMPLES.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            identities = json.loads(line).get("identities", {})
            for person in identities.get("people", {}).values():
                names.update(person["names"])
                names.update(person[k] for k in ("contact", "date_of_birth") if person.get(k))
            for group in ("victims", "witnesses", "sources"):
                names.update(person["name"] for person in identities.get(group, []))
    for path in EXAMPLES.glob("*.csv"):
        for row in csv.DictReader(path.open()):
            for column in ("victim_names", "witness_names", "source_names"):
                names.update(n.strip() for n in (row.get(column) or "").split(";") if n.strip())
            for column in ("names", "contacts"):  # p1=Main Name|Variant; p2=...
                for entry in (row.get(column) or "").split(";"):
                    names.update(n.strip() for n in entry.partition("=")[2].split("|") if n.strip())
    return names


def test_demo_shows_who_did_what_to_whom_with_consent_and_a_place_from_the_gazetteer(demo_output: str) -> None:
    kati = demo_output[demo_output.index("case BAM-2026-0002"):demo_output.index("case GAO-2026-0003")]
    assert "place ML0204 Kati (cercle, region Koulikoro)" in kati
    assert "act: threats_and_intimidation of p1 (female, journalist), p2 (male, journalist) by unidentified" in kati
    assert "p1 (victim): consents to recorded, contact; may be shared with CPJ, RSF" in kati
    tessit = demo_output[demo_output.index("case GAO-2026-0003"):demo_output.index("case GAO-2026-0004")]
    assert "act: killing of p1 (male, other) by armed_group" in tessit


def test_demo_never_prints_an_identity_of_a_victim_witness_or_source(demo_output: str) -> None:
    names = identity_names()
    assert len(names) > 10 and {"Assitan Coulibaly", "+223 7655 4321", "1987-04-21"} <= names
    assert [n for n in names if n in demo_output] == []
