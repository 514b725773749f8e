"""Values derived from one post-mortem: TTD, TTM, TTR, duration, downtime and incident cost.

Definitions (all computed in UTC, never typed by authors):

- TTD, time to detect = detected - started (the template's "detection delay").
- TTM, time to mitigate = mitigated - detected; unknown when `mitigated` is absent.
- TTR, time to resolve = resolved - detected; unknown while the incident is unresolved.
- duration = resolved - started = TTD + TTR (the template's "Start -> End").
  TTM and TTR start at detection so that MTTD measures monitoring and MTTR measures response.
- downtime = `impact.downtime_minutes` when given; else the duration for customer-impacting
  incidents and 0 for near-misses.
- cost: direct = revenue lost + SLA credits + vendor costs; indirect = engineering hours x rate
  + churn risk (users affected x churn probability x lifetime value) + reputation;
  cost per minute of downtime = total / downtime minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from .schema import ActionItem, ActionStatus, PostMortem, Severity


class ActionState(StrEnum):
    """Where an action item stands on the reference date (derived, never written)."""

    OPEN = "open"
    AT_RISK = "at-risk"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done"
    DONE_LATE = "done-late"
    CANCELLED = "cancelled"


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

    @property
    def direct(self) -> float:
        """Revenue lost, SLA credits and emergency vendor costs."""
        return self.revenue_lost + self.sla_credits + self.vendor_costs

    @property
    def indirect(self) -> float:
        """Engineering time, churn risk and reputation."""
        return self.engineering + self.churn_risk + self.reputation

    @property
    def total(self) -> float:
        """Direct plus indirect."""
        return self.direct + self.indirect


@dataclass(frozen=True)
class IncidentMetrics:
    """Everything computed from one post-mortem's front matter."""

    ttd: dt.timedelta
    ttm: dt.timedelta | None
    ttr: dt.timedelta | None
    duration: dt.timedelta | None
    downtime_minutes: float | None
    cost: CostBreakdown | None

    @property
    def cost_per_downtime_minute(self) -> float | None:
        """Total cost divided by minutes of downtime; None without cost or downtime."""
        if self.cost is None or not self.downtime_minutes:
            return None
        return self.cost.total / self.downtime_minutes


def incident_metrics(pm: PostMortem) -> IncidentMetrics:
    """Compute the derived values of one post-mortem."""
    duration = pm.resolved - pm.started if pm.resolved is not None else None
    return IncidentMetrics(
        ttd=pm.detected - pm.started,
        ttm=pm.mitigated - pm.detected if pm.mitigated is not None else None,
        ttr=pm.resolved - pm.detected if pm.resolved is not None else None,
        duration=duration,
        downtime_minutes=_downtime_minutes(pm, duration),
        cost=_cost(pm),
    )


def _downtime_minutes(pm: PostMortem, duration: dt.timedelta | None) -> float | None:
    if pm.impact.downtime_minutes is not None:
        return pm.impact.downtime_minutes
    if pm.severity is Severity.NEAR_MISS:
        return 0.0
    return duration.total_seconds() / 60 if duration is not None else None


def _cost(pm: PostMortem) -> CostBreakdown | None:
    revenue = pm.impact.revenue_lost or 0.0
    if pm.cost is None:
        return (
            None if pm.impact.revenue_lost is None else CostBreakdown("USD", revenue, 0, 0, 0, 0, 0)
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
    )


def format_duration(delta: dt.timedelta | None) -> str:
    """A short human form: `45 min`, `1 h 58 min`, `3 d 4 h`; an em dash when unknown."""
    if delta is None:
        return "—"
    minutes = round(delta.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
