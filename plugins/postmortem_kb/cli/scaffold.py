"""`postmortem new`: a new post-mortem file from the scaffold template, with the next free id."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..core.corpus import discover
from ..core.schema import (
    ASSESSMENTS,
    ASSESSORS,
    CONTRIBUTING_FACTORS,
    RECURRENCE_CHECKS,
    id_key,
)
from ..render.pages import render_text
from ..render.paths import slugify

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
    taken = {id_key(i) for i in ids}
    while id_key(candidate := f"{prefix}-{year}-{number:0{width}d}") in taken:
        number += 1
    return candidate


def file_name(incident_id: str, title: str | None) -> str:
    """`<id>-<title slug>.md`, the slug cut to a readable length."""
    if not title:
        return f"{incident_id}.md"
    slug = slugify(title)[:50].rstrip("-")
    return f"{incident_id}-{slug}.md"


SCAFFOLD_TEMPLATE = "scaffold.md.j2"
"""The template of a new file; `<overrides>/postmortem_kb/scaffold.md.j2` replaces it."""


def render(
    answers: Answers,
    incident_id: str,
    today: dt.date,
    schema_ref: str | None,
    overrides: Path | None = None,
) -> str:
    """The new file's text: every field and section, unanswered values as TODO placeholders."""
    context = {
        "id": incident_id,
        "today": today.isoformat(),
        "example_started": f"{today.isoformat()}T14:02:00Z",
        "schema_ref": schema_ref,
        "answers": answers,
        "factors": CONTRIBUTING_FACTORS,
        "checks": RECURRENCE_CHECKS,
        "assessments": ASSESSMENTS,
        "assessors": ASSESSORS,
    }
    return render_text(SCAFFOLD_TEMPLATE, overrides, context)


def schema_reference(target_dir: Path, project_root: Path, schema_file: str) -> str | None:
    """The relative path from a new file's folder to the project's JSON Schema, if it exists."""
    schema = project_root / schema_file
    if not schema.is_file():
        return None
    return Path(os.path.relpath(schema, target_dir)).as_posix()
