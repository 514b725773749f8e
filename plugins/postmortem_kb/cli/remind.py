"""`postmortem remind`: the reminder digest as Markdown, a Slack message (JSON) or plain JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..core.reminders import Digest, Reminder
from ..render.paths import SitePaths

Link = Callable[[Reminder], str | None]
"""The URL of a reminder's row on the site, when the site's URL is known."""


def page_link(site_url: str, paths: SitePaths) -> Link:
    """Links to each item's row on its incident page, when the site has that page."""
    if not site_url:
        return _no_link

    def link(r: Reminder) -> str | None:
        page = paths.incident_by_id(r.incident_id)
        return paths.absolute_url(site_url, page, paths.action_anchor(r.item_id)) if page else None

    return link


def _no_link(reminder: Reminder) -> None:
    return None


SLACK_SECTION_CHARS = 3000
"""Slack's limit on the text of one section block."""
SLACK_BLOCKS = 50
"""Slack's limit on blocks per message."""


def _when(r: Reminder) -> str:
    due = f"due {r.due}{' by policy' if r.due_by_policy else ''}"
    if r.overdue:
        return f"{r.days} day{'s' if r.days != 1 else ''} overdue ({due})"
    left = "today" if r.days == 0 else f"in {r.days} day{'s' if r.days != 1 else ''}"
    return f"{due}, {left}"


def _counts(digest: Digest) -> str:
    items = [r for rs in digest.by_owner.values() for r in rs]
    overdue = sum(r.overdue for r in items)
    return (
        f"{overdue} overdue and {len(items) - overdue} at-risk action items"
        f" (of {digest.items_counted}), for {len(digest.by_owner)} owners"
    )


# --- Markdown -----------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(reminders: list[Reminder], link: Link, with_owner: bool = False) -> list[str]:
    head = "| Incident | Item | Action | Priority | When |" + (" Owner |" if with_owner else "")
    lines = [head, "|" + " --- |" * (6 if with_owner else 5)]
    for r in reminders:
        page = link(r)
        incident = f"[{r.incident_id}]({page})" if page else r.incident_id
        item = f"[{r.item_id}]({r.tracker})" if r.tracker else r.item_id
        row = f"| {incident} | {item} | {_cell(r.action)} | {r.priority} | {_when(r)} |"
        lines.append(row + (f" {_cell(r.owner)} |" if with_owner else ""))
    return lines


def markdown(digest: Digest, link: Link = _no_link) -> str:
    """The digest as a Markdown document (for an issue, a wiki page or an email)."""
    lines = [
        f"# Action-item reminders, {digest.reference_date}",
        "",
        f"{_counts(digest)}. At risk: not done and due within {digest.at_risk_days} days.",
    ]
    for owner, reminders in digest.by_owner.items():
        lines += ["", f"## {_cell(owner)}", "", *_table(reminders, link)]
    lines += ["", f"## Escalation: overdue more than {digest.escalate_after_days} days", ""]
    if not digest.escalation:
        lines.append("Nothing to escalate.")
    for team, reminders in digest.escalation.items():
        lines += [f"### {_cell(team)}", "", *_table(reminders, link, with_owner=True), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Slack --------------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(r: Reminder, link: Link, with_owner: bool = False) -> str:
    mark = ":red_circle:" if r.overdue else ":large_orange_circle:"
    page = link(r)
    name = _slack_escape(f"{r.incident_id} {r.item_id}")
    if page:
        name = f"<{page}|{name}>"
    tracker = f" (<{r.tracker}|tracker>)" if r.tracker else ""
    owner = f" — {_slack_escape(r.owner)}" if with_owner else ""
    return f"{mark} {name} ({r.priority}) {_slack_escape(r.action)}{tracker} — *{_when(r)}*{owner}"


def _sections(title: str, lines: list[str]) -> list[dict[str, Any]]:
    """Section blocks of at most Slack's length, the title on the first."""
    blocks: list[dict[str, Any]] = []
    text = f"*{_slack_escape(title)}*"
    for line in lines:
        line = line[: SLACK_SECTION_CHARS - 10]
        if len(text) + 1 + len(line) > SLACK_SECTION_CHARS:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
            text = ""
        text = f"{text}\n{line}" if text else line
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return blocks


def slack(digest: Digest, link: Link = _no_link) -> str:
    """A Slack message (`text` plus Block Kit `blocks`) for an incoming webhook or chat.post."""
    summary = f"Action-item reminders, {digest.reference_date}: {_counts(digest)}."
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Action-item reminders"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(summary)}},
    ]
    body: list[dict[str, Any]] = []
    for owner, reminders in digest.by_owner.items():
        body += _sections(owner, [_slack_line(r, link) for r in reminders])
    if digest.escalation:
        body.append({"type": "divider"})
        title = f"Escalation: overdue more than {digest.escalate_after_days} days"
        body += _sections(title, [])
        for team, reminders in digest.escalation.items():
            body += _sections(team, [_slack_line(r, link, with_owner=True) for r in reminders])
    room = SLACK_BLOCKS - len(blocks) - 1
    if len(body) > room:
        left = len(body) - room
        body = body[:room]
        more = f"…and {left} more blocks: run `postmortem remind` for the full list."
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return json.dumps({"text": summary, "blocks": blocks + body}, indent=2, ensure_ascii=False)


# --- JSON ---------------------------------------------------------------------------------------


def _record(r: Reminder, link: Link) -> dict[str, Any]:
    return {
        "url": link(r),
        "incident_id": r.incident_id,
        "incident_title": r.incident_title,
        "item_id": r.item_id,
        "action": r.action,
        "owner": r.owner,
        "team": r.team,
        "priority": r.priority,
        "due": r.due.isoformat(),
        "due_by_policy": r.due_by_policy,
        "state": r.state.value,
        "days_overdue": r.days if r.overdue else None,
        "days_left": None if r.overdue else r.days,
        "tracker": r.tracker,
    }


def as_json(digest: Digest, link: Link = _no_link) -> str:
    """The digest as one JSON document."""
    document = {
        "reference_date": digest.reference_date.isoformat(),
        "at_risk_days": digest.at_risk_days,
        "escalate_after_days": digest.escalate_after_days,
        "items_counted": digest.items_counted,
        "owners": [
            {"owner": owner, "items": [_record(r, link) for r in reminders]}
            for owner, reminders in digest.by_owner.items()
        ],
        "escalation": [
            {"team": team, "items": [_record(r, link) for r in reminders]}
            for team, reminders in digest.escalation.items()
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


FORMATS: dict[str, Callable[[Digest, Link], str]] = {
    "markdown": markdown,
    "slack": slack,
    "json": as_json,
}
