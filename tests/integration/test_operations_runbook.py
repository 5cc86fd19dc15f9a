"""docs/operations.md reads as a runbook: every step's link leads to a section of it, and every file of deploy/ it
names is there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_within_the_runbook_leads_to_one_of_its_sections() -> None:
    text = DOC.read_text()
    headings = {anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links, "the runbook links its steps to its sections"
    assert links <= headings, sorted(links - headings)


def test_every_deploy_file_it_names_exists() -> None:
    # deploy/NAME with a folder of deploy/ (`kubectl ... deploy/hrcase-casework` is a Deployment, not a path).
    folders = "|".join(p.name for p in (ROOT / "deploy").iterdir() if p.is_dir())
    named = set(re.findall(rf"(deploy/(?:{folders})(?:/[\w.@-]*\w)*)", DOC.read_text()))
    assert {"deploy/systemd/hrcase.env.example", "deploy/k8s", "deploy/compose/compose.yaml"} <= named
    made_by_the_operator = {"deploy/compose/.env"}
    missing = sorted(n for n in named - made_by_the_operator if not (ROOT / n).exists())
    assert missing == []
