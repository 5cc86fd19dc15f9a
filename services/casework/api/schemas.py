"""Every request and response body of the casework API, as marshmallow schemas (the OpenAPI is made from them)."""

from __future__ import annotations

import copy
from typing import Any

from marshmallow import Schema, fields, missing, post_load, validate

from schemas.case import CONSENT_ITEMS, IDENTIFYING_FIELDS
from schemas.incident import IdentitiesSchema, IncidentAsWrittenSchema
from schemas.people import ActSchema, ConsentSchema, PersonOpenSchema
from schemas.text import Text
from schemas.vocabulary import (
    CLOSURE_REASONS,
    DELAY_REASONS,
    FOLLOW_UP_KINDS,
    PERPETRATOR_CATEGORIES,
    ROLES,
    STAGES,
    VIOLATION_TYPES,
)
from services.casework.adapters.search_query import ORDERS as SEARCH_ORDERS
from services.casework.domain.access_grants import DEFAULT_DAYS as DEFAULT_GRANT_DAYS
from services.casework.domain.access_grants import MAX_DAYS as MAX_GRANT_DAYS
from services.casework.domain.access_grants import STATES as ACCESS_STATES
from services.casework.domain.amendments import amendable
from services.casework.domain.people_index import STRENGTHS
from services.casework.domain.schedules import SLA_STATES
from services.casework.domain.summaries import FLAGS as SUMMARY_FLAGS

Out = fields.String  # what the API answers; what it is sent is schemas.text's Text (no control characters)
MAX_TEXT = 4000
required_text = validate.Length(min=1, max=MAX_TEXT)
optional_text = validate.Length(max=MAX_TEXT)


class ErrorSchema(Schema):
    """Every error: a stable machine-readable code and a message for a person; never a stack trace."""

    code = Out(required=True, metadata={"description": "stable: unauthenticated, forbidden, not_found, conflict, "
                                                        "invalid_request, method_not_allowed, internal_error..."})
    message = Out(required=True)
    status = fields.Integer(required=True)
    errors = fields.Dict(metadata={"description": "field name -> messages, for invalid requests"})


# Requests -------------------------------------------------------------------------------------------------

class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CaseListArgs(PageArgs):
    office = Text(validate=validate.Length(min=1, max=40))
    stage = Text(validate=validate.OneOf(STAGES))
    assignee = Text(validate=validate.Length(min=1, max=64))
    sla_state = Text(validate=validate.OneOf(SLA_STATES))


class AlertListArgs(PageArgs):
    state = Text(load_default="open", validate=validate.OneOf(("open", "all")))


class AccessLogArgs(PageArgs):
    case = Text(validate=validate.Length(min=1, max=64), metadata={"description": "case id or reference"})
    username = Text(validate=validate.Length(min=1, max=64))


class NoteBody(Schema):
    note = Text(load_default="", validate=optional_text)


class AssignBody(Schema):
    assignee = Text(required=True, validate=validate.Length(min=1, max=64))


class ActivityBody(Schema):
    description = Text(required=True, validate=required_text)
    at = fields.AwareDateTime(load_default=None, metadata={
        "description": "when the work was done, if before now: not before the case's last change, nor before its "
                       "stall clock's deadline once that has passed"})


class FieldChangeBody(Schema):
    old = fields.Raw(required=True, allow_none=True, metadata={"description": "the value the case holds now"})
    new = fields.Raw(required=True, allow_none=True, metadata={"description": "as the incident would be written"})


def _incident_changes() -> type[Schema]:
    """One optional property per field an amendment may change, its `new` held to the incident-as-written field's
    own rules: the published schema says which fields and which values, and refuses any other field."""
    written = IncidentAsWrittenSchema._declared_fields
    properties: dict[str, fields.Field] = {}
    for name in amendable():
        new = copy.deepcopy(written[name])
        new.required, new.load_default, new.data_key = True, missing, None
        change = Schema.from_dict({"old": fields.Raw(required=True, allow_none=True, metadata={
            "description": "the value the case holds now"}), "new": new}, name=f"Change_{name}")
        properties[name] = fields.Nested(change)
    return Schema.from_dict(properties, name="IncidentChanges")


