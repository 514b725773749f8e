"""Drift between an action item as written and its tracker: status, due date, assignee.

Status drift can be written back (`status`, and `completed` from the tracker's close date);
due-date and assignee drift are reported for a person to settle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..core.analytics import grouped
from ..core.corpus import Incident
from ..core.followup import FollowUp, same_person
from ..core.loader import LoadError, read_document
from ..core.schema import ActionItem, ActionStatus
from .clients import Failure, TrackerState
from .edit import Edit
from .links import Ref, Site, parse, unknown_message


@dataclass(frozen=True)
class Drift:
    """One field on which the file and the tracker disagree."""

    field: str
    """`status`, `due` or `assignee`."""
    file: str
    tracker: str


@dataclass
class ItemReport:
    """What sync found for one action item with a tracker link."""

    incident: Incident = field(repr=False)
    index: int
    """The item's position in `action_items`."""
    item: ActionItem
    ref: Ref | None
    failure: Failure | None = None
    drifts: list[Drift] = field(default_factory=list)
    edit: Edit | None = None
    """The status/completed change that settles the status drift, when there is one."""
    written: bool = False
    not_written: str | None = None
    """Why `--write` left the edit out."""
    line: int = 1
    """The line of the item's `tracker` key in its file (see `locate`)."""

    @property
    def path(self) -> str:
        """The post-mortem's display path."""
        return self.incident.document.display_path


def locate(reports: list[ItemReport]) -> None:
    """Set each report's line: the corpus keeps few key lines, so each file is read again."""
    for path, file_reports in grouped(reports, lambda r: r.incident.document.path).items():
        try:
            document = read_document(path, file_reports[0].path)
        except LoadError:
            continue
        for report in file_reports:
            report.line = document.line_of(("action_items", report.index, "tracker"))


def tracked_items(incidents: Iterable[Incident], sites: list[Site]) -> list[ItemReport]:
    """A report per action item with a `tracker` link (unknown links get their failure)."""
    reports = []
    for incident in incidents:
        for index, item in enumerate(incident.model.action_items):
            if item.tracker is None:
                continue
            ref = parse(str(item.tracker), sites)
            failure = None if ref else Failure("unknown-link", unknown_message(sites))
            reports.append(ItemReport(incident, index, item, ref, failure))
    locate(reports)
    return reports


def compare(
    reports: list[ItemReport],
    states: Mapping[Ref, TrackerState | Failure],
    follow_up: FollowUp,
) -> None:
    """Fill each report's drifts and edit from its tracker state (or its failure)."""
    for report in reports:
        if report.ref is None:
            continue
        state = states[report.ref]
        if isinstance(state, Failure):
            report.failure = state
            continue
        report.drifts, report.edit = item_drift(report.item, state, follow_up)


def item_drift(
    item: ActionItem, state: TrackerState, follow_up: FollowUp
) -> tuple[list[Drift], Edit | None]:
    """Every drift of one item and the edit that settles its status drift (if writable)."""
    drifts: list[Drift] = []
    edit: Edit | None = None
    same = item.status is state.status or (
        not state.progress_known
        and state.status is ActionStatus.OPEN
        and item.status is ActionStatus.IN_PROGRESS
    )
    if not same:
        closed = f" (closed {state.closed_on})" if state.closed_on else ""
        drifts.append(Drift("status", item.status.value, state.status.value + closed))
        if state.status is not ActionStatus.DONE:
            edit = Edit(state.status, None)
        elif state.closed_on is not None:
            edit = Edit(state.status, state.closed_on)
    if state.due is not None and state.due != item.due:
        drifts.append(Drift("due", _day(item.due), _day(state.due)))
    if state.assignees and not _assigned(item.owner, state.assignees, follow_up):
        drifts.append(Drift("assignee", item.owner or "none", ", ".join(state.assignees)))
    return drifts, edit


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "none"


def _assigned(owner: str | None, assignees: tuple[str, ...], follow_up: FollowUp) -> bool:
    """The owner is an assignee, or a team (per `follow_up.teams`) one of them belongs to."""
    if owner is None:
        return False
    people = (owner, *follow_up.members(owner))
    return any(same_person(person, a) for person in people for a in assignees)
