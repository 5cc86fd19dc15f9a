"""The `log` fixture: every contract test runs once on the embedded log and once on the real Kafka broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.logs import EmbeddedLogUnderTest, KafkaLogUnderTest, LogUnderTest


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogUnderTest]:
    adapter: EmbeddedLogUnderTest | KafkaLogUnderTest
    if request.param == "embedded":
        adapter = EmbeddedLogUnderTest(tmp_path / "log.sqlite")
    else:
        adapter = KafkaLogUnderTest(request.getfixturevalue("kafka_bootstrap"))
    try:
        yield adapter
    finally:
        adapter.close()
