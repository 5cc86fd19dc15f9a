"""deploy/prometheus: promtool accepts the configuration and rules, the rules' unit tests pass, and every metric the
rules name is one hrcase exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.metrics_names import exported_names

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
PERSONAL = re.compile(r"victim|witness|source_name|identit|reference|case_id|assignee|username|location", re.I)


def promtool(*args: str | Path) -> str:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is not installed: `make test` installs it (Debian package prometheus)")
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def rules() -> list[dict]:
    return [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_rules_and_both_scrape_configurations() -> None:
    assert len(RULES) == 2
    promtool("check", "rules", *RULES)
    for config in ("prometheus.yml", "prometheus-kubernetes.yml"):
        assert "SUCCESS" in promtool("check", "config", PROMETHEUS / config)


def test_the_rules_unit_tests_pass() -> None:
    tests = sorted((PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    assert "SUCCESS" in promtool("test", "rules", *tests)


def test_every_alert_the_issue_asks_for_is_defined_and_unit_tested() -> None:
    alerts = {r["alert"] for r in rules() if "alert" in r}
    asked = {"HrcaseRecordingBreachesRising", "HrcaseCasesStalled", "HrcaseClosureApprovalsOverdue",
             "HrcaseClosureApprovalsWaiting", "HrcaseDeadLetters", "HrcaseConsumerLagGrowing", "HrcaseServiceDown"}
    assert asked <= alerts
    tested = {t["alertname"] for path in (PROMETHEUS / "tests").glob("*.yml")
              for case in yaml.safe_load(path.read_text())["tests"] for t in case.get("alert_rule_test", [])}
    assert asked <= tested


def test_alerts_carry_severity_audience_and_text_but_nothing_personal() -> None:
    for rule in (r for r in rules() if "alert" in r):
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["labels"]["audience"] in ("operations", "managers"), rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
        assert not PERSONAL.search(yaml.safe_dump(rule)), rule["alert"]


def test_every_metric_the_rules_use_is_exported_by_hrcase(tmp_path: Path) -> None:
    exported = exported_names(tmp_path)
    used = {name for rule in rules() for name in re.findall(r"\b(hrcase_[a-z_]+)\b", rule["expr"])}
    assert used
    assert used - exported == set()
