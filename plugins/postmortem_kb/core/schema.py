"""The front-matter schema of a post-mortem: every field authors write, as pydantic v2 models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from .regulations import RegulationRegistry

# --- vocabularies -----------------------------------------------------------------------------

UNKNOWN = "unknown"
"""What a historical (imported) or draft record writes where its source did not record a value;
a published post-mortem that is not historical must know every such field (validation)."""


class Status(StrEnum):
    """Lifecycle of the post-mortem document (not of the incident)."""

    DRAFT = "draft"
    IN_REVIEW = "in-review"
    PUBLISHED = "published"


class Severity(StrEnum):
    """SEV-1 revenue impact, SEV-2 customer impact, SEV-3 internal impact, near-miss none."""

    SEV1 = "SEV-1"
    SEV2 = "SEV-2"
    SEV3 = "SEV-3"
    NEAR_MISS = "near-miss"
    UNKNOWN = "unknown"


class DetectionMethod(StrEnum):
    """How the incident was found."""

    MONITORING = "monitoring"
    CUSTOMER_REPORT = "customer-report"
    INTERNAL_DISCOVERY = "internal-discovery"
    UNKNOWN = "unknown"


class RootCauseCategory(StrEnum):
    """The protocol's four root-cause categories."""

    TECHNICAL = "technical"
    PROCESS = "process"
    PEOPLE = "people"
    ORGANIZATIONAL = "organizational"


class Industry(StrEnum):
    """The industries of the template's regulation table."""

    FINTECH = "fintech"
    HEALTHCARE = "healthcare"
    SAAS = "saas"
    E_COMMERCE = "e-commerce"
    MANUFACTURING = "manufacturing"
    OTHER = "other"


class Priority(StrEnum):
    """P0: before the next business day; P1: within a week; P2: within a sprint or month."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    UNKNOWN = "unknown"


PRIORITY_ALIASES: dict[str, Priority] = {
    # The protocol's priorities ...
    "critical": Priority.P0,
    "high": Priority.P1,
    "medium": Priority.P2,
    "low": Priority.P2,
    # ... and its horizons (immediate: 24 h, short-term: 1 week, medium/long-term: month/quarter).
    "immediate": Priority.P0,
    "short-term": Priority.P1,
    "medium-term": Priority.P2,
    "long-term": Priority.P2,
    # ... and a value the source did not record (historical and draft records only).
    UNKNOWN: Priority.UNKNOWN,
}


class ActionStatus(StrEnum):
    """Where an action item stands; 'overdue' is derived from the due date, never written."""

    OPEN = "open"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    """The source did not say (historical and draft records only)."""


class TimelineKind(StrEnum):
    """Optional tag of a timeline entry, from the protocol's timeline elements."""

    TRIGGER = "trigger"
    DETECTION = "detection"
    ESCALATION = "escalation"
    INVESTIGATION = "investigation"
    MITIGATION = "mitigation"
    RESOLUTION = "resolution"
    COMMUNICATION = "communication"
    ACTION = "action"


CONTRIBUTING_FACTORS: dict[str, str] = {
    "monitoring": "Missing/inadequate monitoring",
    "testing": "Insufficient testing",
    "documentation": "Documentation gaps",
    "process_not_followed": "Process not followed",
    "knowledge_concentration": "Knowledge concentration (bus factor)",
    "capacity": "Capacity/scaling limits",
    "third_party": "Third-party dependency",
    "communication": "Communication breakdown",
    "change_management": "Change management failure",
    "technical_debt": "Technical debt",
}
"""The template's ten contributing factors: front-matter key -> label."""

RECURRENCE_CHECKS: dict[str, str] = {
    "monitoring": "Monitoring added/improved for this failure mode",
    "runbook": "Runbook created/updated",
    "tests": "Test coverage added",
    "architecture_change": "Architecture change needed (RFC created)",
    "training": "Training needed for team",
}
"""The template's recurrence-prevention checklist: front-matter key -> label."""