class TypedAmendment(Schema):
    """An amendment as the web pages' forms give it: each value judged by the workflow, at its field."""

    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChangeBody), required=True,
                          validate=validate.Length(min=1))


class AmendmentBody(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    changes = fields.Nested(_incident_changes(), required=True, validate=validate.Length(min=1), metadata={
        "minProperties": 1,
        "description": "field of the incident -> {old, new}, e.g. {\"location\": {\"old\": \"Sevare\", \"new\": "
                       "\"Mopti\"}}; a rule across fields or against the case as it stands (occurred before it was "
                       "reported, acts naming the case's people) is judged by the workflow"})

    @post_load(pass_original=True)
    def as_written(self, data: dict[str, Any], original: dict[str, Any], **_: object) -> dict[str, Any]:
        # The schema checked each value; the workflow takes them as written (JSON), as the event will carry them.
        return {**data, "changes": original["changes"]}


class AdvanceBody(Schema):
    stage = Text(required=True, validate=validate.OneOf(("investigation", "concluded")))
    note = Text(load_default="", validate=optional_text)


class DelayBody(Schema):
    reason = Text(required=True, validate=validate.OneOf(DELAY_REASONS))
    until = fields.AwareDateTime(required=True, metadata={"description": "at most 30 days ahead"})
    note = Text(load_default="", validate=optional_text)


class ClosureRequestBody(Schema):
    reason = Text(required=True, validate=validate.OneOf(CLOSURE_REASONS))
    note = Text(required=True, validate=required_text)


class RejectBody(Schema):
    note = Text(required=True, validate=required_text)


class FollowUpBody(Schema):
    kind = Text(required=True, validate=validate.OneOf(FOLLOW_UP_KINDS))
    note = Text(load_default="", validate=optional_text)
    partner = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120), metadata={
        "description": "who the case goes to: required for a handover of a case with people, and every person must "
                       "have consented to sharing with this partner (or to referral, for a referral)"})


class ConsentBody(Schema):
    person = Text(required=True, validate=validate.Length(min=1, max=16),
                  metadata={"description": "the person's ref in the case's people (e.g. p1)"})
    consent = fields.Nested(ConsentSchema, required=True, metadata={
        "description": "recorded, contact, share_with (partners), referral, obtained_by (default: you), obtained_at "
                       "(default: now); replaces the person's consent and clears an earlier withdrawal"})


class ConsentWithdrawalBody(Schema):
    person = Text(required=True, validate=validate.Length(min=1, max=16))
    withdrawn = fields.List(Text(validate=validate.OneOf(("all", *CONSENT_ITEMS))), required=True,
                            validate=validate.Length(min=1), metadata={"description": "all, or some of "
                                                                                      + ", ".join(CONSENT_ITEMS)})
    partners = fields.List(Text(validate=validate.Length(min=1, max=120)), load_default=list,
                           metadata={"description": "with share_with: only these partners (default: every one)"})
    withdrawn_at = fields.AwareDateTime(load_default=None, metadata={"description": "when (default: now)"})
    note = Text(load_default="", validate=optional_text)


class IdentityCorrectionBody(Schema):
    """The identifying fields to correct (each one given replaces the person's; one left out is kept), and why."""

    reason = Text(required=True, validate=validate.Length(min=1, max=500),
                  metadata={"description": "why (shown in the history, beside the names of the fields corrected)"})
    names = fields.List(Text(validate=validate.Length(min=1, max=200)), validate=validate.Length(min=1, max=20),
                        metadata={"sensitive": True, "description": "every name, the main one first, then spelling "
                                                                    "variants: replaces the list held"})
    date_of_birth = fields.Date(allow_none=True, metadata={"sensitive": True, "description": "null clears it"})
    contact = Text(allow_none=True, validate=validate.Length(max=200),
                   metadata={"sensitive": True, "description": "null clears it"})

    # None of the three given is schema-valid JSON that the workflow refuses (400 naming `names`): JSON Schema cannot
    # say "at least one of" these properties without an anyOf the published schema does not carry.

    @post_load(pass_original=True)
    def as_written(self, data: dict[str, Any], original: dict[str, Any], **_: object) -> dict[str, Any]:
        # Checked here; the workflow takes the values in their JSON form, as the sealed identity keeps them.
        person = {"person": data["person"]} if "person" in data else {}
        return {"reason": data["reason"], "given": {k: original[k] for k in IDENTIFYING_FIELDS if k in original},
                **person}


