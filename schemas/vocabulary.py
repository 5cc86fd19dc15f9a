"""Controlled vocabularies shared by every service (violation types, perpetrators, sources, stages)."""

from __future__ import annotations

VIOLATION_TYPES = (
    "killing",
    "injury",
    "abduction",
    "enforced_disappearance",
    "arbitrary_detention",
    "torture",
    "sexual_violence",
    "recruitment_of_children",
    "attack_on_civilians",
    "forced_displacement",
    "destruction_of_property",
    "threats_and_intimidation",
    "other",
)

PERPETRATOR_CATEGORIES = (
    "state_armed_forces",
    "state_security_forces",
    "international_forces",
    "armed_group",
    "community_militia",
    "unidentified",
    "other",
)

SOURCE_TYPES = ("victim", "direct_witness", "indirect_witness", "ngo", "media", "official", "other")

STAGES = ("reported", "preliminary", "investigation", "concluded", "closure_requested", "closed")
OPEN_STAGES = ("preliminary", "investigation", "concluded")

CLOSURE_REASONS = ("concluded", "unsubstantiated", "duplicate", "merged")
DELAY_REASONS = ("access_constraints", "security", "awaiting_information", "other")
FOLLOW_UP_KINDS = ("handover_national_authorities", "referral_to_services", "advocacy", "public_report", "other")

ROLES = ("hro", "team_leader", "director", "auditor", "admin")
CLOCKS = ("recording", "stall", "review", "closure_approval")
SLA_LEVELS = ("warning", "breach", "escalation", "cleared")
CLOCK_STATES = ("running", "paused", "stopped")  # SlaScheduled.state
CLOCK_OUTCOMES = ("met", "missed")  # a stopped clock: before its due instant, or at or after it