# --- field types ------------------------------------------------------------------------------

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


def id_key(incident_id: str) -> str:
    """The form in which incident ids are compared and looked up: ids are case-insensitive
    (`INC-1` and `inc-1` are one incident), everywhere that finds an incident by its id."""
    return incident_id.lower()


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
IncidentId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
ServiceName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
]
Count = Annotated[int, Field(ge=0)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A non-negative finite quantity (hours, minutes): .inf and .nan would poison every total."""


def _unknown_is_none(value: Any) -> Any:
    """`unknown` (any case) read as not recorded: None."""
    if isinstance(value, str) and value.strip().lower() == UNKNOWN:
        return None
    return value


def _unknown_is_empty(value: Any) -> Any:
    """`unknown` (any case) for a list read as an empty list (nobody / nothing recorded)."""
    if isinstance(value, str) and value.strip().lower() == UNKNOWN:
        return []
    return value


def _unknown_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"const": UNKNOWN}]}


MaybeMoment = Annotated[
    AwareDatetime | None,
    BeforeValidator(_unknown_is_none),
    WithJsonSchema(_unknown_schema({"type": "string", "format": "date-time"})),
]
"""A timestamp with a UTC offset, or `unknown` / omitted: not recorded."""
MaybeDate = Annotated[
    dt.date | None,
    BeforeValidator(_unknown_is_none),
    WithJsonSchema(_unknown_schema({"type": "string", "format": "date"})),
]
"""A date, or `unknown` / omitted: not recorded."""
MaybeOwner = Annotated[
    ShortText | None,
    BeforeValidator(_unknown_is_none),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200}),
]
"""An owner's name; `unknown` or omitted: not recorded (never a person called 'unknown')."""


def _normalise_priority(value: Any) -> Any:
    if isinstance(value, str):
        return PRIORITY_ALIASES.get(value.strip().lower(), value.strip().upper())
    return value


def _known_regulation(code: str, info: ValidationInfo) -> str:
    """Canonicalise a regulation code against the registry passed as validation context."""
    registry = (info.context or {}).get("regulations") or RegulationRegistry()
    regulation = registry.lookup(code)
    if regulation is None:
        known = ", ".join(registry.codes)
        raise ValueError(
            f"unknown regulation {code!r}; known: {known} (more can be added under the"
            " plugin's 'regulations' option)"
        )
    return str(regulation.code)


RegulationCode = Annotated[str, AfterValidator(_known_regulation)]


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# --- models -----------------------------------------------------------------------------------


class Impact(_Model):
    """Scope and business impact (protocol step 2; template incident summary)."""

    users_affected: Count | None = None
    requests_failed: Count | None = None
    transactions_failed: Count | None = None
    revenue_lost: Money | None = None
    downtime_minutes: Amount | None = None
    sla_breached: bool = False
    slo_breached: bool = False
    description: Text | None = None


class TimelineEntry(_Model):
    """One event of the incident timeline."""

    at: AwareDatetime
    event: Text
    kind: TimelineKind | None = None


class Why(_Model):
    """One step of the 5 Whys."""

    question: Text
    answer: Text


class RootCause(_Model):
    """The root cause and its category (protocol step 3)."""

    category: RootCauseCategory
    summary: Text


class FactorScore(_Model):
    """A contributing factor scored 0 (not a factor) to 3 (primary contributor)."""

    score: Annotated[int, Field(ge=0, le=3)]
    notes: Text | None = None


def _factor(value: Any) -> Any:
    return {"score": value} if isinstance(value, int) and not isinstance(value, bool) else value


Factor = Annotated[FactorScore, BeforeValidator(_factor)]


class ContributingFactors(_Model):
    """The template's ten contributing factors; each an integer 0-3 or {score, notes}."""

    monitoring: Factor = FactorScore(score=0)
    testing: Factor = FactorScore(score=0)
    documentation: Factor = FactorScore(score=0)
    process_not_followed: Factor = FactorScore(score=0)
    knowledge_concentration: Factor = FactorScore(score=0)
    capacity: Factor = FactorScore(score=0)
    third_party: Factor = FactorScore(score=0)
    communication: Factor = FactorScore(score=0)
    change_management: Factor = FactorScore(score=0)
    technical_debt: Factor = FactorScore(score=0)

    def scores(self) -> dict[str, FactorScore]:
        """Every factor by key, in the template's order."""
        return {key: getattr(self, key) for key in CONTRIBUTING_FACTORS}


class ActionItem(_Model):
    """A remediation task (protocol step 5 template; template section 6)."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    action: Text
    owner: MaybeOwner = None
    due: MaybeDate = None
    priority: Annotated[Priority, BeforeValidator(_normalise_priority)]
    status: ActionStatus = ActionStatus.OPEN
    success_criteria: Text | None = None
    dependencies: list[ShortText] = []
    completed: dt.date | None = None
    tracker: AnyHttpUrl | None = None


class RecurrencePrevention(_Model):
    """The template's recurrence-prevention checklist."""

    monitoring: bool = False
    runbook: bool = False
    tests: bool = False
    architecture_change: bool = False
    training: bool = False
    rfc: AnyHttpUrl | None = None

    def checks(self) -> dict[str, bool]:
        """Every checklist item by key, in the template's order."""
        return {key: bool(getattr(self, key)) for key in RECURRENCE_CHECKS}


class Notification(_Model):
    """A notification made under one cited regulation (or recorded as not required)."""

    regulation: RegulationCode
    notified: AwareDatetime | None = None
    """When the regulator, customers or affected individuals were notified."""
    required: bool = True
    """False when the incident turned out not to trigger the regulation's reporting duty."""
    note: Text | None = None


class Approval(_Model):
    """Who approved the post-mortem as final, and on which day."""

    by: ShortText
    date: dt.date


class Cost(_Model):
    """Inputs of the template's incident cost calculator; totals are derived."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    sla_credits: Money = 0
    vendor_costs: Money = 0
    engineering_hours: Amount = 0
    hourly_rate: Money = 0
    churn_probability: Annotated[float, Field(ge=0, le=1)] = 0
    customer_lifetime_value: Money = 0
    reputation: Money = 0


ASSESSMENTS: dict[str, str] = {
    "quality": "Post-mortem quality and thoroughness",
    "blameless_culture": "Blameless culture and psychological safety",
    "learning": "Organizational learning effectiveness",
}
"""The protocol's three qualitative assessments: front-matter key -> label."""
ASSESSORS: dict[str, str] = {
    "quality": "engineering leadership",
    "blameless_culture": "team feedback",
    "learning": "incident review board",
}
"""Who the protocol asks to give each assessment."""


class Assessment(_Model):
    """One qualitative assessment: a score from 1 to 5 and who gave it."""

    score: Annotated[int, Field(ge=1, le=5)]
    by: ShortText


class Assessments(_Model):
    """The protocol's three qualitative assessments (each target: >= 4 of 5)."""

    quality: Assessment | None = None
    blameless_culture: Assessment | None = None
    learning: Assessment | None = None

    def scores(self) -> dict[str, Assessment | None]:
        """Every assessment by key, in the protocol's order."""
        return {key: getattr(self, key) for key in ASSESSMENTS}


def _people(value: Any) -> list[str] | int:
    """Names (each listed once) or a head count; one error message for either form."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return _unique([v.strip() for v in value])
    raise ValueError(f"give a list of names or a count (a whole number >= 0), got {value!r}")


People = Annotated[
    list[str] | int,
    PlainValidator(_people),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "string", "minLength": 1}},
                {"type": "integer", "minimum": 0},
            ]
        }
    ),
]
"""Names (listed once each) or a head count."""


def _count(people: list[str] | int) -> int:
    return people if isinstance(people, int) else len(people)


class Review(_Model):
    """The post-mortem review itself: who took part, what it confirmed, how it was assessed."""

    responders: People | None = None
    """The incident responders: names or a count."""
    attended: People | None = None
    """The responders who attended the post-mortem review: names (of responders) or a count."""
    blameless: bool | None = None
    """The facilitator confirms the review kept to the blameless rules."""
    lessons_shared: dt.date | None = None
    """When the lessons learned were shared with the organization (all-hands, newsletter...)."""
    assessments: Assessments = Assessments()

    @property
    def responder_count(self) -> int | None:
        """How many responders; None when not recorded."""
        return None if self.responders is None else _count(self.responders)

    @property
    def attended_count(self) -> int | None:
        """How many responders attended; None when not recorded."""
        return None if self.attended is None else _count(self.attended)

    @field_validator("attended")
    @classmethod
    def _attendees_are_responders(
        cls, attended: list[str] | int | None, info: ValidationInfo
    ) -> list[str] | int | None:
        responders = info.data.get("responders")
        if attended is None or responders is None:
            return attended
        if isinstance(responders, list) and isinstance(attended, list):
            outside = [name for name in attended if name not in responders]
            if outside:
                raise ValueError(
                    f"{', '.join(map(repr, outside))} not among responders (list only the"
                    " responders who attended)"
                )
        if _count(attended) > _count(responders):
            raise ValueError(
                f"more attended ({_count(attended)}) than responded ({_count(responders)})"
            )
        return attended


class Source(_Model):
    """Where a historical record came from: its presence makes the record historical."""

    imported_from: ShortText
    """The original document (path or URL)."""
    imported_on: dt.date
    format: ShortText | None = None
    """markdown, html or docx (as `postmortem import` read it)."""


KnownList = Annotated[list[ShortText], BeforeValidator(_unknown_is_empty)]


class PostMortem(_Model):
    """The front matter of one post-mortem file."""

    # identity and lifecycle
    id: IncidentId
    title: ShortText
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    status: Status
    authors: KnownList
    """Names; `unknown` (an empty list) only in historical and draft records."""
    written: MaybeDate = None
    published: MaybeDate = None
    onboarding: bool = False

    # review and approval
    reviewers: Annotated[list[ShortText], AfterValidator(_unique)] = []
    """Who reviewed the post-mortem (people or teams)."""
    approved_by: list[Approval] = []
    """Who approved it as final, each with the date (see the `follow_up.approval` rule)."""

    # classification
    severity: Severity
    services: Annotated[
        list[ServiceName], BeforeValidator(_unknown_is_empty), AfterValidator(_unique)
    ]
    industry: Industry | None = None
    regulations: Annotated[list[RegulationCode], AfterValidator(_unique)] = []
    notifications: list[Notification] = []

    # timestamps (timezone-aware) and detection
    started: AwareDatetime
    detected: MaybeMoment = None
    """May precede `started`: an alert that fired before the impact began (TTD 0)."""
    mitigated: MaybeMoment = None
    resolved: MaybeMoment = None
    detection: DetectionMethod

    impact: Impact = Impact()
    timeline: list[TimelineEntry] = []
    whys: list[Why] = []
    root_cause: RootCause | None = None
    contributing_factors: ContributingFactors = ContributingFactors()
    went_well: list[Text] = []
    went_wrong: list[Text] = []
    lucky: list[Text] = []
    lessons_learned: list[Text] = []
    action_items: list[ActionItem] = []
    recurrence_prevention: RecurrencePrevention = RecurrencePrevention()
    cost: Cost | None = None

    related: Annotated[list[IncidentId], AfterValidator(_unique)] = []
    recurrence_of: IncidentId | None = None

    # the protocol's review scorecard: participation, boolean checks, assessments
    review: Review = Review()

    # a historical record: imported from an older document (relaxed rules, see validation)
    source: Source | None = None

    @property
    def historical(self) -> bool:
        """Imported from an older document: values its source lacks may stay `unknown`."""
        return self.source is not None


FIELD_ORDER = list(PostMortem.model_fields)
"""Top-level keys in the order the template presents them."""
