"""Settings of one knowledge base, independent of the engine that builds it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .followup import FollowUp
from .regulations import RegulationRegistry


@dataclass(frozen=True)
class Settings:
    """What the core needs to know to validate, compute and render a knowledge base."""

    reference_date: dt.date
    """'Today' for overdue action items; pinned for reproducible builds."""
    regulations: RegulationRegistry = field(default_factory=RegulationRegistry)
    url_prefix: str = "incidents"
    """Folder of the generated incident pages within the site."""
    use_directory_urls: bool = True
    include_drafts: bool = True
    holidays: frozenset[dt.date] = frozenset()
    """Dates that are not business days (besides weekends), for SLOs and deadlines."""
    docs_pages: frozenset[str] = frozenset()
    """Hand-written pages the site has (e.g. `guide/data.md`); generated pages link to them
    only when they exist, so the plugin works in a site without this repository's guide."""
    section_placement: tuple[tuple[str, str], ...] = ()
    """Headings of the authors' own -> the section they are shown in (besides PLACEMENT)."""
    follow_up: FollowUp = field(default_factory=FollowUp)
    """Due-date policies, at-risk window, escalation and the approval rule (followup.py)."""
    preview: bool = False
    """A local preview for authors (`mkdocs serve`): each file that gives no incident gets a
    page listing its problems, where its incident page would be."""