class PersonIdentityCorrectionBody(IdentityCorrectionBody):
    """The web page's form of a correction: the person travels in the body, not the path."""

    person = Text(required=True, validate=validate.Length(min=1, max=16))


class ReopenBody(Schema):
    reason = Text(required=True, validate=required_text)


class PreferencesBody(Schema):
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    mode = Text(load_default="immediate", validate=validate.OneOf(("immediate", "digest")),
                metadata={"description": "immediate: one message per alert; digest: one a day"})


class PreferencesSchema(PreferencesBody):
    webhook_url = Out(allow_none=True, metadata={
        "description": "set by an administrator (`hrcase users alerts --webhook`), never through the API"})


# Responses ------------------------------------------------------------------------------------------------

class PageSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


class DeadlineSchema(Schema):
    clock = Out(required=True)
    due_at = fields.AwareDateTime(required=True)
    seconds_left = fields.Integer(required=True, metadata={"description": "negative when overdue"})
    paused_until = fields.AwareDateTime(allow_none=True)


class ClosureSchema(Schema):
    proposer = Out(required=True)
    reason = Out(required=True)
    note = Out(required=True)
    previous_stage = Out(required=True)
    requested_at = fields.AwareDateTime(required=True)


class DelaySchema(Schema):
    reason = Out(required=True)
    until = fields.AwareDateTime(required=True)
    note = Out(required=True)
    at = fields.AwareDateTime(required=True)


class CaseSummarySchema(Schema):
    case_id = Out(required=True)
    reference = Out(required=True)
    office = Out(required=True)
    stage = Out(required=True, validate=validate.OneOf(STAGES))
    assignee = Out(required=True, allow_none=True)
    reported_at = fields.AwareDateTime(required=True)
    recorded_at = fields.AwareDateTime(required=True, allow_none=True)
    last_activity_at = fields.AwareDateTime(required=True, allow_none=True)
    sla_state = Out(required=True, validate=validate.OneOf(SLA_STATES))
    next_deadline = fields.Nested(DeadlineSchema, required=True, allow_none=True)
    closure = fields.Nested(ClosureSchema, required=True, allow_none=True)


class DetailsSchema(Schema):
    sitrep_id = Out()
    occurred_at = fields.AwareDateTime()
    location = Out()
    violation_types = fields.List(Out(validate=validate.OneOf(VIOLATION_TYPES)))
    perpetrator_category = Out(validate=validate.OneOf(PERPETRATOR_CATEGORIES))
    victims = fields.Dict(keys=Out(), values=fields.Integer(), metadata={"description": "counts by sex and age"})
    source_type = Out()
    summary = Out()


