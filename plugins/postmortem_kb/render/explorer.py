"""The incident explorer: one page, a compact JSON of every incident, and its vanilla-JS filters.

The browser filters a compact array rather than a prebuilt lunr index of the same records,
which is larger and needs lunr.js shipped to the page as well (sizes in bench/results.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.analytics import incident_quarter
from ..core.corpus import Corpus
from ..core.schema import CONTRIBUTING_FACTORS, RootCauseCategory, Severity, Status
from .pages import GeneratedPage, PageBuilder, asset_text
from .paths import EXPLORER, EXPLORER_DATA, EXPLORER_SCRIPT
from .safejson import dumps

DATA_VERSION = 1
_SLUG = "__slug__"


def explorer_data(builder: PageBuilder, corpus: Corpus) -> dict[str, Any]:
    """Every incident as one compact row; repeated values are indexes into shared lists.

    Row: [id, title, slug, started (YYYY-MM-DD), severity, status, category (-1 if none),
    [services], [regulations], quarter, root-cause summary, [action-item owners],
    [contributing factors scored 1 or more]]; an incident's URL is `link[0] + slug + link[1]`.
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
    owners = sorted({a.owner for i in corpus.incidents for a in i.model.action_items if a.owner})
    factors = list(CONTRIBUTING_FACTORS)
    owner_index = {o: n for n, o in enumerate(owners)}
    service_index = {s: n for n, s in enumerate(services)}
    regulation_index = {r: n for n, r in enumerate(regulations)}
    paths = builder.paths
    link = paths.url_from(EXPLORER)(paths.incident_slug_path(_SLUG))
    rows = []
    newest_first = sorted(corpus.incidents, key=lambda i: (i.model.started, i.id), reverse=True)
    for incident in newest_first:
        pm = incident.model
        rows.append(
            [
                pm.id,
                pm.title,
                paths.incident_slug(incident),
                pm.started.date().isoformat(),
                severities.index(pm.severity.value),
                statuses.index(pm.status.value),
                categories.index(pm.root_cause.category.value) if pm.root_cause else -1,
                [service_index[s] for s in pm.services],
                [regulation_index[r] for r in pm.regulations if r in regulation_index],
                incident_quarter(incident).label,
                pm.root_cause.summary if pm.root_cause else "",
                sorted({owner_index[a.owner] for a in pm.action_items if a.owner}),
                [
                    factors.index(key)
                    for key, score in pm.contributing_factors.scores().items()
                    if score.score > 0
                ],
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
        "owners": owners,
        "factors": [CONTRIBUTING_FACTORS[key] for key in factors],
        "rows": rows,
    }


def explorer_pages(
    builder: PageBuilder, corpus: Corpus, site_title: str
) -> Iterable[GeneratedPage]:
    """The explorer page, its data file and its script."""
    script = asset_text(EXPLORER_SCRIPT)
    url = builder.paths.url_from(EXPLORER)
    markdown = builder.render(
        "explorer.md.j2",
        EXPLORER,
        count=len(corpus.incidents),
        data_url=url(EXPLORER_DATA),
        script_url=url(EXPLORER_SCRIPT),
    )
    yield builder.aggregate_page(EXPLORER, markdown, in_nav=True)
    yield GeneratedPage(EXPLORER_DATA, dumps(explorer_data(builder, corpus)))
    yield GeneratedPage(EXPLORER_SCRIPT, script)
