"""`hrcase import` reads the people and acts columns of a history's incidents file as a situation report's CSV does
(sitreps.csv_people), and names the line and column of a cell it cannot read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.casework.adapters import repository as repo
from services.config import Settings
from services.embedded import EmbeddedRuntime
from services.reporting.history.importer import ImportRefused, import_files

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = ("sitrep_id,incident_number,reported_at,occurred_at,office,location,source_type,summary,assignee,people,"
          "consent,acts,names,births\n")
KILLING = ("SR-GAO-2024-W10,1,2024-03-08T16:00:00+00:00,2024-03-05T06:00:00+00:00,Gao,Tessit,direct_witness,"
           "A man killed at a water point.,ibrahim.hro,p1:victim:male:34; p2:witness:female:adult,"
           "\"p2=recorded,share=UNHCR\",killing>p1>armed_group,p1=Invented Person|Invented Persson; "
           "p2=Invented Witness,p1=1990-01-02\n")
ACTIONS = ("sitrep_id,incident_number,at,action,actor,actor_role,actor_office\n"
           "SR-GAO-2024-W10,1,2024-03-09T10:00:00+00:00,record,ibrahim.hro,hro,Gao\n")


def history(folder: Path, *rows: str) -> tuple[Path, Path]:
    (folder / "incidents.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    (folder / "cases.csv").write_text(ACTIONS, encoding="utf-8")
    return folder / "incidents.csv", folder / "cases.csv"


def test_people_acts_consent_and_identities_of_a_history_become_the_case_record(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))
    summary = import_files(runtime, *history(tmp_path, KILLING), NOW)
    assert (summary.incidents, summary.actions) == (1, 1)
    case = runtime.casework.read(lambda conn: repo.list_cases(conn))[0]
    details = case.details
    assert [(p["ref"], p["role"], p["sex"]) for p in details["people"]] == [("p1", "victim", "male"),
                                                                           ("p2", "witness", "female")]
    assert details["people"][1]["consent"]["share_with"] == ["UNHCR"] and details["people"][1]["consent"]["recorded"]
    assert details["acts"] == [{"violation_type": "killing", "victims": ["p1"], "perpetrator_category": "armed_group",
                                "perpetrator_unit": None, "occurred_at": None, "place_pcode": None}]
    # No violation, count or perpetrator column: all three follow from the acts.
    assert details["violation_types"] == ["killing"] and details["perpetrator_category"] == "armed_group"
    assert details["victims"]["male_adult"] == 1 and case.stage == "preliminary"
    sealed = runtime.casework.read(lambda conn: repo.load_identities(conn, case.case_id))
    assert "Invented" not in sealed
    assert runtime.vault.open(sealed)["people"]["p1"] == {"names": ["Invented Person", "Invented Persson"],
                                                          "date_of_birth": "1990-01-02"}


@pytest.mark.parametrize(("row", "error"), [
    (KILLING.replace("killing>p1>armed_group", "killing>p1"),
     "incidents.csv line 2: column acts: 'killing>p1' is not violation type>victims>perpetrator category"),
    (KILLING.replace("p1:victim:male:34;", "p1;"), "incidents.csv line 2: column people: 'p1' is not ref:role"),
    (KILLING.replace("\"p2=recorded,share=UNHCR\"", "p2=yes"),
     "incidents.csv line 2: column consent: p2: 'yes' is none of recorded"),
    (KILLING.replace("killing>p1>", "killing>p9>"), "incidents.csv line 2: acts.0.victims: p9 is no victim"),
])
def test_a_bad_people_or_acts_cell_is_named_by_line_and_column_and_the_rest_is_read(
        tmp_path: Path, row: str, error: str) -> None:
    second = KILLING.replace(",1,2024-03-08", ",2,2024-03-08").replace("killing>p1>armed_group", "killing>p1")
    runtime = EmbeddedRuntime(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(ImportRefused) as refused:
        import_files(runtime, *history(tmp_path, row, second), NOW)
    listed = [str(e) for e in refused.value.errors]
    assert listed[0].startswith(error), listed
    assert listed[1].startswith("incidents.csv line 3: column acts:"), listed  # read on past the first bad row
    assert runtime.casework.read(lambda conn: repo.list_cases(conn)) == []
