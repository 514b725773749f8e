"""Settings of one knowledge base, independent of the engine that builds it."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

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


def resolve_reference_date(pinned: dt.date | str | None = None) -> dt.date:
    """The build's reference date: a pinned date, else SOURCE_DATE_EPOCH, else today (UTC)."""
    if isinstance(pinned, dt.date):
        return pinned
    if pinned:
        return dt.date.fromisoformat(str(pinned))
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()
