"""The incident explorer: one page, a compact JSON of every incident, and its vanilla-JS filters.

The browser filters a compact array rather than a prebuilt lunr index of the same records,
which is larger and needs lunr.js shipped to the page as well (sizes in bench/results.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import Any

from ..core.corpus import Corpus, Incident
from ..core.schema import RootCauseCategory, Severity, Status
from .pages import GeneratedPage, PageBuilder
from .safejson import dumps

EXPLORER_PAGE = "explorer.md"
DATA_PATH = "data/explorer.json"
SCRIPT_PATH = "assets/postmortem-kb/explorer.js"
DATA_VERSION = 1
_SLUG = "__slug__"


def quarter(incident: Incident) -> str:
    """The calendar quarter (UTC) an incident started in, e.g. '2025-Q1'."""
    started = incident.model.started
    return f"{started.year}-Q{(started.month - 1) // 3 + 1}"


def explorer_data(builder: PageBuilder, corpus: Corpus) -> dict[str, Any]:
    """Every incident as one compact row; repeated values are indexes into shared lists.

    Row: [id, title, slug, started (YYYY-MM-DD), severity, status, category (-1 if none),
    [services], [regulations], quarter, root-cause summary].
    """
    severities = [s.value for s in Severity]
    statuses = [s.value for s in Status]
    categories = [c.value for c in RootCauseCategory]
    services = sorted({s for i in corpus.incidents for s in i.model.services})
    regulations = [
        code
        for code in builder.settings.regulations.codes
        if any(code in i.model.regulations for i in corpus.incidents)
    ]
    service_index = {s: n for n, s in enumerate(services)}
    regulation_index = {r: n for n, r in enumerate(regulations)}
    link = builder.url_from(EXPLORER_PAGE)(f"{builder.settings.url_prefix}/{_SLUG}.md")
    rows = []
    newest_first = sorted(corpus.incidents, key=lambda i: (i.model.started, i.id), reverse=True)
    for incident in newest_first:
        pm = incident.model
        rows.append(
            [
                pm.id,
                pm.title,
                incident.slug,
                pm.started.date().isoformat(),
                severities.index(pm.severity.value),
                statuses.index(pm.status.value),
                categories.index(pm.root_cause.category.value) if pm.root_cause else -1,
                [service_index[s] for s in pm.services],
                [regulation_index[r] for r in pm.regulations if r in regulation_index],
                quarter(incident),
                pm.root_cause.summary if pm.root_cause else "",
            ]
        )
    return {
        "version": DATA_VERSION,
        "link": link.split(_SLUG),
        "severities": severities,
        "statuses": statuses,
        "categories": categories,
        "services": services,
        "regulations": regulations,
        "rows": rows,
    }


def explorer_pages(
    builder: PageBuilder, corpus: Corpus, site_title: str
) -> Iterable[GeneratedPage]:
    """The explorer page, its data file and its script."""
    script = resources.files("postmortem_kb.render").joinpath("assets/explorer.js").read_text()
    markdown = builder.render(
        "explorer.md.j2",
        EXPLORER_PAGE,
        count=len(corpus.incidents),
        data_url=builder.url_from(EXPLORER_PAGE)(DATA_PATH),
        script_url=builder.url_from(EXPLORER_PAGE)(SCRIPT_PATH),
    )
    yield builder.aggregate_page(EXPLORER_PAGE, markdown, in_nav=True)
    yield GeneratedPage(DATA_PATH, dumps(explorer_data(builder, corpus)))
    yield GeneratedPage(SCRIPT_PATH, script)