class HistoryEntrySchema(Schema):
    event_id = Out(required=True)
    type = Out(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    actor = Out(required=True)
    payload = fields.Dict(required=True, metadata={"description": "the case event as published"})


class PersonOutSchema(PersonOpenSchema):
    """A victim, witness or source of the case: open attributes and consent for every reader; names, date of birth
    and contact only for those who see the case's identities."""

    names = fields.List(Out(), required=True, allow_none=True, metadata={
        "description": "main name first, then spelling variants; null when redacted"})
    date_of_birth = fields.Date(required=True, allow_none=True)
    contact = Out(required=True, allow_none=True)
    identity_redacted = fields.Boolean(required=True)


class CaseDetailSchema(CaseSummarySchema):
    incident_key = Out(required=True)
    last_review_at = fields.AwareDateTime(required=True, allow_none=True)
    delay = fields.Nested(DelaySchema, required=True, allow_none=True)
    follow_ups = fields.List(Out(), required=True)
    possible_duplicates = fields.List(Out(), required=True)
    closed_at = fields.AwareDateTime(required=True, allow_none=True)
    approved_by = Out(required=True, allow_none=True)
    version = fields.Integer(required=True)
    merged_into = Out(required=True, allow_none=True, metadata={
        "description": "the reference of the case this one was merged into, as the same incident (ADR 0022)"})
    merged_from = fields.List(Out(), required=True, metadata={"description": "references of cases merged into it"})
    details = fields.Nested(DetailsSchema, required=True)
    identities = fields.Nested(IdentitiesSchema, required=True, allow_none=True, metadata={
        "description": "victims, witnesses, sources: only for the assigned HRO, their Team Leader and the "
                       "Directors of the case's office; null (redacted) for everyone else"})
    identities_redacted = fields.Boolean(required=True)
    people = fields.List(fields.Nested(PersonOutSchema), required=True)
    acts = fields.List(fields.Nested(ActSchema), required=True, metadata={"description": "who did what to whom"})
    place_pcode = Out(required=True, allow_none=True, metadata={"description": "P-code in the gazetteer"})
    place_free_text = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "true when the location named no unit of the gazetteer (flagged)"})
    region = Out(required=True, allow_none=True, metadata={"description": "the region of place_pcode"})
    latitude = fields.Float(required=True, allow_none=True)
    longitude = fields.Float(required=True, allow_none=True)
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)


class EmittedEventSchema(Schema):
    event_id = Out(required=True)
    type = Out(required=True)
    occurred_at = fields.AwareDateTime(required=True)


class CommandResultSchema(Schema):
    case = fields.Nested(CaseSummarySchema, required=True)
    events = fields.List(fields.Nested(EmittedEventSchema), required=True)


class DeliverySchema(Schema):
    channel = Out(required=True, validate=validate.OneOf(("email", "webhook")))
    digest = fields.Boolean(required=True)
    status = Out(required=True, validate=validate.OneOf(("pending", "sent", "failed")))
    attempts = fields.Integer(required=True)
    delivered_at = fields.AwareDateTime(required=True, allow_none=True)
    last_error = Out(required=True)


class AlertSchema(Schema):
    alert_id = Out(required=True)
    case_id = Out(required=True)
    reference = Out(required=True)
    office = Out(required=True)
    kind = Out(required=True)
    level = Out(required=True)
    recipient_role = Out(required=True)
    assignee = Out(required=True, allow_none=True)
    period = fields.Integer(required=True)
    due_at = fields.AwareDateTime(required=True)
    opened_at = fields.AwareDateTime(required=True)
    message = Out(required=True)
    state = Out(required=True, validate=validate.OneOf(("open", "acknowledged", "resolved")))
    acknowledged_by = Out(required=True, allow_none=True)
    acknowledged_at = fields.AwareDateTime(required=True, allow_none=True)
    resolved_at = fields.AwareDateTime(required=True, allow_none=True)
    reminders = fields.Integer(required=True, metadata={
        "description": "the SLA events this alert holds (one per case and clock): its first, each new level and "
                       "each repeated breach; acknowledging it acknowledges them all"})
    latest_at = fields.AwareDateTime(required=True, metadata={"description": "when the latest of them came"})
    recipients = fields.List(Out(), required=True, metadata={
        "description": "the roles it has reached (hro, team_leader, director): each of them sees it"})
    clock_state = Text(required=True, allow_none=True, validate=validate.OneOf(SLA_STATES), metadata={
        "description": "an open alert's clock now, from the monitor's schedule (`overdue` once its goal has come, "
                       "whatever level opened the alert); null when the alert is closed or its clock stopped"})
    clock_due_at = fields.AwareDateTime(required=True, allow_none=True, metadata={
        "description": "when the clock's goal falls due, from the monitor's schedule (a warning's `due_at` is the "
                       "warning's own instant)"})
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True,
                             metadata={"description": "how this alert reached you (e-mail, webhook)"})


