"""Figures across post-mortems: quarters, MTTx statistics, SLOs, repeats, factors and deadlines.

Pure computations over a Corpus (no MkDocs, no Jinja). The trend pages, the index pages and the
data export all read the dataclasses built here, so a page never shows a number the export lacks.
The meaning of every figure is documented in docs/guide/data.md; in short:

- Everything is computed in UTC. An incident belongs to the calendar quarter in which it started.
- MTTD/MTTM/MTTR statistics leave out near-misses and unknown values (no `mitigated`, unresolved).
- Repeats are declared (`recurrence_of`); pattern matches are only possible repeats to review;
  near-misses are neither repeats nor repeated.
- A quarter-over-quarter change is judged only when both quarters count MIN_SAMPLE values; the
  quarter holding the reference date is partial ("to date") and no target of it is judged missed.
- p90 is the nearest-rank percentile: the smallest value with at least 90% of values <= it.
- An action item counts in the quarter of its due date (its priority's policy date when it gives
  none: followup.py); cancelled items are not counted; items not done and not yet due are not
  judged.
- Business days are Monday to Friday minus the configured holidays.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TypeVar

from .corpus import Corpus, Incident
from .followup import DEFAULT_FOLLOW_UP, FollowUp, add_business_days, due_of
from .metrics import ActionState, action_state
from .regulations import Regulation
from .schema import (
    ASSESSMENTS,
    CONTRIBUTING_FACTORS,
    ActionItem,
    ActionStatus,
    RootCauseCategory,
    Severity,
    Status,
    id_key,
)
from .settings import Settings
from .validation import unknown_fields

ACTION_COMPLETION_TARGET = 0.9
"""Action items done on time, of those due (protocol: >=90% within committed timelines)."""
POSTMORTEM_SLO_BUSINESS_DAYS = 5
"""SEV-1/SEV-2 post-mortems are published within 5 business days of resolution."""
POSTMORTEM_SLO_SEVERITIES = (Severity.SEV1, Severity.SEV2)
TTD_CHANGE_GOAL = -0.20
"""Median TTD falls by at least 20% quarter over quarter."""
REPEAT_WINDOW_MONTHS = 6
"""Same service and same root-cause category within this many months make a repeat."""
REPEAT_MATCHES_LISTED = 3
"""A repeat lists the most recent earlier incidents it matches by pattern, up to this many (with
many incidents a 6-month window holds dozens, and lists of them grew with the corpus squared)."""
TOP_ROOT_CAUSES = 3
MIN_SAMPLE = 3
"""A comparison (TTD change, recurrence reduction) is judged only when each side counts at least
this many incidents: below it one incident moves a median or a rate by itself."""
RECURRENCE_REDUCTION_TARGET = 0.5
"""Incidents with completed action items recur at most half as often as the others."""
PARTICIPATION_TARGET = 0.8
"""At least 80% of incident responders attend the post-mortem review."""
ASSESSMENT_TARGET = 4.0
"""Each qualitative assessment averages at least 4 of 5."""


class Verdict(StrEnum):
    """How a figure stands against its target."""

    MET = "met"
    MISSED = "missed"
    TOO_FEW = "too-few"
    """Not judged: fewer than MIN_SAMPLE incidents on a side of the comparison."""
    NO_DATA = "no-data"
    """Not judged: nothing to measure."""
    IN_PROGRESS = "in-progress"
    """Not judged yet: the quarter has not ended and the target is not met so far."""


def verdict(ok: bool | None, partial: bool = False) -> Verdict:
    """MET, MISSED or NO_DATA (None); a partial quarter's miss is IN_PROGRESS."""
    if ok is None:
        return Verdict.NO_DATA
    if ok:
        return Verdict.MET
    return Verdict.IN_PROGRESS if partial else Verdict.MISSED


# --- calendar helpers -------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, e.g. 2025-Q1 (January to March)."""

    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        """The quarter containing a date (give UTC dates)."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        """`2025-Q1`."""
        return f"{self.year}-Q{self.number}"

    @property
    def slug(self) -> str:
        """`2025-q1`, for URLs."""
        return self.label.lower()

    @property
    def start(self) -> dt.date:
        """First day of the quarter."""
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the quarter."""
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> Quarter:
        """The following quarter."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        """The preceding quarter."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, inclusive."""
    quarters = []
    current = first
    while current <= last:
        quarters.append(current)
        current = current.next()
    return quarters


