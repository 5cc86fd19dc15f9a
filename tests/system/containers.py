"""podman for the system tests: deploy/image's settings (runc, cgroupfs, no ulimits) and its build script."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from tests.system.kafka_cluster import REPO

BUILD = REPO / "deploy" / "image" / "build.sh"
TOOLS = ("podman", "mmdebstrap", "runc")


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF")
            or str(REPO / "deploy" / "image" / "containers.conf")}


def podman(*args: str, timeout: float = 60.0, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], env=podman_env(), capture_output=True, text=True, timeout=timeout,
                            check=False)
    assert not check or result.returncode == 0, f"podman {' '.join(args)} failed:\n{result.stderr}"
    return result


def build(*args: str) -> str:
    """`deploy/image/build.sh ARGS`: the name of the image it built, or found built already (cached for the day)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: scripts/test installs Debian's podman, buildah, mmdebstrap and "
                    "runc packages")
    started = time.monotonic()
    result = subprocess.run([str(BUILD), *args], env=podman_env(), capture_output=True, text=True, timeout=900,
                            check=False)
    assert result.returncode == 0, f"{BUILD} {' '.join(args)} failed:\n{result.stderr[-5000:]}"
    name = result.stdout.strip().splitlines()[-1]
    print(f"image {name} ready in {time.monotonic() - started:.0f} s")
    return name