class AlertPageSchema(PageSchema):
    items = fields.List(fields.Nested(AlertSchema), required=True)


class WorkItemSchema(Schema):
    case_id = Out(required=True)
    reference = Out(required=True)
    office = Out(required=True)
    level = Out(required=True, metadata={"description": "the highest level of the case's alerts"})
    due_at = fields.AwareDateTime(required=True, metadata={"description": "the due of the case's most urgent alert"})
    alerts = fields.List(fields.Nested(AlertSchema), required=True)


class WorklistSchema(PageSchema):
    items = fields.List(fields.Nested(WorkItemSchema), required=True, metadata={
        "description": "one item per case, ranked by its most urgent alert: its level (escalation, breach, review, "
                       "warning), then its due, first due first"})
    total_is_exact = fields.Boolean(required=True, metadata={
        "description": "false when there are more cases than `total` (counted up to 999, or the page's end)"})


class AcknowledgeResultSchema(Schema):
    alert = fields.Nested(AlertSchema, required=True)
    events = fields.List(fields.Nested(EmittedEventSchema), required=True)


class ClosureQueueItemSchema(CaseSummarySchema):
    you_may_decide = fields.Boolean(required=True, metadata={"description": "false for the proposer (four eyes)"})


class ClosureQueueSchema(PageSchema):
    items = fields.List(fields.Nested(ClosureQueueItemSchema), required=True)


class IncidentQueuedSchema(Schema):
    incident_key = Out(required=True)
    status = Out(required=True, metadata={"description": "queued: intake validates it like a sitrep line"})
    topic = Out(required=True)


class AccessEntrySchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    username = Out(required=True, allow_none=True)
    role = Out(required=True, allow_none=True)
    office = Out(required=True, allow_none=True)
    remote_addr = Out(required=True, allow_none=True)
    method = Out(required=True)
    endpoint = Out(required=True)
    case_id = Out(required=True, allow_none=True)
    reference = Out(required=True, allow_none=True)
    action = Out(required=True, validate=validate.OneOf(("read", "change")))
    status = fields.Integer(required=True)
    identities_shown = fields.Boolean(required=True)
    reason = Text(required=True, allow_none=True, metadata={
        "description": "Why a Director opened the case's identities to decide its closure (ADR 13); else null"})


# At least ten characters between the first and the last that are not blank: stated as a pattern, so that the
# published schema says what the server checks (schemas.text's Text refuses control characters).
A_REASON = validate.Regexp(r"^\s*\S[\s\S]{8,}\S", error="give a reason of at least 10 characters")


class OpeningBody(Schema):
    reason = Text(required=True, validate=[validate.Length(min=10, max=500), A_REASON], metadata={
        "description": "Why you need the identities for this decision: recorded in the access log, shown to the "
                       "office's Team Leader"})


class OpeningSchema(Schema):
    at = fields.AwareDateTime(required=True)
    username = Text(required=True)
    role = Text(required=True)
    office = Text(required=True)
    reason = Text(required=True)


class OpeningsSchema(Schema):
    items = fields.List(fields.Nested(OpeningSchema), required=True)


class AccessLogPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccessEntrySchema), required=True)


class MeSchema(Schema):
    username = Out(required=True)
    role = Out(required=True, validate=validate.OneOf(ROLES))
    office = Out(required=True)
    display_name = Out(required=True)
    credential = Out(required=True)
    alert_preferences = fields.Nested(PreferencesSchema, required=True)


class HealthSchema(Schema):
    status = Out(required=True)
    service = Out(required=True)


# Finding a person across cases (ADR 23) ----------------------------------------------------------------------

