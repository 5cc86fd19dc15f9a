"""The dashboard picture of docs/operations.md can be made again: the demo, backfilled into Prometheus, every panel's
PromQL answered, and drawn (deploy/grafana/render_dashboard.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_dashboard_renders_from_the_demo_with_the_demos_numbers(tmp_path: Path) -> None:
    out = tmp_path / "dashboard.png"
    result = subprocess.run([sys.executable, str(ROOT / "deploy/grafana/render_dashboard.py"), str(out)],
                            capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/local/bin:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "160 scrapes of the demo rendered" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 100_000
