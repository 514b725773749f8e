"""Values derived from one post-mortem: TTD, TTM, TTR, duration, downtime and incident cost.

Definitions (all computed in UTC, never typed by authors):

- TTD, time to detect = detected - started (the template's "detection delay"); 0 when an alert
  preceded the impact (detected before started: `alert_preceded_impact`); unknown (None) when
  `detected` is unknown, and so are TTM and TTR, which start at detection.
- TTM, time to mitigate = mitigated - detected; unknown when `mitigated` is absent.
- TTR, time to resolve = resolved - detected; unknown while the incident is unresolved.
- duration = resolved - started = TTD + TTR (the template's "Start -> End").
  TTM and TTR start at detection so that MTTD measures monitoring and MTTR measures response.
- impact duration = impact ended - started, where the impact ended at `mitigated` when given,
  else at `resolved`. For a near-miss (no customer impact) the same span is its exposure window.
- downtime = `impact.downtime_minutes` when given; else the impact duration for
  customer-impacting incidents and 0 for near-misses.
- cost: direct = revenue lost + SLA credits + vendor costs; indirect (estimated) = engineering
  hours x rate + churn risk (users affected x churn probability x lifetime value) + reputation,
  known only with a `cost` block; cost per minute of downtime = total / downtime minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from .schema import ActionItem, ActionStatus, PostMortem, Severity, Status

MIN_WHYS = 3
"""A root-cause analysis counts as completed with a root cause and at least this many Whys."""
BOOLEAN_CHECKS: dict[str, str] = {
    "published": "Post-mortem documented and published",
    "root_cause": "Root cause analysis completed",
    "owners": "Action items assigned with owners and timelines",
    "blameless": "Blameless approach maintained",
    "lessons_shared": "Lessons learned shared with organization",
}
"""The protocol's five boolean checks: key -> label."""


class CheckOutcome(StrEnum):
    """One boolean check of one post-mortem; not recorded counts as not passed."""

    PASS = "pass"
    FAIL = "fail"
    NOT_RECORDED = "not-recorded"


def boolean_checks(pm: PostMortem) -> dict[str, CheckOutcome]:
    """The protocol's five boolean checks of one post-mortem, in the protocol's order.

    published: status `published`. root_cause: a root cause and at least MIN_WHYS Whys.
    owners: at least one action item, and every one not cancelled has an owner and a due date.
    blameless: `review.blameless` (the facilitator's confirmation). lessons_shared: the date in
    `review.lessons_shared`. The last two are not recorded while those fields are absent."""

    def outcome(value: bool | None) -> CheckOutcome:
        if value is None:
            return CheckOutcome.NOT_RECORDED
        return CheckOutcome.PASS if value else CheckOutcome.FAIL

    live = [i for i in pm.action_items if i.status is not ActionStatus.CANCELLED]
    return {
        "published": outcome(pm.status is Status.PUBLISHED),
        "root_cause": outcome(pm.root_cause is not None and len(pm.whys) >= MIN_WHYS),
        "owners": outcome(bool(live) and all(i.owner and i.due for i in live)),
        "blameless": outcome(pm.review.blameless),
        "lessons_shared": outcome(None if pm.review.lessons_shared is None else True),
    }


class ActionState(StrEnum):
    """Where an action item stands on the reference date (derived, never written)."""

    OPEN = "open"
    AT_RISK = "at-risk"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done"
    DONE_LATE = "done-late"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    """Its status is unknown (an imported item): neither open nor done in any figure."""


def action_state(
    item: ActionItem,
    reference_date: dt.date,
    due: dt.date | None = None,
    at_risk_days: int | None = None,
) -> ActionState:
    """Open, at risk, overdue (due before the reference date), done on time, done late, or
    cancelled.

    `due` is the item's effective due date (its own, or its priority's policy date:
    followup.due_of); without it the item's own `due` is used. An item not done is at risk when
    that date is the reference date or at most `at_risk_days` days after it.
    """
    due = due or item.due
    if item.status is ActionStatus.CANCELLED:
        return ActionState.CANCELLED
    if item.status is ActionStatus.UNKNOWN:
        return ActionState.UNKNOWN
    if item.status is ActionStatus.DONE:
        late = due is not None and item.completed is not None and item.completed > due
        return ActionState.DONE_LATE if late else ActionState.DONE_ON_TIME
    if due is not None and due < reference_date:
        return ActionState.OVERDUE
    if due is not None and at_risk_days is not None and (due - reference_date).days <= at_risk_days:
        return ActionState.AT_RISK
    return ActionState.OPEN


