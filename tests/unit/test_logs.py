"""Logs for operators: an outage told at its start, in a reminder a minute and at its end; JSON lines or text."""

from __future__ import annotations

import io
import json
import logging
import smtplib
from collections.abc import Iterator

import pytest
from kafka.errors import KafkaConnectionError
from sqlalchemy.exc import OperationalError

from services.logs import OutageLog, component_of, log_context, setup_logging

DOWN = OperationalError("SELECT 1", {}, Exception("connection refused\nIs the server running?"))


@pytest.fixture(autouse=True)
def _root_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def captured() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("test.outage")
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def test_an_outage_is_logged_when_it_starts_once_a_minute_while_it_lasts_and_when_it_ends(
        captured: list[logging.LogRecord]) -> None:
    outage = OutageLog("relay of casework", logging.getLogger("test.outage"), remind_every=60)
    now = 1000.0
    for _ in range(300):  # five retries a second for a minute
        outage.failed(DOWN, now)
        now += 0.2
    outage.failed(DOWN, now)
    now += 15
    outage.recovered(now)
    outage.recovered(now + 1)  # working normally: nothing to say

    messages = [r.getMessage() for r in captured]
    assert len(messages) == 3, messages
    start, reminder, end = messages
    assert start.startswith("database unavailable: relay of casework failed (OperationalError: ")
    assert "\n" not in start, "the message is one line; the traceback goes with the record, once"
    assert captured[0].exc_info is not None and captured[1].exc_info is None and captured[2].exc_info is None
    assert reminder.startswith("database still unavailable after 60 s: relay of casework failed 301 times")
    assert end == "database available again after 75 s: relay of casework resumed after 301 failed attempts"


def test_a_second_outage_starts_afresh(captured: list[logging.LogRecord]) -> None:
    outage = OutageLog("SLA tick", logging.getLogger("test.outage"))
    outage.failed(DOWN, 0.0)
    outage.recovered(5.0)
    outage.failed(DOWN, 100.0)
    outage.failed(DOWN, 159.0)
    outage.recovered(160.0)
    assert [r.getMessage().split(":")[0] for r in captured] == [
        "database unavailable", "database available again after 5 s", "database unavailable",
        "database available again after 60 s"]


def test_when_another_component_fails_the_first_outage_ends_and_the_next_starts_naming_it(
        captured: list[logging.LogRecord]) -> None:
    outage = OutageLog("relay of intake", logging.getLogger("test.outage"))
    outage.failed(DOWN, 0.0)
    outage.failed(KafkaConnectionError(), 10.0)
    assert [r.getMessage().split(" (")[0] for r in captured] == [
        "database unavailable: relay of intake failed",
        "database available again after 10 s: relay of intake resumed after 1 failed attempts",
        "Kafka unavailable: relay of intake failed"]


@pytest.mark.parametrize(("error", "component"), [
    (DOWN, "database"), (KafkaConnectionError(), "Kafka"), (smtplib.SMTPServerDisconnected("gone"), "SMTP"),
    (ValueError("what"), "unknown component")])
def test_the_component_is_named_by_the_library_that_failed(error: BaseException, component: str) -> None:
    assert component_of(error) == component


def test_an_error_raised_from_a_database_error_names_the_database() -> None:
    try:
        try:
            raise DOWN
        except OperationalError as exc:
            raise RuntimeError("batch failed") from exc
    except RuntimeError as wrapped:
        assert component_of(wrapped) == "database"


def test_json_logs_are_one_object_a_line_with_the_service_and_the_events_context() -> None:
    out = io.StringIO()
    setup_logging("casework", logging.INFO, "json", stream=out, force=True)
    log = logging.getLogger("services.casework.handlers")
    with log_context(event_type="IncidentAccepted", event_id="e-1", correlation_id="c-1"):
        log.info("case %s registered", "GAO-2026-0001", extra={"case_reference": "GAO-2026-0001"})
    try:
        raise DOWN
    except OperationalError:
        log.warning("database away", exc_info=True)
    log.debug("not at INFO")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert set(first) == {"time", "level", "service", "logger", "message", "event_type", "event_id",
                          "correlation_id", "case_reference"}
    assert (first["level"], first["service"], first["logger"], first["message"]) == (
        "INFO", "casework", "services.casework.handlers", "case GAO-2026-0001 registered")
    assert (first["event_type"], first["event_id"], first["correlation_id"]) == ("IncidentAccepted", "e-1", "c-1")
    assert first["time"].endswith("+00:00")
    assert "event_type" not in second, "the context ends with its block"
    assert second["error"].startswith("OperationalError: ") and "Traceback" in second["traceback"]


def test_text_logs_read_on_a_terminal_and_name_the_service() -> None:
    out = io.StringIO()
    setup_logging("intake", "info", None, stream=out, force=True)
    logging.getLogger("services.intake.handlers").info("record %s rejected", "sitrep-incidents/0/7")
    line = out.getvalue().strip()
    assert line.endswith("INFO intake services.intake.handlers: record sitrep-incidents/0/7 rejected")
    assert not line.startswith("{")


def test_an_unknown_log_format_is_an_error_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="HRCASE_LOG_FORMAT"):
        setup_logging("intake", logging.INFO, "xml")


def test_setting_up_again_replaces_only_its_own_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    others = [h for h in root.handlers]
    setup_logging("hrcase", logging.WARNING, "text", stream=first, force=True)
    setup_logging("casework", logging.INFO, "json", stream=second, force=True)
    logging.getLogger("services.casework").info("started")
    assert first.getvalue() == "" and json.loads(second.getvalue())["service"] == "casework"
    assert [h for h in root.handlers if h in others] == others


def test_where_someone_else_set_logging_up_it_is_left_alone_unless_forced() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    theirs = logging.StreamHandler(io.StringIO())
    root.addHandler(theirs)
    setup_logging("hrcase", logging.INFO, "json", stream=out)
    logging.getLogger("services").warning("seen by theirs only")
    assert out.getvalue() == "" and not any(getattr(h, "hrcase_setup", False) for h in root.handlers)
