"""The clock registry: its clocks are the wire vocabulary's, and the rules the monitor uses come from it."""

from __future__ import annotations

from schemas.vocabulary import CLOCKS as WIRE_CLOCKS
from services.sla_monitor.domain.clocks import CASE_EVENT_TYPES
from services.sla_monitor.domain.registry import CLOCKS, CONTEXT_ONLY


def test_the_registry_declares_exactly_the_clocks_of_the_wire_vocabulary_in_its_order() -> None:
    assert tuple(CLOCKS) == WIRE_CLOCKS


def test_the_case_event_types_the_monitor_reads_are_the_registrys_and_the_context_only_ones() -> None:
    named = {t for spec in CLOCKS.values() for t in (*spec.restarts, *spec.stops, *spec.pauses)}
    assert named | set(CONTEXT_ONLY) == CASE_EVENT_TYPES


def test_every_level_a_clock_can_reach_has_a_recipient() -> None:
    for spec in CLOCKS.values():
        assert "breach" in spec.recipients, spec.name
        assert set(spec.recipients) <= {"warning", "breach", "escalation"}
