"""The analytics provider: trend pages with charts, index pages, action items and the export."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.analytics import (
    ACTION_COMPLETION_TARGET,
    ASSESSMENT_TARGET,
    MIN_SAMPLE,
    PARTICIPATION_TARGET,
    POSTMORTEM_SLO_BUSINESS_DAYS,
    RECURRENCE_REDUCTION_TARGET,
    TTD_CHANGE_GOAL,
    ActionRow,
    Analytics,
    CheckState,
    QuarterFigures,
    ScoreLine,
    Verdict,
    analyse,
    grouped,
    published_on,
)
from ..core.corpus import Corpus
from ..core.metrics import ActionState
from ..core.metrics import format_minutes as minutes_text
from ..core.schema import Priority, Severity
from . import charts
from . import paths as site_paths
from .export import export_files
from .pages import GeneratedPage, Group, PageBuilder
from .paths import NO_OWNER

CHECK_LABELS = {
    CheckState.MET: "met",
    CheckState.LATE: "late",
    CheckState.OVERDUE: "not recorded, deadline passed",
    CheckState.PENDING: "pending",
    CheckState.NOT_REQUIRED: "not required",
    CheckState.NO_DEADLINE: "no fixed deadline",
    CheckState.NOT_APPLICABLE: "not applicable",
    CheckState.UNKNOWN: "unknown (detection time unknown)",
}
SEVERITY_CSS = {s.value: s.value.lower() for s in Severity}
OVERDUE_LISTED = 100
"""The oldest overdue action items the action-items page lists (all are on the owner pages)."""


def percent(value: float | None) -> str:
    """A ratio as a percentage: `90%`, `66.7%`; an em dash when unknown."""
    if value is None:
        return "—"
    pct = round(value * 100, 1)
    return f"{pct:.0f}%" if pct.is_integer() else f"{pct:.1f}%"


def change(value: float | None) -> str:
    """A relative change with its sign: `+27.3%`, `\u221240%` (a minus sign); `—` when unknown."""
    if value is None:
        return "—"
    text = percent(abs(value))
    return f"+{text}" if value > 0 else (f"\u2212{text}" if value < 0 else text)


VERDICT_LABELS = {
    Verdict.MET: "target met",
    Verdict.MISSED: "target missed",
    Verdict.TOO_FEW: f"not judged: fewer than {MIN_SAMPLE} incidents",
    Verdict.NO_DATA: "no data",
    Verdict.IN_PROGRESS: "quarter in progress",
}
OVERALL_LABELS = {
    Verdict.MET: "success",
    Verdict.MISSED: "not met",
    Verdict.TOO_FEW: "not judged (too few incidents)",
    Verdict.NO_DATA: "not judged (missing data)",
    Verdict.IN_PROGRESS: "quarter in progress",
}


def score_value(line: ScoreLine) -> str:
    """A scorecard value as the page shows it: a rate, a change or a score of 5."""
    if line.value is None:
        return "—"
    if line.group == "assessment":
        return f"{line.value:.2f} / 5"
    return change(line.value) if line.at_most else percent(line.value)


def score_target(line: ScoreLine) -> str:
    """`≥ 90%`, `≤ \u221220%` (a minus sign), `≥ 4 / 5`."""
    if line.group == "assessment":
        return f"≥ {line.target:g} / 5"
    if line.at_most:
        return f"≤ {change(line.target)}"
    return "100%" if line.target >= 1 else f"≥ {percent(line.target)}"


FILTERS = {
    "percent": percent,
    "change": change,
    "score_value": score_value,
    "score_target": score_target,
}


def analytics_provider(
    builder: PageBuilder, corpus: Corpus, site_title: str
) -> Iterable[GeneratedPage]:
    """Every analytics page and data file of the site."""
    builder.env.filters.update(FILTERS)
    builder.env.globals.update(
        check_labels=CHECK_LABELS,
        check_states=CheckState,
        published_on=published_on,
        quarter_page=builder.paths.quarter,
        trends_index=site_paths.TRENDS_INDEX,
        action_items_page=site_paths.ACTION_ITEMS_INDEX,
        factors_page=site_paths.FACTORS_INDEX,
        verdict_labels=VERDICT_LABELS,
        overall_labels=OVERALL_LABELS,
        targets={
            "actions": ACTION_COMPLETION_TARGET,
            "slo_days": POSTMORTEM_SLO_BUSINESS_DAYS,
            "ttd": TTD_CHANGE_GOAL,
            "recurrence": RECURRENCE_REDUCTION_TARGET,
            "participation": PARTICIPATION_TARGET,
            "assessment": ASSESSMENT_TARGET,
            "min_sample": MIN_SAMPLE,
        },
    )
    analytics = analyse(corpus, builder.settings)
    builder.env.globals["incident_cells"] = incident_cells(builder, analytics)
    root_url = builder.paths.url_from(site_paths.HOME)
    pages = [trends_overview(builder, analytics)]
    quarters = analytics.quarters
    for index, quarter in enumerate(quarters):
        previous = quarters[index - 1] if index else None
        following = quarters[index + 1] if index + 1 < len(quarters) else None
        pages.append(quarter_page(builder, analytics, quarter, previous, following))
    pages.extend(action_items_pages(builder, analytics))
    pages.extend(factors_pages(builder, analytics))
    pages.extend(group_pages(builder, analytics, builder.groups(corpus)))
    pages.extend(
        export_files(builder.paths, analytics, lambda i: root_url(builder.paths.incident(i)))
    )
    return pages


@dataclass(frozen=True)
class RepeatCell:
    """An earlier incident that one repeats, as the quarter page lists it."""

    id: str
    page: str | None
    """Its page; None when it is not in the corpus (a `recurrence_of` to an unknown id)."""
    explicit: bool
    services: str
    """The services both share, comma-separated (empty for an explicit repeat)."""


@dataclass(frozen=True)
class IncidentCells:
    """The text of one incident's row in the incident tables, formatted once: an incident is
    listed on its quarter's page and on a page per category, severity, regulation and service,
    so its text is not formatted again for each. The markup stays in the template (macros.j2)."""

    id: str
    title: str
    page: str
    started: str
    quarter: str
    quarter_page: str
    severity: str
    services: str
    root_cause: str | None
    ttd: str
    impact: str
    """Impact duration, or `exposure …` for a near-miss (no customer impact)."""
    ttr: str
    """TTR; an em dash for a near-miss (no outage to resolve; left out of MTTR too)."""
    unresolved: bool
    repeats: str
    """Ids of the earlier incidents it is a declared repeat of, comma-separated; empty when none."""
    possible: str
    """Ids of the earlier incidents it matches by pattern only (possible repeats to review)."""
    repeat_cells: tuple[RepeatCell, ...]
    """The same incidents with their pages and reasons (the many repeats of a large corpus made
    these lists the largest part of the quarter pages)."""


def incident_cells(builder: PageBuilder, analytics: Analytics) -> dict[str, IncidentCells]:
    """The incident-table cells of every incident, by incident id."""
    utc_text = builder.env.filters["utc"]
    duration = builder.env.filters["duration"]
    paths = builder.paths
    cells = {}
    for x in analytics.incidents:
        incident, pm = x.incident, x.incident.model
        label = x.quarter.label
        near_miss = pm.severity is Severity.NEAR_MISS
        exposure = str(duration(incident.metrics.impact_duration))
        cells[incident.id] = IncidentCells(
            id=incident.id,
            title=pm.title,
            page=paths.incident(incident),
            started=str(utc_text(pm.started)),
            quarter=label,
            quarter_page=paths.quarter(label),
            severity=pm.severity.value,
            services=", ".join(pm.services),
            root_cause=pm.root_cause.category.value if pm.root_cause else None,
            ttd=str(duration(incident.metrics.ttd)),
            impact=f"exposure {exposure}" if near_miss else exposure,
            ttr="—" if near_miss else str(duration(incident.metrics.ttr)),
            unresolved=pm.resolved is None,
            repeats=", ".join(r.earlier_id for r in x.repeats if r.explicit),
            possible=", ".join(r.earlier_id for r in x.repeats if not r.explicit),
            repeat_cells=tuple(
                RepeatCell(
                    r.earlier_id,
                    paths.incident_by_id(r.earlier_id),
                    r.explicit,
                    ", ".join(r.services),
                )
                for r in x.repeats
            ),
        )
    return cells


# --- trends -----------------------------------------------------------------------------------


def trends_overview(builder: PageBuilder, analytics: Analytics) -> GeneratedPage:
    """The overview across quarters, with charts."""
    path = site_paths.TRENDS_INDEX
    quarters = analytics.quarters
    labels = [q.quarter.label for q in quarters]
    currencies = sorted({c.currency for q in quarters for c in q.figures.costs})
    overview_charts = [
        charts.bar_chart(
            "chart-incidents",
            "Incidents per quarter by severity",
            labels,
            [
                charts.Series(s.value, [q.figures.by_severity[s.value] for q in quarters], css)
                for s, css in ((s, SEVERITY_CSS[s.value]) for s in Severity)
            ],
            stacked=True,
            steps=charts.COUNT_STEPS,
        ),
        charts.line_chart(
            "chart-mttx",
            "Median TTD, impact duration and TTR per quarter (log scale)",
            labels,
            [
                charts.Series("median TTD", [q.figures.ttd.median for q in quarters], "s1"),
                charts.Series("median impact", [q.figures.impact.median for q in quarters], "s3"),
                charts.Series("median TTR", [q.figures.ttr.median for q in quarters], "s2"),
            ],
            fmt=minutes_text,
            log_ticks=charts.LOG_DURATION_TICKS,
        ),
        charts.bar_chart(
            "chart-actions",
            "Action items done on time, of those due in the quarter",
            labels,
            [
                charts.Series(
                    "on time", [_pct(q.figures.actions.on_time_rate) for q in quarters], "s1"
                )
            ],
            fmt=lambda v: f"{v:.0f}%",
            target=ACTION_COMPLETION_TARGET * 100,
            target_label="target ≥ 90%",
        ),
        *(
            charts.bar_chart(
                f"chart-cost-{currency.lower()}",
                f"Direct and estimated indirect incident cost per quarter ({currency})",
                labels,
                [
                    charts.Series("direct", [_cost(q, currency, False) for q in quarters], "s1"),
                    charts.Series(
                        "estimated indirect", [_cost(q, currency, True) for q in quarters], "s3"
                    ),
                ],
                fmt=_money_format(builder, currency),
                missing="no data",
            )
            for currency in currencies
        ),
    ]
    markdown = builder.render(
        "analytics/trends.md.j2",
        path,
        analytics=analytics,
        quarters=quarters,
        charts=overview_charts,
        currencies=currencies,
        major_quarters=analytics.major_quarters,
        score_columns=SCORE_COLUMNS,
    )
    return builder.aggregate_page(path, markdown, in_nav=True)


def _money_format(builder: PageBuilder, currency: str) -> charts.Formatter:
    money = builder.env.filters["money"]

    def fmt(value: float) -> str:
        return str(money(value, currency))

    return fmt


def _pct(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _cost(q: QuarterFigures, currency: str, indirect: bool) -> float | None:
    """Direct or estimated indirect cost of a quarter in a currency; None without data."""
    found = next((c for c in q.figures.costs if c.currency == currency), None)
    if found is None:
        return None
    return found.indirect if indirect else found.direct


SCORE_COLUMNS = {
    "postmortem_completion": "Post-mortems on time",
    "action_items": "Action items on time",
    "recurrence_reduction": "Recurrence reduction",
    "participation": "Participation",
    "ttd_improvement": "TTD change",
    "boolean_checks": "Boolean checks",
    "assessment_quality": "Quality",
    "assessment_blameless_culture": "Blameless culture",
    "assessment_learning": "Learning",
}
"""Short column headers of the scorecard overview, by scorecard line key."""


def quarter_page(
    builder: PageBuilder,
    analytics: Analytics,
    q: QuarterFigures,
    previous: QuarterFigures | None,
    following: QuarterFigures | None,
) -> GeneratedPage:
    """One quarter's trend page."""
    path = builder.paths.quarter(q.quarter.label)
    f = q.figures
    slug = q.quarter.slug
    quarter_charts = [
        charts.bar_chart(
            f"chart-{slug}-severity",
            f"Incidents by severity, {q.quarter.label}",
            [s.value for s in Severity],
            [charts.Series("incidents", [f.by_severity[s.value] for s in Severity], "s1")],
            header="Severity",
            steps=charts.COUNT_STEPS,
        ),
        charts.bar_chart(
            f"chart-{slug}-mttx",
            f"TTD, TTM, TTR and impact duration, {q.quarter.label} (log scale)",
            ["TTD", "TTM", "TTR", "Impact"],
            [
                charts.Series(
                    name, [getattr(s, attr) for s in (f.ttd, f.ttm, f.ttr, f.impact)], css
                )
                for name, attr, css in (
                    ("mean", "mean", "s1"),
                    ("median", "median", "s2"),
                    ("p90", "p90", "s3"),
                )
            ],
            header="Measure",
            fmt=minutes_text,
            log_ticks=charts.LOG_DURATION_TICKS,
        ),
    ]
    facts = analytics.facts_in(q.quarter)
    due = analytics.actions_due_in(q.quarter)
    markdown = builder.render(
        "analytics/quarter.md.j2",
        path,
        q=q,
        f=f,
        facts=facts,
        actions=due,
        previous=previous,
        following=following,
        charts=quarter_charts,
        reference_date=analytics.reference_date,
    )
    return builder.aggregate_page(path, markdown, in_nav=True)