class LookupBody(Schema):
    """Sent in a POST body, never a URL: names do not reach addresses or access logs."""

    # Each name needs a word of two letters or digits (what the blind index keeps of a name), said in the
    # published schema as a pattern so that a client knows it before sending.
    names = fields.List(Text(validate=[validate.Length(min=1, max=200), validate.Regexp(
                            r"[^\W_]{2}", error="give at least one word of two letters or more")]),
                        required=True, validate=validate.Length(min=1, max=10), metadata={
                            "description": "the person's name, and any spelling variants as further names"})
    birth_year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1880, max=2100))


class AccessRequestBody(LookupBody):
    office = Text(required=True, validate=validate.Length(min=1, max=40),
                  metadata={"description": "the office whose matching cases you ask to read"})
    reason = Text(required=True, validate=[validate.Length(min=10, max=500), A_REASON], metadata={
        "description": "why you need to read them: shown to that office's Team Leaders"})


class AccessDecisionBody(Schema):
    grant = fields.Boolean(required=True)
    # Every decision on another office's access says why, a grant as much as a refusal: both are read in audits.
    reason = Text(required=True, validate=[validate.Length(min=1, max=500),
                                           validate.Regexp(r"\S", error="say why you decide so")],
                  metadata={"description": "why you grant or refuse: shown to the requester"})
    days = fields.Integer(load_default=DEFAULT_GRANT_DAYS, validate=validate.Range(min=1, max=MAX_GRANT_DAYS),
                          metadata={"description": "how long a grant lets the requester read (ignored on a refusal)"})


class RevocationBody(Schema):
    reason = Text(required=True, validate=[validate.Length(min=1, max=500),
                                           validate.Regexp(r"\S", error="say why you revoke it")],
                  metadata={"description": "why the grant ends early: shown to the requester"})


class LookupMatchSchema(Schema):
    reference = Out(required=True)
    office = Out(required=True)
    strength = Out(required=True, validate=validate.OneOf(STRENGTHS), metadata={
        "description": "name_year: a name with the birth year; all_tokens: every word of a name; some_tokens"})
    granted = fields.Boolean(required=True, metadata={"description": "readable through a granted access request"})


class ElsewhereSchema(Schema):
    office = Out(required=True)
    cases = fields.Integer(required=True, metadata={"description": "matching cases of that office you may not read"})


class LookupSchema(Schema):
    matches = fields.List(fields.Nested(LookupMatchSchema), required=True,
                          metadata={"description": "cases you may read, strongest match first (at most 200)"})
    matches_total = fields.Integer(required=True)
    elsewhere = fields.List(fields.Nested(ElsewhereSchema), required=True,
                            metadata={"description": "counts only: no reference, nothing identifying"})
    elsewhere_total = fields.Integer(required=True)


class AccessRequestSchema(Schema):
    request_id = Out(required=True)
    requester = Out(required=True)
    office = Out(required=True)
    cases = fields.Integer(required=True)
    references = fields.List(Out(), required=True, metadata={
        "description": "for the office's Team Leaders, and for the requester once granted; else empty"})
    reason = Out(required=True)
    at = fields.AwareDateTime(required=True)
    status = Out(required=True, validate=validate.OneOf(ACCESS_STATES), metadata={
        "description": "expired: a grant past its end (expires_at); revoked: ended earlier by a Team Leader"})
    decided_by = Out(required=True, allow_none=True)
    decided_at = fields.AwareDateTime(required=True, allow_none=True)
    decision_reason = Out(required=True, allow_none=True)
    expires_at = fields.AwareDateTime(required=True, allow_none=True, metadata={
        "description": "a grant's end: the requester reads the cases until then"})
    revoked_by = Out(required=True, allow_none=True)
    revoked_at = fields.AwareDateTime(required=True, allow_none=True)
    revocation_reason = Out(required=True, allow_none=True)


class AccessRequestsSchema(Schema):
    yours = fields.List(fields.Nested(AccessRequestSchema), required=True)
    to_decide = fields.List(fields.Nested(AccessRequestSchema), required=True,
                            metadata={"description": "pending requests for your office (Team Leaders)"})
    in_force = fields.List(fields.Nested(AccessRequestSchema), required=True, metadata={
        "description": "your office's grants still in force, soonest to end first (Team Leaders): to revoke early"})

