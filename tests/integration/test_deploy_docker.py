"""The Dockerfile: parsed with dockerfile-parse, multi-stage from python:3.11-slim, installing hrcase[kafka] from
wheels, running as a non-root user; the build context holds only what it needs (tests/system/test_image.py builds
and runs it with podman)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]


def parsed() -> DockerfileParser:
    parser = DockerfileParser(fileobj=(ROOT / "Dockerfile").open("rb"))
    return parser


def instructions() -> list[tuple[str, str]]:
    return [(i["instruction"], i["value"]) for i in parsed().structure]


def test_it_builds_in_two_stages_from_python_3_11_slim() -> None:
    parser = parsed()
    froms = [v for i, v in instructions() if i == "FROM"]
    assert len(froms) == 2
    assert froms[0] == "${PYTHON_IMAGE} AS build"
    assert parser.parent_images == ["python:3.11-slim-bookworm"] * 2  # the ARG's default, in both stages


def test_the_final_stage_installs_hrcase_with_kafka_from_the_built_wheels_only() -> None:
    runs = [v for i, v in instructions() if i == "RUN"]
    assert any('pip wheel --wheel-dir /wheels ".[kafka]"' in r for r in runs)
    assert any("--no-index" in r and '"hrcase[kafka]"' in r for r in runs)
    assert not any(i == "ADD" for i, _v in instructions())  # nothing fetched from a URL at build time


def test_it_runs_as_an_unprivileged_user_with_hrcase_as_entrypoint() -> None:
    users = [v for i, v in instructions() if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [v for i, v in instructions() if i == "ENTRYPOINT"] == ['["hrcase"]']
    exposed = " ".join(v for i, v in instructions() if i == "EXPOSE").split()
    assert exposed == ["6061", "6062", "6063", "6080"]


def test_the_build_context_is_what_the_copies_need_and_no_more() -> None:
    ignore = (ROOT / ".dockerignore").read_text().split()
    admitted = ["*", "!pyproject.toml", "!README.md", "!schemas/", "!services/", "!sitreps/"]
    assert ignore[ignore.index("*"):][:6] == admitted
    copied = {v.split()[0] for i, v in instructions() if i == "COPY"}
    # Every package pyproject.toml ships (an image without sitreps, which services import, cannot start).
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert copied == {"pyproject.toml", *(p.rstrip("*") for p in packages["include"])}
    assert all((ROOT / p).exists() for p in copied)