@dataclass(frozen=True)
class CostBreakdown:
    """The template's incident cost calculator, filled in."""

    currency: str
    revenue_lost: float
    sla_credits: float
    vendor_costs: float
    engineering: float
    churn_risk: float
    reputation: float
    estimated: bool = True
    """False when only `impact.revenue_lost` is known (no `cost` block): no indirect estimate."""
    has_direct: bool = True
    """False when none of revenue lost, SLA credits and vendor costs is written: unknown, not 0."""

    @property
    def direct(self) -> float | None:
        """Revenue lost, SLA credits and emergency vendor costs; None when none is written."""
        if not self.has_direct:
            return None
        return self.revenue_lost + self.sla_credits + self.vendor_costs

    @property
    def indirect(self) -> float | None:
        """Engineering time, churn risk and reputation (estimates); None without a `cost` block."""
        return self.engineering + self.churn_risk + self.reputation if self.estimated else None

    @property
    def total(self) -> float:
        """Direct plus indirect, each where known."""
        return (self.direct or 0.0) + (self.indirect or 0.0)


@dataclass(frozen=True)
class IncidentMetrics:
    """Everything computed from one post-mortem's front matter."""

    ttd: dt.timedelta | None
    ttm: dt.timedelta | None
    ttr: dt.timedelta | None
    duration: dt.timedelta | None
    impact_duration: dt.timedelta | None
    """Started -> impact ended (mitigated, else resolved); a near-miss's exposure window."""
    downtime_minutes: float | None
    cost: CostBreakdown | None
    checks: dict[str, CheckOutcome]
    """The protocol's five boolean checks (see `boolean_checks`)."""
    alert_preceded_impact: bool = False
    """Detected before the impact started: TTD is 0, and the page says so."""

    @property
    def checks_passed(self) -> int:
        """How many of the five boolean checks pass."""
        return sum(c is CheckOutcome.PASS for c in self.checks.values())

    @property
    def cost_per_downtime_minute(self) -> float | None:
        """Total cost divided by minutes of downtime; None without cost or downtime."""
        if self.cost is None or not self.downtime_minutes:
            return None
        return self.cost.total / self.downtime_minutes


def incident_metrics(pm: PostMortem) -> IncidentMetrics:
    """Compute the derived values of one post-mortem."""
    duration = pm.resolved - pm.started if pm.resolved is not None else None
    impact_ended = pm.mitigated if pm.mitigated is not None else pm.resolved
    impact = impact_ended - pm.started if impact_ended is not None else None
    detected = pm.detected
    early = detected is not None and detected < pm.started
    return IncidentMetrics(
        ttd=None if detected is None else max(detected - pm.started, dt.timedelta(0)),
        ttm=pm.mitigated - detected if pm.mitigated and detected else None,
        ttr=pm.resolved - detected if pm.resolved and detected else None,
        duration=duration,
        impact_duration=impact,
        downtime_minutes=_downtime_minutes(pm, impact),
        cost=_cost(pm),
        checks=boolean_checks(pm),
        alert_preceded_impact=early,
    )


def _downtime_minutes(pm: PostMortem, impact: dt.timedelta | None) -> float | None:
    if pm.impact.downtime_minutes is not None:
        return pm.impact.downtime_minutes
    if pm.severity is Severity.NEAR_MISS:
        return 0.0
    return impact.total_seconds() / 60 if impact is not None else None


def _cost(pm: PostMortem) -> CostBreakdown | None:
    revenue = pm.impact.revenue_lost or 0.0
    if pm.cost is None:
        return (
            None
            if pm.impact.revenue_lost is None
            else CostBreakdown("USD", revenue, 0, 0, 0, 0, 0, estimated=False)
        )
    c = pm.cost
    return CostBreakdown(
        currency=c.currency,
        revenue_lost=revenue,
        sla_credits=c.sla_credits,
        vendor_costs=c.vendor_costs,
        engineering=c.engineering_hours * c.hourly_rate,
        churn_risk=(pm.impact.users_affected or 0)
        * c.churn_probability
        * c.customer_lifetime_value,
        reputation=c.reputation,
        has_direct=pm.impact.revenue_lost is not None
        or bool({"sla_credits", "vendor_costs"} & c.model_fields_set),
    )


def format_duration(delta: dt.timedelta | None) -> str:
    """The one way durations are written on every page and chart: days, hours, minutes and
    seconds, zero parts left out and nothing rounded away but fractions of a second:
    `45 min`, `22 min 30 s`, `1 h 58 min`, `1 d 6 h 46 min`; an em dash when unknown."""
    if delta is None:
        return "—"
    seconds = round(delta.total_seconds())
    sign = "\u2212" if seconds < 0 else ""
    minutes, seconds = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    units = ((days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s"))
    parts = [f"{n} {unit}" for n, unit in units if n]
    return sign + (" ".join(parts) if parts else "0 min")


def format_minutes(value: float | None) -> str:
    """Minutes (a float) written as `format_duration` writes durations."""
    return format_duration(None if value is None else dt.timedelta(minutes=value))
