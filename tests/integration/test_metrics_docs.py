"""docs/metrics.md documents every metric hrcase exports, with its labels, and no metric it does not export."""

from __future__ import annotations

import re
from pathlib import Path

from services.config import Settings
from services.embedded import EmbeddedRuntime

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
SUFFIX = {"counter": "_total", "histogram": "", "gauge": ""}


def test_every_exported_metric_is_documented_with_its_labels(tmp_path: Path) -> None:
    registry = EmbeddedRuntime(Settings(data_dir=tmp_path)).metrics.registry
    families = {f.name + SUFFIX[f.type]: f for f in registry.collect() if f.name.startswith("hrcase_")}
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(hrcase_\w+)` \| \w+ \|([^|]*)\|", DOC.read_text(),
                                                        re.M)}
    assert set(rows) == set(families)
    for name, cell in rows.items():
        documented = set(re.findall(r"`(\w+)`", cell))
        exported = {k for s in families[name].samples for k in s.labels if k != "le"}
        assert exported <= documented, name
