"""`postmortem new`: a new post-mortem file from the template, with the next free id."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..core.corpus import discover
from ..core.schema import CONTRIBUTING_FACTORS, RECURRENCE_CHECKS
from ..render.pages import slugify

_ID = re.compile(r"^(?P<prefix>[A-Za-z]+)-(?P<year>\d{4})-(?P<number>\d+)$")
_ID_LINE = re.compile(r"""^id:[ \t]*["']?(?P<id>[A-Za-z0-9_-]+)""", re.MULTILINE)
DEFAULT_PREFIX = "INC"


@dataclass
class Answers:
    """What the author told us; anything left None becomes a TODO placeholder."""

    title: str | None = None
    severity: str | None = None
    services: list[str] = field(default_factory=list)
    started: str | None = None
    authors: list[str] = field(default_factory=list)
    detection: str | None = None
    id: str | None = None


def existing_ids(directory: Path) -> list[str]:
    """The ids of the post-mortems in `directory`, read cheaply from each file's `id:` line."""
    ids = []
    for path in discover(directory) if directory.is_dir() else []:
        if path.is_symlink():
            continue  # never read through a link (validate refuses it)
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:4000]
        except OSError:
            continue
        match = _ID_LINE.search(head)
        ids.append(match.group("id") if match else path.stem)
    return ids


def next_id(ids: list[str], year: int) -> str:
    """The next free `<PREFIX>-<year>-<NNN>` id after the highest one used in `year`."""
    parsed = [m for m in (_ID.match(i) for i in ids) if m]
    prefixes = Counter(m.group("prefix").upper() for m in parsed)
    prefix = prefixes.most_common(1)[0][0] if prefixes else DEFAULT_PREFIX
    same = [
        m for m in parsed if m.group("prefix").upper() == prefix and int(m.group("year")) == year
    ]
    number = max((int(m.group("number")) for m in same), default=0) + 1
    width = max([3, *(len(m.group("number")) for m in same)])
    taken = {i.lower() for i in ids}
    while (candidate := f"{prefix}-{year}-{number:0{width}d}").lower() in taken:
        number += 1
    return candidate


def file_name(incident_id: str, title: str | None) -> str:
    """`<id>-<title slug>.md`, the slug cut to a readable length."""
    if not title:
        return f"{incident_id}.md"
    slug = slugify(title)[:50].rstrip("-")
    return f"{incident_id}-{slug}.md"


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _todo(value: str | None, placeholder: str) -> str:
    return _q(value) if value else _q(f"TODO: {placeholder}")


def render(answers: Answers, incident_id: str, today: dt.date, schema_ref: str | None) -> str:
    """The new file's text: every field and section, unanswered values as TODO placeholders."""
    example = f"{today.isoformat()}T14:02:00Z"
    authors = ", ".join(_q(a) for a in answers.authors) or _q("TODO: your name")
    services = ", ".join(_q(s) for s in answers.services) or _q("TODO: service-name")
    factors = "\n".join(f"  {key}: 0  # {label}" for key, label in CONTRIBUTING_FACTORS.items())
    checks = "\n".join(f"  {key}: false  # {label}" for key, label in RECURRENCE_CHECKS.items())
    modeline = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    return f"""---
{modeline}# Replace every TODO, then run: postmortem validate <this file>
# Blameless rules: focus on systems, not individuals; write what happened, not who did it. If
# you find yourself writing someone's name next to a mistake, rewrite it as a process gap.
id: {incident_id}
title: {_todo(answers.title, "what failed, for whom, for how long")}
summary: {_q("TODO: two or three sentences: what happened, the impact, how it was resolved")}
status: draft
authors: [{authors}]
written: {today.isoformat()}
# published: YYYY-MM-DD  (required once status is 'published')
severity: {_todo(answers.severity, "SEV-1 | SEV-2 | SEV-3 | near-miss")}
services: [{services}]
# industry: fintech | healthcare | saas | e-commerce | manufacturing | other
# regulations: [PCI-DSS]
started: {_todo(answers.started, f"when impact began, e.g. {example}")}
detected: {_q("TODO: first alert or report, a timestamp with a UTC offset")}
mitigated: {_q("TODO: when impact stopped (delete the line if mitigation was the resolution)")}
resolved: {_q("TODO: when the incident was closed (delete the line while it is not)")}
detection: {_todo(answers.detection, "monitoring | customer-report | internal-discovery")}
impact:
  # users_affected: 0
  # requests_failed: 0
  # transactions_failed: 0
  # revenue_lost: 0
  sla_breached: false
  slo_breached: false
  description: {_q("TODO: who and what was affected, in one or two sentences")}
timeline:  # kind: trigger, detection, escalation, investigation, mitigation, resolution, ...
  - at: {_q("TODO: a timestamp with a UTC offset")}
    event: {_q("TODO: what happened (one entry per event)")}
    kind: trigger
whys:  # the 5 Whys: direct cause -> systemic cause -> organizational root
  - question: {_q("TODO: Why did the symptom customers saw happen?")}
    answer: {_q("TODO: the direct cause")}
  - question: {_q("TODO: Why did that happen?")}
    answer: {_q("TODO: answer")}
  - question: {_q("TODO: Why did THAT happen?")}
    answer: {_q("TODO: answer")}
  - question: {_q("TODO: Why (the systemic cause)?")}
    answer: {_q("TODO: answer")}
  - question: {_q("TODO: Why (the organizational root)?")}
    answer: {_q("TODO: answer")}
root_cause:
  category: {_q("TODO: technical | process | people | organizational")}
  summary: {_q("TODO: the system or process gap that allowed it, not 'human error'")}
contributing_factors:  # 0 = not a factor ... 3 = primary contributor; or {{score: 2, notes: ...}}
{factors}
went_well:
  - {_q("TODO: 3-5 things that worked: fast detection? good runbooks? quick escalation?")}
went_wrong:
  - {_q("TODO: what made the incident worse or longer")}
lucky: []
lessons_learned:
  - {_q("TODO: what the organization learned")}
action_items:  # every action has an owner and a due date
  - id: AI-1
    action: {_q("TODO: a specific, verifiable change")}
    owner: {_q("TODO: team or person")}
    due: {_q("TODO: YYYY-MM-DD")}
    priority: {_q("TODO: P0 | P1 | P2")}
    status: open
    success_criteria: {_q("TODO: how we will know it worked")}
recurrence_prevention:
{checks}
# cost:  # inputs of the incident cost calculator; totals are computed
#   sla_credits: 0
#   vendor_costs: 0
#   engineering_hours: 0
#   hourly_rate: 0
related: []
---
## Executive summary

TODO: the story of the incident in a few paragraphs, for readers who read nothing else.

## Incident timeline

TODO: context the timeline table does not give (or delete this line).

## Impact assessment

TODO: users, transactions, revenue, SLAs; regulatory obligations if any (or delete this line).

## Root cause analysis

TODO: the reasoning behind the 5 Whys; a fishbone (people, process, technology, environment).

## Contributing factors

TODO: notes on the factors scored above (or delete this line).

## What went well / what went wrong

TODO: anything the lists above do not say (or delete this line).

## Action items

TODO: how the action items prevent a recurrence (or delete this line).

## Lessons learned

TODO: what other teams should take from this incident (or delete this line).
"""


def schema_reference(target_dir: Path, project_root: Path, schema_file: str) -> str | None:
    """The relative path from a new file's folder to the project's JSON Schema, if it exists."""
    schema = project_root / schema_file
    if not schema.is_file():
        return None
    return Path(os.path.relpath(schema, target_dir)).as_posix()
