"""The reminder digest: per owner the overdue and at-risk action items, and the escalation list.

Items are those of every valid post-mortem (drafts included: their items are real work), with
their state on the reference date as the site shows it (analytics.action_rows, so policy due
dates apply). Escalation: items overdue by more than `follow_up.escalate_after_days`, by team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .analytics import action_rows, grouped
from .corpus import Corpus
from .metrics import ActionState
from .settings import Settings

NO_OWNER = "(no owner)"


@dataclass(frozen=True)
class Reminder:
    """One action item that needs its owner's attention."""

    incident_id: str
    incident_title: str
    item_id: str
    action: str
    owner: str
    team: str
    priority: str
    due: dt.date
    due_by_policy: bool
    state: ActionState
    """OVERDUE or AT_RISK."""
    days: int
    """Days overdue (positive) or days left (0 or more) before the due date."""
    tracker: str | None

    @property
    def overdue(self) -> bool:
        """Past its due date and not done."""
        return self.state is ActionState.OVERDUE


@dataclass(frozen=True)
class Digest:
    """What a scheduled job posts: reminders by owner and the escalation list by team."""

    reference_date: dt.date
    at_risk_days: int
    escalate_after_days: int
    items_counted: int
    """Action items looked at (every item of every valid post-mortem)."""
    by_owner: dict[str, list[Reminder]]
    """Owner -> overdue items (most overdue first), then at-risk items (soonest first)."""
    escalation: dict[str, list[Reminder]]
    """Team -> items overdue beyond `escalate_after_days` (most overdue first)."""


def digest(corpus: Corpus, settings: Settings) -> Digest:
    """The reminder digest of a corpus on the settings' reference date."""
    follow_up = settings.follow_up
    today = settings.reference_date
    rows = action_rows(corpus.incidents, today, follow_up, settings.holidays)
    reminders = []
    for row in rows:
        if row.state not in (ActionState.OVERDUE, ActionState.AT_RISK) or row.due is None:
            continue
        owner = row.item.owner or NO_OWNER
        overdue = row.state is ActionState.OVERDUE
        reminders.append(
            Reminder(
                incident_id=row.incident.id,
                incident_title=row.incident.model.title,
                item_id=row.item.id,
                action=row.item.action,
                owner=owner,
                team=follow_up.team_of(owner) if row.item.owner else NO_OWNER,
                priority=row.item.priority.value,
                due=row.due,
                due_by_policy=row.due_by_policy,
                state=row.state,
                days=(today - row.due).days if overdue else (row.due - today).days,
                tracker=str(row.item.tracker) if row.item.tracker else None,
            )
        )
    order = sorted(reminders, key=lambda r: (not r.overdue, -r.days if r.overdue else r.days))
    by_owner = grouped(order, lambda r: r.owner)
    late = [r for r in order if r.overdue and r.days > follow_up.escalate_after_days]
    return Digest(
        reference_date=today,
        at_risk_days=follow_up.at_risk_days,
        escalate_after_days=follow_up.escalate_after_days,
        items_counted=len(rows),
        by_owner={owner: by_owner[owner] for owner in sorted(by_owner, key=str.lower)},
        escalation={
            team: items
            for team, items in sorted(grouped(late, lambda r: r.team).items(), key=lambda t: t[0])
        },
    )