# --- action items -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionStatus:
    """One row of an action-item status table: items of an owner or priority, per state."""

    label: str
    page: str | None
    """The owner's page (None for a priority)."""
    states: dict[str, int]
    total: int


def _status(label: str, page: str | None, rows: Sequence[ActionRow]) -> ActionStatus:
    states = Counter(row.state.value for row in rows)
    return ActionStatus(label, page, dict(states), len(rows))


OWNER_PAGE_STATES = (
    ActionState.OVERDUE,
    ActionState.AT_RISK,
    ActionState.OPEN,
    ActionState.DONE_ON_TIME,
    ActionState.DONE_LATE,
    ActionState.CANCELLED,
    ActionState.UNKNOWN,
)
"""The order of the sections of an owner's page: what needs doing first."""


def action_items_pages(builder: PageBuilder, analytics: Analytics) -> list[GeneratedPage]:
    """Status tables of every action item by owner and by priority, and a page per owner
    listing its items by state, each ordered by due date.

    Items are listed on their owner's page only, so no page lists every item of the corpus.
    """
    rows = list(analytics.actions)
    by_owner = grouped(rows, lambda row: row.item.owner or NO_OWNER)
    # Most overdue first: most overdue items, then the oldest overdue due date, then by name.
    overdue_rows = grouped(
        (r for r in rows if r.state is ActionState.OVERDUE), lambda row: row.item.owner or NO_OWNER
    )

    def most_overdue(owner: str) -> tuple[int, dt.date, bool, str]:
        late = overdue_rows.get(owner, [])
        oldest = min((r.due for r in late if r.due), default=dt.date.max)
        return (-len(late), oldest, owner == NO_OWNER, owner.lower())

    owners = sorted(by_owner, key=most_overdue)
    with_priority = grouped(rows, lambda row: row.item.priority)
    overall = _status("All", None, rows)
    owner_status = [_status(o, builder.paths.owner(o), by_owner[o]) for o in owners]
    markdown = builder.render(
        "analytics/action_items.md.j2",
        site_paths.ACTION_ITEMS_INDEX,
        analytics=analytics,
        overall=overall,
        overdue=[r for r in rows if r.state is ActionState.OVERDUE][:OVERDUE_LISTED],
        at_risk=[r for r in rows if r.state is ActionState.AT_RISK],
        by_owner=owner_status,
        by_priority=[
            _status(p.value, None, with_priority[p]) for p in Priority if p in with_priority
        ],
    )
    pages = [builder.aggregate_page(site_paths.ACTION_ITEMS_INDEX, markdown, in_nav=True)]
    for owner, status in zip(owners, owner_status, strict=True):
        path = builder.paths.owner(owner)
        by_state = grouped(by_owner[owner], lambda row: row.state)
        markdown = builder.render(
            "analytics/action_owner.md.j2",
            path,
            analytics=analytics,
            owner=status,
            sections=[(state, by_state[state]) for state in OWNER_PAGE_STATES if state in by_state],
        )
        title = f"Action items: {owner}"
        pages.append(builder.aggregate_page(path, markdown, title=title))
    return pages