def utc(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC."""
    return moment.astimezone(dt.UTC)


def business_days_between(start: dt.date, end: dt.date, holidays: frozenset[dt.date]) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    days = (end - start).days
    if days <= 0:
        return 0
    # Counted by whole weeks rather than day by day: an unpublished post-mortem is measured up
    # to the reference date, which can be years after its resolution.
    weeks, rest = divmod(days, 7)
    first = start.weekday()
    count = 5 * weeks + sum((first + offset) % 7 < 5 for offset in range(1, rest + 1))
    return count - sum(start < day <= end and day.weekday() < 5 for day in holidays)


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same time `months` calendar months earlier (day clamped to the month's length)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


Item = TypeVar("Item")
Key = TypeVar("Key", bound=Hashable)


def grouped(items: Iterable[Item], key: Callable[[Item], Key]) -> dict[Key, list[Item]]:
    """Items by key, each list in the items' order: one pass instead of one scan per key."""
    groups: dict[Key, list[Item]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Mean, median and p90 of a sample of durations in minutes; None when the sample is empty.

    `n` values were known of the `of_total` incidents the figure is about (unknown is never 0)."""

    n: int
    mean: float | None
    median: float | None
    p90: float | None
    of_total: int = 0

    @property
    def unknown(self) -> int:
        """Incidents the figure is about whose value is unknown."""
        return max(self.of_total - self.n, 0)

    @classmethod
    def of(cls, minutes: Iterable[float | None], total: int | None = None) -> Stats:
        """Summarise a sample; None values are unknown: left out and counted in `of_total`."""
        given = list(minutes)
        values = sorted(v for v in given if v is not None)
        of_total = len(given) if total is None else total
        if not values:
            return cls(0, None, None, None, of_total)
        rank = math.ceil(0.9 * len(values))
        return cls(
            len(values),
            statistics.fmean(values),
            statistics.median(values),
            values[rank - 1],
            of_total,
        )


def minutes(delta: dt.timedelta | None) -> float | None:
    """A duration in minutes, None when unknown."""
    return None if delta is None else delta.total_seconds() / 60


def ratio(part: int, whole: int) -> float | None:
    """part / whole, None when whole is 0."""
    return part / whole if whole else None


# --- per-incident facts -----------------------------------------------------------------------


class CheckState(StrEnum):
    """Outcome of a deadline: the post-mortem SLO or a regulatory notification."""

    MET = "met"
    LATE = "late"
    OVERDUE = "overdue"
    PENDING = "pending"
    NOT_REQUIRED = "not-required"
    NO_DEADLINE = "no-deadline"
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"
    """The deadline counts from detection, and the detection time is unknown."""


@dataclass(frozen=True)
class RepeatMatch:
    """An earlier incident this one repeats, and why."""

    earlier_id: str
    explicit: bool
    """True for `recurrence_of`; False for same service + root-cause category within 6 months."""
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostmortemSloCheck:
    """Was a SEV-1/SEV-2 post-mortem published within 5 business days of resolution?"""

    state: CheckState
    due: dt.date | None
    business_days: int | None
    """Business days from resolution to publication (or to the reference date while unpublished)."""


@dataclass(frozen=True)
class NotificationCheck:
    """One cited regulation of one incident: its notification deadline and whether it was met."""

    incident: Incident = field(repr=False, compare=False)
    regulation: Regulation
    deadline: dt.datetime | None
    notified: dt.datetime | None
    state: CheckState
    note: str | None


@dataclass(frozen=True)
class IncidentFacts:
    """Analytics of one incident: its quarter, whether it repeats, its SLO and deadlines."""

    incident: Incident = field(repr=False, compare=False)
    quarter: Quarter
    repeats: tuple[RepeatMatch, ...]
    postmortem_slo: PostmortemSloCheck
    notifications: tuple[NotificationCheck, ...]
    recurred: bool = False
    """A later incident declares itself a recurrence of this one (`recurrence_of`)."""
    actions_completed: bool | None = None
    """Every action item not cancelled was done before its first recurrence started (or by the
    reference date when it has not recurred); None without such items or for a near-miss."""

    @property
    def is_repeat(self) -> bool:
        """True when it is a declared repeat (`recurrence_of`) of an earlier incident."""
        return any(r.explicit for r in self.repeats)

    @property
    def is_possible_repeat(self) -> bool:
        """True when it only matches earlier incidents by pattern: a possible repeat to review."""
        return not self.is_repeat and bool(self.repeats)


def incident_quarter(incident: Incident) -> Quarter:
    """The quarter in which the incident started, in UTC: the one rule for "which quarter"
    (trend pages, exports and the explorer all call this)."""
    return Quarter.of(utc(incident.model.started).date())


def published_on(incident: Incident) -> dt.date | None:
    """The publication date, counted only once the status is `published` (a valid published
    post-mortem always has one); the SLO and the feed both use it."""
    pm = incident.model
    return pm.published if pm.status is Status.PUBLISHED else None


def postmortem_slo(
    incident: Incident, reference_date: dt.date, holidays: frozenset[dt.date]
) -> PostmortemSloCheck:
    """The post-mortem completion SLO of one incident."""
    pm = incident.model
    if pm.severity not in POSTMORTEM_SLO_SEVERITIES:
        return PostmortemSloCheck(CheckState.NOT_APPLICABLE, None, None)
    if pm.resolved is None:
        return PostmortemSloCheck(CheckState.PENDING, None, None)
    resolved = utc(pm.resolved).date()
    due = add_business_days(resolved, POSTMORTEM_SLO_BUSINESS_DAYS, holidays)
    published = published_on(incident)
    if published is not None:
        taken = business_days_between(resolved, published, holidays)
        state = CheckState.MET if taken <= POSTMORTEM_SLO_BUSINESS_DAYS else CheckState.LATE
        return PostmortemSloCheck(state, due, taken)
    elapsed = business_days_between(resolved, reference_date, holidays)
    state = CheckState.OVERDUE if elapsed > POSTMORTEM_SLO_BUSINESS_DAYS else CheckState.PENDING
    return PostmortemSloCheck(state, due, elapsed)


def notification_deadline(
    detected: dt.datetime, regulation: Regulation, holidays: frozenset[dt.date]
) -> dt.datetime | None:
    """Detection (UTC) plus the regulation's notification period; None without a fixed one."""
    if regulation.notification_days is None:
        return None
    start = utc(detected)
    if not regulation.business_days:
        return start + dt.timedelta(days=regulation.notification_days)
    day = add_business_days(start.date(), regulation.notification_days, holidays)
    return dt.datetime.combine(day, start.timetz())


def notification_checks(incident: Incident, settings: Settings) -> tuple[NotificationCheck, ...]:
    """The notification deadline of every regulation the incident cites."""
    pm = incident.model
    recorded = {n.regulation: n for n in pm.notifications}
    checks = []
    for code in pm.regulations:
        regulation = settings.regulations.lookup(code)
        if regulation is None:
            continue
        entry = recorded.get(code)
        notified = utc(entry.notified) if entry and entry.notified else None
        deadline = (
            None
            if pm.detected is None
            else notification_deadline(pm.detected, regulation, settings.holidays)
        )
        if entry is not None and not entry.required:
            state = CheckState.NOT_REQUIRED
        elif pm.detected is None and regulation.notification_days is not None:
            state = CheckState.UNKNOWN
        elif deadline is None:
            state = CheckState.NO_DEADLINE
        elif notified is not None:
            state = CheckState.MET if notified <= deadline else CheckState.LATE
        elif deadline.date() < settings.reference_date:
            state = CheckState.OVERDUE
        else:
            state = CheckState.PENDING
        note = entry.note if entry else None
        checks.append(NotificationCheck(incident, regulation, deadline, notified, state, note))
    return tuple(checks)


def repeat_matches(incident: Incident, earlier: Sequence[Incident]) -> tuple[RepeatMatch, ...]:
    """Earlier incidents this one repeats: `recurrence_of` (declared), or same service and
    root-cause category within 6 months before it started (a possible repeat to review).
    Near-misses are neither repeats nor repeated."""
    pm = incident.model
    matches: list[RepeatMatch] = []
    if pm.severity is Severity.NEAR_MISS:
        return ()
    explicit = id_key(pm.recurrence_of or "")
    started = utc(pm.started)
    window_start = months_before(started, REPEAT_WINDOW_MONTHS)
    category = pm.root_cause.category if pm.root_cause is not None else None
    for other in earlier:
        theirs = other.model
        if theirs.severity is Severity.NEAR_MISS:
            if other.key == explicit:
                explicit = ""  # a declared recurrence of a near-miss is no repeat
            continue
        if explicit and other.key == explicit:  # ids are never empty
            matches.append(RepeatMatch(theirs.id, True))
            continue
        # The cheap tests first: most candidates differ in root-cause category.
        if (
            category is None
            or theirs.root_cause is None
            or theirs.root_cause.category is not category
        ):
            continue
        if not window_start <= utc(theirs.started) < started:
            continue
        shared = tuple(s for s in pm.services if s in theirs.services)
        if shared:
            matches.append(RepeatMatch(theirs.id, False, shared))
    if explicit and not any(m.explicit for m in matches):
        matches.insert(0, RepeatMatch(pm.recurrence_of or "", True))  # a later "original"
    return tuple(matches)


class _RepeatCandidates:
    """The earlier incidents `repeat_matches` can match, found through indexes: its
    `recurrence_of`, and those with its root-cause category and one of its services within the
    window before it (incidents are in start order, so the window is a range of positions).
    Indexes, not a scan of the earlier incidents or of the window (over a fixed span of years it
    holds a fixed share of the corpus), keep the analysis linear in the corpus size."""

    def __init__(self, incidents: Sequence[Incident]) -> None:
        self.incidents = incidents
        self.starts = [utc(incident.model.started) for incident in incidents]
        self.by_id = {incident.key: index for index, incident in enumerate(incidents)}
        self.by_cause: dict[tuple[RootCauseCategory, str], list[int]] = {}
        """Positions of the incidents with a root-cause category and a service, in order."""
        for index, incident in enumerate(incidents):
            cause = incident.model.root_cause
            if cause is not None and incident.model.severity is not Severity.NEAR_MISS:
                for service in set(incident.model.services):
                    self.by_cause.setdefault((cause.category, service), []).append(index)

    def before(self, index: int) -> list[Incident]:
        """The candidates of the incident at `index`, in start order: its `recurrence_of` and
        the `REPEAT_MATCHES_LISTED` most recent incidents of the window that it matches."""
        pm = self.incidents[index].model
        window_start = months_before(self.starts[index], REPEAT_WINDOW_MONTHS)
        lower = bisect.bisect_left(self.starts, window_start, 0, index)
        target = self.by_id.get(id_key(pm.recurrence_of)) if pm.recurrence_of else None
        if target is not None and target >= index:
            target = None
        found: set[int] = set()
        if pm.root_cause is not None:
            for service in pm.services:
                same = self.by_cause.get((pm.root_cause.category, service), [])
                end = bisect.bisect_left(same, index)
                # One more than listed, in case the `recurrence_of` target is among them.
                start = max(bisect.bisect_left(same, lower), end - REPEAT_MATCHES_LISTED - 1)
                found.update(same[start:end])
        found.discard(target)
        recent = sorted(found)[-REPEAT_MATCHES_LISTED:]
        if target is not None:
            recent = sorted([*recent, target])
        return [self.incidents[position] for position in recent]


# --- action items -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    """One action item of one incident, with its state on the reference date."""

    incident: Incident = field(repr=False, compare=False)
    item: ActionItem
    state: ActionState
    due: dt.date | None = None
    """The item's due date, or its priority's policy date when it gives none."""
    due_by_policy: bool = False
    """True when `due` is the policy date (the item gives no due date)."""

    @cached_property
    def due_quarter(self) -> Quarter | None:
        """The quarter of the due date; None without one."""
        return Quarter.of(self.due) if self.due else None

    def days_overdue(self, reference_date: dt.date) -> int | None:
        """Whole days past the (effective) due date on `reference_date` when overdue; None
        otherwise."""
        if self.state is not ActionState.OVERDUE or self.due is None:
            return None
        return (reference_date - self.due).days

    @property
    def judged(self) -> bool:
        """Counted in completion rates: done, or overdue (cancelled and not-yet-due are not)."""
        return self.state in (ActionState.DONE_ON_TIME, ActionState.DONE_LATE, ActionState.OVERDUE)


def action_rows(
    incidents: Iterable[Incident],
    reference_date: dt.date,
    follow_up: FollowUp = DEFAULT_FOLLOW_UP,
    holidays: frozenset[dt.date] = frozenset(),
) -> list[ActionRow]:
    """Every action item, ordered by (effective) due date, then incident and item id."""
    rows = []
    for incident in incidents:
        for item in incident.model.action_items:
            due = due_of(item, incident.model, follow_up, holidays)
            state = action_state(item, reference_date, due.date, follow_up.at_risk_days)
            rows.append(ActionRow(incident, item, state, due.date, due.by_policy))
    return sorted(rows, key=action_sort_key)


def action_sort_key(row: ActionRow) -> tuple[bool, dt.date, str, str]:
    """Due date first (undated last), then incident id and item id."""
    return (row.due is None, row.due or dt.date.max, row.incident.id, row.item.id)


@dataclass(frozen=True)
class ActionCompletion:
    """Action items due in a period: done on time, done late, overdue, not yet due."""

    due: int
    """Items with a due date in the period, cancelled ones excluded."""
    done_on_time: int
    done_late: int
    overdue: int
    not_yet_due: int

    @property
    def judged(self) -> int:
        """Items that are done or past due: the denominator of the rates."""
        return self.done_on_time + self.done_late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Done on time / judged: the figure held against the >=90% target."""
        return ratio(self.done_on_time, self.judged)

    @property
    def done_rate(self) -> float | None:
        """Done (on time or late) / judged."""
        return ratio(self.done_on_time + self.done_late, self.judged)

    @property
    def meets_target(self) -> bool | None:
        """On-time rate >= 90%; None when nothing is judged."""
        rate = self.on_time_rate
        return None if rate is None else rate >= ACTION_COMPLETION_TARGET

    @classmethod
    def of(cls, rows: Iterable[ActionRow]) -> ActionCompletion:
        """Count the rows (only those with a due date and not cancelled)."""
        states = Counter(
            r.state for r in rows if r.due is not None and r.state is not ActionState.CANCELLED
        )
        return cls(
            due=sum(states.values()),
            done_on_time=states[ActionState.DONE_ON_TIME],
            done_late=states[ActionState.DONE_LATE],
            overdue=states[ActionState.OVERDUE],
            not_yet_due=states[ActionState.OPEN] + states[ActionState.AT_RISK],
        )


# --- figures of a period ----------------------------------------------------------------------


@dataclass(frozen=True)
class SloSummary:
    """The post-mortem completion SLO over a set of SEV-1/SEV-2 incidents."""

    applicable: int
    met: int
    late: int
    overdue: int
    pending: int

    @property
    def rate(self) -> float | None:
        """Met / (met + late + overdue); pending ones are not judged yet. Target: 100%."""
        return ratio(self.met, self.met + self.late + self.overdue)

    @property
    def meets_target(self) -> bool | None:
        """Every judged post-mortem was on time; None when none is judged."""
        rate = self.rate
        return None if rate is None else rate >= 1.0


@dataclass(frozen=True)
class CostTotal:
    """Incident cost in one currency: direct costs and estimated indirect costs, kept apart."""

    currency: str
    direct: float | None
    """Revenue lost + SLA credits + vendor costs, over `direct_incidents`; None when none has
    them."""
    direct_incidents: int
    """Incidents giving a direct cost."""
    incidents: int
    """Incidents with cost data in this currency (a `cost` block or `impact.revenue_lost`)."""
    indirect: float | None
    """Engineering time + churn risk + reputation, over `estimated`; None when none has one."""
    estimated: int
    """Incidents with a `cost` block, whose indirect costs are estimated."""

    @property
    def total(self) -> float:
        """Direct plus estimated indirect, each where known."""
        return (self.direct or 0.0) + (self.indirect or 0.0)

    @property
    def per_incident(self) -> float:
        """Total / incidents with cost data."""
        return self.total / self.incidents


@dataclass(frozen=True)
class RecurrenceReduction:
    """The protocol's recurrence reduction: how much less often incidents whose action items
    were completed recur than those whose action items were not."""

    completed: int
    completed_recurred: int
    not_completed: int
    not_completed_recurred: int

    @property
    def rate_completed(self) -> float | None:
        """Share of incidents with completed action items that recurred."""
        return ratio(self.completed_recurred, self.completed)

    @property
    def rate_not_completed(self) -> float | None:
        """Share of incidents without completed action items that recurred."""
        return ratio(self.not_completed_recurred, self.not_completed)

    @property
    def reduction(self) -> float | None:
        """1 - rate_completed / rate_not_completed; None unless both rates exist and the
        second is above 0 (nothing recurred to reduce)."""
        low, high = self.rate_completed, self.rate_not_completed
        return None if low is None or not high else 1 - low / high

    @property
    def n(self) -> int:
        """Incidents counted on both sides."""
        return self.completed + self.not_completed

    def judge(self, partial: bool = False) -> Verdict:
        """Judged when each side counts MIN_SAMPLE incidents and something recurred."""
        if self.completed < MIN_SAMPLE or self.not_completed < MIN_SAMPLE:
            return Verdict.NO_DATA if not self.n else Verdict.TOO_FEW
        value = self.reduction
        return verdict(None if value is None else value >= RECURRENCE_REDUCTION_TARGET, partial)

    @classmethod
    def of(cls, facts: Iterable[IncidentFacts]) -> RecurrenceReduction:
        """Count the incidents with an action-item outcome (near-misses have none)."""
        counts = Counter((f.actions_completed, f.recurred) for f in facts)
        return cls(
            completed=counts[True, True] + counts[True, False],
            completed_recurred=counts[True, True],
            not_completed=counts[False, True] + counts[False, False],
            not_completed_recurred=counts[False, True],
        )


@dataclass(frozen=True)
class Participation:
    """Responders who attended the review, pooled over the incidents that record both counts."""

    incidents: int
    responders: int
    attended: int

    @property
    def rate(self) -> float | None:
        """Attended / responders; None without data."""
        return ratio(self.attended, self.responders)


@dataclass(frozen=True)
class AssessmentAverage:
    """One qualitative assessment averaged over the post-mortems that give it."""

    key: str
    label: str
    n: int
    mean: float | None


@dataclass(frozen=True)
class Figures:
    """Every figure of a set of incidents (a quarter, a service, everything)."""

    incident_ids: tuple[str, ...]
    by_severity: dict[str, int]
    open_incidents: int
    ttd: Stats
    ttm: Stats
    ttr: Stats
    impact: Stats
    """Impact duration (started -> mitigated, else resolved) of customer-impacting incidents."""
    top_root_causes: tuple[tuple[str, int], ...]
    root_causes: dict[str, int]
    not_analysed: int
    actions: ActionCompletion
    open_actions: int
    """Action items neither done nor cancelled (at-risk and overdue ones included)."""
    postmortem_slo: SloSummary
    repeat_ids: tuple[str, ...]
    """Declared repeats (`recurrence_of`)."""
    possible_repeat_ids: tuple[str, ...]
    """Pattern matches only: possible repeats to review, never counted as repeats."""
    costs: tuple[CostTotal, ...]
    recurrence: RecurrenceReduction
    participation: Participation
    checks_passed: int
    """Boolean checks passed, of 5 per incident."""
    assessments: tuple[AssessmentAverage, ...]
    unknown: dict[str, int] = field(default_factory=dict)
    """Per field that may be unknown: how many incidents (action items) leave it unknown."""

    @property
    def count(self) -> int:
        """Number of incidents."""
        return len(self.incident_ids)

    @property
    def checks_total(self) -> int:
        """Boolean checks counted: 5 per incident."""
        return 5 * self.count

    @property
    def checks_rate(self) -> float | None:
        """Boolean checks passed / counted."""
        return ratio(self.checks_passed, self.checks_total)


def _costs(incidents: Sequence[Incident]) -> tuple[CostTotal, ...]:
    by_currency = grouped(
        (i.metrics.cost for i in incidents if i.metrics.cost is not None), lambda c: c.currency
    )
    totals = []
    for currency, costs in sorted(by_currency.items()):
        estimates = [c.indirect for c in costs if c.indirect is not None]
        direct = [c.direct for c in costs if c.direct is not None]
        totals.append(
            CostTotal(
                currency=currency,
                direct=sum(direct) if direct else None,
                direct_incidents=len(direct),
                incidents=len(costs),
                indirect=sum(estimates) if estimates else None,
                estimated=len(estimates),
            )
        )
    return tuple(totals)


def _assessments(incidents: Sequence[Incident]) -> tuple[AssessmentAverage, ...]:
    averages = []
    for key, label in ASSESSMENTS.items():
        given = (i.model.review.assessments.scores()[key] for i in incidents)
        scores = [a.score for a in given if a is not None]
        averages.append(
            AssessmentAverage(key, label, len(scores), statistics.fmean(scores) if scores else None)
        )
    return tuple(averages)


def _participation(incidents: Sequence[Incident]) -> Participation:
    pairs = [
        (r.responder_count, r.attended_count)
        for r in (i.model.review for i in incidents)
        if r.responder_count and r.attended_count is not None
    ]
    return Participation(len(pairs), sum(p[0] or 0 for p in pairs), sum(p[1] or 0 for p in pairs))


def figures(facts: Sequence[IncidentFacts], actions: Iterable[ActionRow]) -> Figures:
    """The figures of a set of incidents and of a set of action items."""
    incidents = [f.incident for f in facts]
    actions = list(actions)
    severities = Counter(i.model.severity.value for i in incidents)
    timed = [i.metrics for i in incidents if i.model.severity is not Severity.NEAR_MISS]
    causes = Counter(i.model.root_cause.category.value for i in incidents if i.model.root_cause)
    ordered = [(c.value, causes[c.value]) for c in RootCauseCategory if causes[c.value]]
    ordered.sort(key=lambda pair: -pair[1])  # stable: ties keep the protocol's category order
    slo = Counter(f.postmortem_slo.state for f in facts)
    return Figures(
        incident_ids=tuple(i.id for i in incidents),
        by_severity={s.value: severities[s.value] for s in Severity},
        open_incidents=sum(i.model.resolved is None for i in incidents),
        ttd=Stats.of(minutes(t.ttd) for t in timed),
        ttm=Stats.of(minutes(t.ttm) for t in timed),
        ttr=Stats.of(minutes(t.ttr) for t in timed),
        impact=Stats.of(minutes(t.impact_duration) for t in timed),
        top_root_causes=tuple(ordered[:TOP_ROOT_CAUSES]),
        root_causes={c.value: causes[c.value] for c in RootCauseCategory},
        not_analysed=sum(i.model.root_cause is None for i in incidents),
        actions=ActionCompletion.of(actions),
        open_actions=sum(
            r.state in (ActionState.OPEN, ActionState.AT_RISK, ActionState.OVERDUE) for r in actions
        ),
        postmortem_slo=SloSummary(
            applicable=sum(f.postmortem_slo.state is not CheckState.NOT_APPLICABLE for f in facts),
            met=slo[CheckState.MET],
            late=slo[CheckState.LATE],
            overdue=slo[CheckState.OVERDUE],
            pending=slo[CheckState.PENDING],
        ),
        repeat_ids=tuple(f.incident.id for f in facts if f.is_repeat),
        possible_repeat_ids=tuple(f.incident.id for f in facts if f.is_possible_repeat),
        costs=_costs(incidents),
        recurrence=RecurrenceReduction.of(facts),
        participation=_participation(incidents),
        checks_passed=sum(i.metrics.checks_passed for i in incidents),
        assessments=_assessments(incidents),
        unknown=unknown_counts(incidents),
    )


def unknown_counts(incidents: Sequence[Incident]) -> dict[str, int]:
    """For each field that may be unknown: how many of the incidents (or of their action items,
    for `action_items.*`) leave it unknown."""
    counts = Counter(
        ".".join(str(p) for p in loc if isinstance(p, str))
        for incident in incidents
        for loc in unknown_fields(incident.model)
    )
    items = [item for i in incidents for item in i.model.action_items]
    counts["action_items.owner"] = sum(item.owner is None for item in items)
    counts["action_items.due"] = sum(item.due is None for item in items)
    return {key: counts[key] for key in UNKNOWN_KEYS}


UNKNOWN_KEYS = (
    "severity",
    "detection",
    "detected",
    "services",
    "authors",
    "written",
    "action_items.priority",
    "action_items.status",
    "action_items.owner",
    "action_items.due",
)
"""The fields counted by `unknown_counts`, in the order exports list them."""


@dataclass(frozen=True)
class ScoreLine:
    """One line of the protocol's quarterly scorecard."""

    key: str
    label: str
    group: str
    """`threshold`, `checks` or `assessment`."""
    value: float | None
    target: float
    at_most: bool
    """True when the value must be at most the target (the TTD change), else at least."""
    n: int
    """How many incidents (or action items, for action-item completion) it counts."""
    verdict: Verdict


@dataclass(frozen=True)
class QuarterFigures:
    """One quarter: its incidents' figures, action items due in it and the TTD trend."""

    quarter: Quarter
    figures: Figures
    ttd_change: float | None
    """Relative change of median TTD against the previous quarter; None without both medians
    or when the previous median is 0 (a change from 0 has no relative size)."""
    previous_ttd_n: int = 0
    """TTD values counted in the previous quarter."""
    partial: bool = False
    """The quarter has not ended on the reference date: its figures are "to date"."""

    @property
    def ttd_verdict(self) -> Verdict:
        """Median TTD fell by at least 20%, judged only with MIN_SAMPLE values in both quarters."""
        if self.figures.ttd.n < MIN_SAMPLE or self.previous_ttd_n < MIN_SAMPLE:
            return Verdict.NO_DATA if not self.figures.ttd.n else Verdict.TOO_FEW
        ok = None if self.ttd_change is None else self.ttd_change <= TTD_CHANGE_GOAL
        return verdict(ok, self.partial)

    @property
    def ttd_goal_met(self) -> bool | None:
        """Median TTD fell by at least 20%; None when not judged."""
        v = self.ttd_verdict
        return True if v is Verdict.MET else (False if v is Verdict.MISSED else None)

    @cached_property
    def scorecard(self) -> tuple[ScoreLine, ...]:
        """Every quantitative threshold, the boolean checks and the three assessments."""
        f, partial = self.figures, self.partial
        slo, actions, rec, part = f.postmortem_slo, f.actions, f.recurrence, f.participation
        lines = [
            ScoreLine(
                "postmortem_completion",
                "SEV-1/SEV-2 post-mortems published within 5 business days",
                "threshold",
                slo.rate,
                1.0,
                False,
                slo.met + slo.late + slo.overdue,
                verdict(slo.meets_target, partial),
            ),
            ScoreLine(
                "action_items",
                "Action items done within committed timelines",
                "threshold",
                actions.on_time_rate,
                ACTION_COMPLETION_TARGET,
                False,
                actions.judged,
                verdict(actions.meets_target, partial),
            ),
            ScoreLine(
                "recurrence_reduction",
                "Recurrence reduction for incidents with completed action items",
                "threshold",
                rec.reduction,
                RECURRENCE_REDUCTION_TARGET,
                False,
                rec.n,
                rec.judge(partial),
            ),
            ScoreLine(
                "participation",
                "Incident responders attending the post-mortem",
                "threshold",
                part.rate,
                PARTICIPATION_TARGET,
                False,
                part.incidents,
                verdict(None if part.rate is None else part.rate >= PARTICIPATION_TARGET, partial),
            ),
            ScoreLine(
                "ttd_improvement",
                "Median time to detect, change quarter over quarter",
                "threshold",
                self.ttd_change,
                TTD_CHANGE_GOAL,
                True,
                min(f.ttd.n, self.previous_ttd_n),
                self.ttd_verdict,
            ),
            ScoreLine(
                "boolean_checks",
                "Boolean checks passed (5 per post-mortem)",
                "checks",
                f.checks_rate,
                1.0,
                False,
                f.count,
                verdict(None if f.checks_rate is None else f.checks_rate >= 1.0, partial),
            ),
        ]
        for a in f.assessments:
            ok = None if a.mean is None else a.mean >= ASSESSMENT_TARGET
            lines.append(
                ScoreLine(
                    f"assessment_{a.key}",
                    a.label,
                    "assessment",
                    a.mean,
                    ASSESSMENT_TARGET,
                    False,
                    a.n,
                    verdict(ok, partial),
                )
            )
        return tuple(lines)

    def line(self, key: str) -> ScoreLine:
        """The scorecard line with this key."""
        return next(line for line in self.scorecard if line.key == key)

    @property
    def overall(self) -> Verdict:
        """The protocol's overall success: thresholds met AND boolean checks pass AND
        assessments >= 4. MISSED when any line is missed, MET when every line is met; otherwise
        not judged (IN_PROGRESS for a partial quarter, else TOO_FEW or NO_DATA)."""
        verdicts = [line.verdict for line in self.scorecard]
        if self.partial:
            return Verdict.IN_PROGRESS
        if Verdict.MISSED in verdicts:
            return Verdict.MISSED
        if all(v is Verdict.MET for v in verdicts):
            return Verdict.MET
        return Verdict.TOO_FEW if Verdict.TOO_FEW in verdicts else Verdict.NO_DATA


# --- contributing factors ---------------------------------------------------------------------


@dataclass(frozen=True)
class FactorScoreRow:
    """One incident's score for one factor."""

    incident: Incident = field(repr=False, compare=False)
    score: int
    notes: str | None


@dataclass(frozen=True)
class FactorRank:
    """One contributing factor across all incidents."""

    key: str
    label: str
    total: int
    """Sum of scores (0-3) over all incidents."""
    contributed: int
    """Incidents scoring it 1 or more."""
    primary: int
    """Incidents scoring it 3 (primary contributor)."""
    mean: float | None
    """Total / all incidents."""
    scores: tuple[FactorScoreRow, ...]
    """Incidents scoring it 1 or more, highest score first."""


def factor_ranking(incidents: Sequence[Incident]) -> list[FactorRank]:
    """The ten factors ranked by total score, then by primary count, then template order."""
    ranks = []
    scored = [(i, i.model.contributing_factors.scores()) for i in incidents]  # once per incident
    for key, label in CONTRIBUTING_FACTORS.items():
        rows = [
            FactorScoreRow(i, s.score, s.notes)
            for i, scores in scored
            if (s := scores[key]).score > 0
        ]
        rows.sort(key=lambda r: (-r.score, r.incident.model.started, r.incident.id))
        total = sum(r.score for r in rows)
        ranks.append(
            FactorRank(
                key=key,
                label=label,
                total=total,
                contributed=len(rows),
                primary=sum(r.score == 3 for r in rows),
                mean=ratio(total, len(incidents)),
                scores=tuple(rows),
            )
        )
    order = list(CONTRIBUTING_FACTORS)
    return sorted(ranks, key=lambda r: (-r.total, -r.primary, order.index(r.key)))


# --- the whole analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class RegulationReport:
    """One regulation: what it demands and each citing incident's deadline."""

    regulation: Regulation
    checks: tuple[NotificationCheck, ...]

    def count(self, state: CheckState) -> int:
        """How many checks are in `state`."""
        return sum(c.state is state for c in self.checks)


@dataclass(frozen=True)
class Analytics:
    """Everything the trend pages, the index pages and the export show."""

    reference_date: dt.date
    holidays: frozenset[dt.date]
    incidents: tuple[IncidentFacts, ...]
    actions: tuple[ActionRow, ...]
    quarters: tuple[QuarterFigures, ...]
    major_quarters: tuple[QuarterFigures, ...]
    """The same quarters counting SEV-1 and SEV-2 incidents only (and their action items)."""
    overall: Figures
    factors: tuple[FactorRank, ...]
    regulations: tuple[RegulationReport, ...]
    facts_by_quarter: dict[Quarter, list[IncidentFacts]] = field(repr=False, compare=False)
    """`incidents` by the quarter they started in (see `facts_in`)."""
    actions_by_due_quarter: dict[Quarter | None, list[ActionRow]] = field(repr=False, compare=False)
    """`actions` by the quarter they are due in (see `actions_due_in`)."""

    @cached_property
    def _position(self) -> dict[str, int]:
        """Where each incident's facts are, by id (ids are unique in a corpus)."""
        return {f.incident.id: index for index, f in enumerate(self.incidents)}

    @cached_property
    def _actions_by_incident(self) -> dict[str, list[ActionRow]]:
        return grouped(self.actions, lambda row: row.incident.id)

    def facts_in(self, quarter: Quarter) -> list[IncidentFacts]:
        """The facts of the incidents that started in `quarter`, in corpus order."""
        return self.facts_by_quarter.get(quarter, [])

    def actions_due_in(self, quarter: Quarter) -> list[ActionRow]:
        """The action items due in `quarter`, in `actions` order."""
        return self.actions_by_due_quarter.get(quarter, [])

    def facts_of(self, incidents: Iterable[Incident]) -> list[IncidentFacts]:
        """The facts of a subset of incidents (by id), in corpus order."""
        # Looked up by id, not by a scan of every incident: there is a subset per group page,
        # and lookups by id keep the group pages linear in the corpus size.
        position = self._position
        found = sorted({position[i.id] for i in incidents if i.id in position})
        return [self.incidents[index] for index in found]

    def figures_of(self, incidents: Iterable[Incident]) -> Figures:
        """Figures of a subset: its incidents and their action items."""
        facts = self.facts_of(incidents)
        by_incident = self._actions_by_incident
        return figures(facts, [r for f in facts for r in by_incident.get(f.incident.id, ())])


def quarters_covered(
    incidents: Sequence[Incident], actions: Sequence[ActionRow], reference_date: dt.date
) -> list[Quarter]:
    """First to last quarter with an incident or a judged action item, through the reference
    date's quarter; empty when there are no incidents."""
    if not incidents:
        return []
    seen = {incident_quarter(i) for i in incidents}
    seen.update(r.due_quarter for r in actions if r.judged and r.due_quarter is not None)
    seen.add(Quarter.of(reference_date))
    return quarter_range(min(seen), max(seen))


def _actions_completed(incident: Incident, until: dt.date) -> bool | None:
    """Every action item not cancelled done on or before `until`; None without such items or
    for a near-miss (it has no recurrence to prevent: near-misses are never repeated)."""
    pm = incident.model
    live = [i for i in pm.action_items if i.status is not ActionStatus.CANCELLED]
    if not live or pm.severity is Severity.NEAR_MISS:
        return None
    return all(
        i.status is ActionStatus.DONE and i.completed is not None and i.completed <= until
        for i in live
    )


def quarter_series(
    quarters: Sequence[Quarter],
    facts_by_quarter: dict[Quarter, list[IncidentFacts]],
    actions_by_quarter: dict[Quarter | None, list[ActionRow]],
    reference_date: dt.date,
) -> tuple[QuarterFigures, ...]:
    """The figures of each quarter, with the TTD change against the one before it."""
    series: list[QuarterFigures] = []
    previous: Stats | None = None
    for quarter in quarters:
        numbers = figures(facts_by_quarter.get(quarter, []), actions_by_quarter.get(quarter, []))
        median = numbers.ttd.median
        before = previous.median if previous is not None else None
        change = (median - before) / before if median is not None and before else None
        partial = quarter.end >= reference_date
        previous_n = previous.n if previous is not None else 0
        series.append(QuarterFigures(quarter, numbers, change, previous_n, partial))
        previous = numbers.ttd
    return tuple(series)


def analyse(corpus: Corpus, settings: Settings) -> Analytics:
    """Compute every figure of a corpus (incidents are in start order)."""
    incidents = list(corpus.incidents)
    holidays = settings.holidays
    candidates = _RepeatCandidates(incidents)
    repeats = [repeat_matches(i, candidates.before(index)) for index, i in enumerate(incidents)]
    first_recurrence: dict[str, dt.date] = {}
    for incident, matches in zip(incidents, repeats, strict=True):
        for match in matches:
            if match.explicit:
                key = id_key(match.earlier_id)
                started = utc(incident.model.started).date()
                first_recurrence[key] = min(first_recurrence.get(key, started), started)
    facts = tuple(
        IncidentFacts(
            incident=incident,
            quarter=incident_quarter(incident),
            repeats=matches,
            postmortem_slo=postmortem_slo(incident, settings.reference_date, holidays),
            notifications=notification_checks(incident, settings),
            recurred=incident.key in first_recurrence,
            actions_completed=_actions_completed(
                incident, first_recurrence.get(incident.key, settings.reference_date)
            ),
        )
        for incident, matches in zip(incidents, repeats, strict=True)
    )
    actions = action_rows(incidents, settings.reference_date, settings.follow_up, holidays)
    # One pass each, not a scan of every incident and action item per quarter.
    facts_by_quarter = grouped(facts, lambda fact: fact.quarter)
    actions_by_quarter = grouped(actions, lambda row: row.due_quarter)
    covered = quarters_covered(incidents, actions, settings.reference_date)
    reference = settings.reference_date
    quarters = quarter_series(covered, facts_by_quarter, actions_by_quarter, reference)
    major = [f for f in facts if f.incident.model.severity in POSTMORTEM_SLO_SEVERITIES]
    major_ids = {f.incident.id for f in major}
    major_quarters = quarter_series(
        covered,
        grouped(major, lambda fact: fact.quarter),
        grouped((r for r in actions if r.incident.id in major_ids), lambda row: row.due_quarter),
        settings.reference_date,
    )
    checks = (check for fact in facts for check in fact.notifications)
    checks_by_code = grouped(checks, lambda check: check.regulation.code)
    reports = tuple(
        RegulationReport(regulation, tuple(checks_by_code.get(regulation.code, ())))
        for regulation in settings.regulations.regulations
    )
    return Analytics(
        reference_date=settings.reference_date,
        holidays=holidays,
        incidents=facts,
        actions=tuple(actions),
        quarters=quarters,
        major_quarters=major_quarters,
        overall=figures(facts, actions),
        factors=tuple(factor_ranking(incidents)),
        regulations=reports,
        facts_by_quarter=facts_by_quarter,
        actions_by_due_quarter=actions_by_quarter,
    )
