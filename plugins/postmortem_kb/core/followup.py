"""Follow-up of action items: due-date policy per priority, at-risk window, escalation, approval.

- An item without a `due` date gets its priority's policy date, counted from the day the
  post-mortem was `written` (the day its action items were agreed), and is marked as such.
  Defaults follow the template: P0 the next business day, P1 one week, P2 one month.
- An item not done is *at risk* when its (written or policy) due date is today or within
  `at_risk_days` days; *overdue* once the date has passed (metrics.action_state).
- The escalation list holds items overdue by more than `escalate_after_days` days, by team
  (an owner's team from `teams`, else the owner itself: owners are usually teams).
- The approval rule: post-mortems of the listed severities need an `approved_by` entry, dated on
  or before `published`, before their status may be `published`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .schema import ActionItem, PostMortem, Priority, Severity, Status

_UNITS = {"business day": "business-days", "day": "days", "week": "weeks", "month": "months"}
_HORIZON = re.compile(r"^\s*(\d{1,4})\s+(business day|day|week|month)s?\s*$", re.IGNORECASE)


def is_business_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    """Monday to Friday and not a configured holiday."""
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: dt.date, days: int, holidays: frozenset[dt.date]) -> dt.date:
    """The date `days` business days after `start`."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        remaining -= is_business_day(day, holidays)
    return day


@dataclass(frozen=True)
class Horizon:
    """A due-date policy: so many business days, days, weeks or calendar months."""

    amount: int
    unit: str
    """`business-days`, `days`, `weeks` or `months`."""

    @classmethod
    def parse(cls, value: Any) -> Horizon:
        """`7` (days), `"1 business day"`, `"2 weeks"`, `"1 month"` (at most 9999 of a unit);
        ValueError otherwise."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9999:
            return cls(value, "days")
        match = _HORIZON.match(str(value)) if isinstance(value, str) else None
        if match is None:
            raise ValueError(
                f"{value!r} is not a horizon; write e.g. 1 business day, 7 days, 2 weeks, 1 month"
            )
        return cls(int(match.group(1)), _UNITS[match.group(2).lower()])

    def after(self, start: dt.date, holidays: frozenset[dt.date] = frozenset()) -> dt.date:
        """The date this horizon after `start` (months clamp to the month's last day)."""
        if self.unit == "business-days":
            return add_business_days(start, self.amount, holidays)
        if self.unit == "months":
            index = start.year * 12 + start.month - 1 + self.amount
            year, month = divmod(index, 12)
            last = calendar.monthrange(year, month + 1)[1]
            return start.replace(year=year, month=month + 1, day=min(start.day, last))
        return start + dt.timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))

    def __str__(self) -> str:
        unit = self.unit.replace("-", " ").removesuffix("s")
        return f"{self.amount} {unit}{'' if self.amount == 1 else 's'}"


DEFAULT_HORIZONS: dict[Priority, Horizon] = {
    Priority.P0: Horizon(1, "business-days"),
    Priority.P1: Horizon(1, "weeks"),
    Priority.P2: Horizon(1, "months"),
}


@dataclass(frozen=True)
class FollowUp:
    """The follow-up settings of one knowledge base (the `follow_up` option: options.py)."""

    horizons: tuple[tuple[Priority, Horizon], ...] = tuple(DEFAULT_HORIZONS.items())
    at_risk_days: int = 3
    escalate_after_days: int = 14
    teams: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Team name -> its members (owners or tracker assignees), for escalation and sync."""
    approval: frozenset[Severity] = frozenset()
    """Severities whose post-mortems need an approval before `published` (none by default)."""
    _team_of: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for team, members in self.teams:
            for member in members:
                self._team_of.setdefault(_person(member), team)

    def horizon(self, priority: Priority) -> Horizon:
        """The due-date policy of a priority."""
        return dict(self.horizons).get(priority, DEFAULT_HORIZONS[priority])

    def team_of(self, owner: str) -> str:
        """The team an owner belongs to per `teams`; the owner itself otherwise."""
        return self._team_of.get(_person(owner), owner)

    def members(self, team: str) -> tuple[str, ...]:
        """The members `teams` lists for a team (none when it is not configured)."""
        return dict(self.teams).get(team, ())


DEFAULT_FOLLOW_UP = FollowUp()


def _person(name: str) -> str:
    """A name as compared across files and trackers: no '@', case-insensitive."""
    return name.strip().lstrip("@").casefold()


def same_person(a: str, b: str) -> bool:
    """True when two names (an owner, an assignee) are the same, ignoring '@' and case."""
    return _person(a) == _person(b)


@dataclass(frozen=True)
class Due:
    """An action item's due date: the written one, or its priority's policy date; None when
    neither is known (an unknown priority or written date, or a historical record)."""

    date: dt.date | None
    by_policy: bool


def due_of(
    item: ActionItem,
    pm: PostMortem,
    follow_up: FollowUp = DEFAULT_FOLLOW_UP,
    holidays: frozenset[dt.date] = frozenset(),
) -> Due:
    """The item's `due`, else the policy date of its priority counted from `written`; none for
    a historical (imported) record, whose deadlines were never set by this policy, or when the
    priority or the written date is unknown."""
    if item.due is not None:
        return Due(item.due, False)
    if pm.historical or pm.written is None or item.priority is Priority.UNKNOWN:
        return Due(None, False)
    return Due(follow_up.horizon(item.priority).after(pm.written, holidays), True)


def approval_problem(pm: PostMortem, follow_up: FollowUp) -> tuple[str, str] | None:
    """(field, message) when the approval rule is broken, else None."""
    if pm.severity not in follow_up.approval or pm.status is not Status.PUBLISHED:
        return None
    if not pm.approved_by:
        return (
            "approved_by",
            f"a {pm.severity.value} post-mortem needs an approval (approved_by) before its"
            " status is 'published'",
        )
    if pm.published is not None and all(a.date > pm.published for a in pm.approved_by):
        return (
            "approved_by",
            f"every approval is dated after 'published' ({pm.published}); a"
            f" {pm.severity.value} post-mortem is approved before it is published",
        )
    return None