# --- indexes ----------------------------------------------------------------------------------


def factors_pages(builder: PageBuilder, analytics: Analytics) -> list[GeneratedPage]:
    """The contributing factors ranked across incidents, and a page per factor listing the
    incidents it contributed to (so no page lists the incidents of every factor)."""
    ranking = list(analytics.factors)
    chart = charts.bar_chart(
        "chart-factors",
        "Contributing factors: total score across incidents",
        [r.label for r in ranking],
        [charts.Series("total score", [r.total for r in ranking], "s1")],
        header="Factor",
        steps=charts.COUNT_STEPS,
    )
    markdown = builder.render(
        "analytics/factors.md.j2",
        site_paths.FACTORS_INDEX,
        ranking=ranking,
        incidents=len(analytics.incidents),
        chart=chart,
        factor_page=builder.paths.factor,
    )
    pages = [builder.aggregate_page(site_paths.FACTORS_INDEX, markdown, in_nav=True)]
    for rank in ranking:
        path = builder.paths.factor(rank.key)
        markdown = builder.render("analytics/factor.md.j2", path, factor=rank)
        pages.append(builder.aggregate_page(path, markdown))
    return pages


def group_pages(
    builder: PageBuilder, analytics: Analytics, groups: Sequence[Group]
) -> list[GeneratedPage]:
    """For each group (category, severity, regulation, service): an index and one page per value."""
    reports = {r.regulation.code: r for r in analytics.regulations}
    pages = []
    for group in groups:
        index_path = builder.paths.group_index(group.key)
        figures = [analytics.figures_of(p.incidents) for p in group.pages]  # once per page
        pages.append(
            builder.aggregate_page(
                index_path,
                builder.render(
                    "analytics/group_index.md.j2",
                    index_path,
                    group=group,
                    figures={p.path: f for p, f in zip(group.pages, figures, strict=True)},
                    reports=reports,
                    tags_listing=group.key == "categories",
                ),
                in_nav=True,
            )
        )
        for page, page_figures in zip(group.pages, figures, strict=True):
            facts = sorted(
                analytics.facts_of(page.incidents),
                key=lambda x: x.incident.model.started,
                reverse=True,
            )
            pages.append(
                builder.aggregate_page(
                    page.path,
                    builder.render(
                        "analytics/group_page.md.j2",
                        page.path,
                        group=group,
                        page=page,
                        facts=facts,
                        f=page_figures,
                        report=reports.get(page.label) if group.key == "regulations" else None,
                        index_path=index_path,
                        reference_date=analytics.reference_date,
                    ),
                )
            )
    return pages