# Search (ADR 0021) -----------------------------------------------------------------------------------------

class SearchFilterArgs(Schema):
    q = Text(validate=validate.Length(min=1, max=200), metadata={
        "description": "words searched in summaries, places, activity notes and closure reasons (never identities), "
                       "without regard to accents or case, by their French and English stems; every word must match"})
    office = Text(validate=validate.Length(min=1, max=40))
    stage = Text(validate=validate.OneOf(STAGES))
    sla_state = Text(validate=validate.OneOf(SLA_STATES))
    violation = Text(validate=validate.OneOf(VIOLATION_TYPES))
    perpetrator = Text(validate=validate.OneOf(PERPETRATOR_CATEGORIES))
    place_pcode = Text(validate=validate.Length(min=1, max=16))
    region_pcode = Text(validate=validate.Length(min=1, max=16))
    reported_from = fields.Date(metadata={"description": "reported on or after this day (UTC)"})
    reported_to = fields.Date(metadata={"description": "reported on or before this day (UTC)"})
    occurred_from = fields.Date()
    occurred_to = fields.Date()
    assignee = Text(validate=validate.Length(min=1, max=64))
    flag = fields.List(Text(validate=validate.OneOf(SUMMARY_FLAGS)), load_default=list, metadata={
        "description": "cases with every flag named (repeat the parameter)"})


class SearchArgs(PageArgs, SearchFilterArgs):
    pass


class HighlightSchema(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True, metadata={"description": "exclusive, in characters of the excerpt"})


class ExcerptSchema(Schema):
    text = Out(required=True, metadata={"description": "plain text: escape it before showing it"})
    source = Out(required=True, validate=validate.OneOf(("summary", "place", "notes")))
    highlights = fields.List(fields.Nested(HighlightSchema), required=True, metadata={
        "description": "where the searched words are in `text`"})


class SearchHitSchema(Schema):
    case_id = Out(required=True)
    reference = Out(required=True)
    office = Out(required=True)
    stage = Out(required=True, validate=validate.OneOf(STAGES))
    assignee = Out(required=True, allow_none=True)
    reported_at = fields.AwareDateTime(required=True)
    occurred_at = fields.AwareDateTime(required=True, allow_none=True)
    place = Out(required=True)
    place_pcode = Out(required=True, allow_none=True)
    region_pcode = Out(required=True, allow_none=True)
    region = Out(required=True, allow_none=True, metadata={"description": "the region's name"})
    violations = fields.List(Out(), required=True)
    perpetrator = Out(required=True, allow_none=True)
    sla_state = Out(required=True, validate=validate.OneOf(SLA_STATES))
    next_due_at = fields.AwareDateTime(required=True, allow_none=True)
    flags = fields.List(Out(), required=True)
    excerpt = fields.Nested(ExcerptSchema, required=True)


class SearchPageSchema(PageSchema):
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    total_is_exact = fields.Boolean(required=True, metadata={
        "description": "false when more than `total` cases match: the server counts no further (ADR 0026)"})
    order = Out(required=True, validate=validate.OneOf(SEARCH_ORDERS), metadata={
        "description": "best_match: ranked by the words; most_urgent: the nearest deadline first (no words)"})
    ranked_over = fields.Integer(required=True, allow_none=True, metadata={
        "description": "null when every match is in `order`; otherwise the words match more cases than the counting "
                       "bound and the results are the first this many matches found (the index's latest documents "
                       "first), ranked among themselves: there are no results past them (ADR 0026)"})
    facets = fields.Dict(keys=Out(), values=fields.Dict(keys=Out(), values=fields.Integer()), required=True,
                         metadata={"description": "per facet (office, stage, sla_state, violation, perpetrator, "
                                                  "region), how many of the first `facets_over` results have each "
                                                  "value (a case counts once per violation)"})
    facets_over = fields.Integer(required=True, metadata={
        "description": "the facet counts cover the first this many results in `order`: every match when it equals "
                       "`total` and `total_is_exact`"})
