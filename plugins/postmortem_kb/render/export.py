"""The data export: incidents, action items and quarterly figures as JSON and CSV files."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..core.analytics import (
    ACTION_COMPLETION_TARGET,
    ASSESSMENT_TARGET,
    MIN_SAMPLE,
    PARTICIPATION_TARGET,
    RECURRENCE_REDUCTION_TARGET,
    TTD_CHANGE_GOAL,
    ActionRow,
    Analytics,
    Figures,
    IncidentFacts,
    QuarterFigures,
    Stats,
    minutes,
    utc,
)
from ..core.corpus import Incident
from ..core.metrics import ActionState
from ..core.packed import Packer
from . import safejson
from .pages import GeneratedPage
from .paths import SitePaths

SCHEMA_VERSION = 2
"""Bumped when a field changes meaning or disappears (adding fields does not bump it). 2: repeats
are declared ones only (`repeat_of`, `repeat_ids`), pattern matches moved to `possible_repeat_of`
and `possible_repeat_ids`, `repeat_explicit` removed; `downtime_minutes` defaults to the impact
duration."""

Record = dict[str, Any]
UrlOf = Callable[[Incident], str]


def export_files(paths: SitePaths, analytics: Analytics, url_of: UrlOf) -> list[GeneratedPage]:
    """`data/{incidents,action-items,quarters}.{json,csv}` (`paths.EXPORTS`); `url_of` gives an
    incident's URL."""
    header = {
        "schema_version": SCHEMA_VERSION,
        "reference_date": analytics.reference_date.isoformat(),
        "holidays": sorted(day.isoformat() for day in analytics.holidays),
    }
    # One kind of record at a time: each is dropped once its two files are packed.
    incidents = [incident_record(f, url_of) for f in analytics.incidents]
    files = [
        _json(paths, "incidents", {**header, "incidents": incidents}),
        _csv(paths, "incidents", incidents),
    ]
    del incidents
    actions = [
        action_record(row, analytics.reference_date, url_of, paths.action_anchor)
        for row in analytics.actions
    ]
    files += [
        _json(paths, "action-items", {**header, "action_items": actions}),
        _csv(paths, "action-items", actions),
    ]
    del actions
    quarters = [quarter_record(q) for q in analytics.quarters]
    targets = {
        "action_item_on_time_rate": ACTION_COMPLETION_TARGET,
        "postmortem_slo_rate": 1.0,
        "ttd_median_change": TTD_CHANGE_GOAL,
        "recurrence_reduction": RECURRENCE_REDUCTION_TARGET,
        "participation_rate": PARTICIPATION_TARGET,
        "boolean_checks_rate": 1.0,
        "assessment_mean": ASSESSMENT_TARGET,
        "min_sample": MIN_SAMPLE,
    }
    return [
        *files,
        _json(
            paths,
            "quarters",
            {
                **header,
                "targets": targets,
                "quarters": quarters,
                "overall": figures_record(analytics.overall),
                "sev1_sev2_quarters": [quarter_record(q) for q in analytics.major_quarters],
            },
        ),
        _csv(paths, "quarters", quarters),
    ]


# --- records ----------------------------------------------------------------------------------


def timestamp(moment: dt.datetime | None) -> str | None:
    """UTC ISO 8601 with a `Z`, e.g. `2025-03-04T14:02:00Z`."""
    return None if moment is None else utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def incident_record(facts: IncidentFacts, url_of: UrlOf) -> Record:
    """One incident: front-matter values, raw and UTC timestamps, and every derived metric."""
    incident = facts.incident
    pm = incident.model
    m = incident.metrics
    cost = m.cost
    return {
        "id": pm.id,
        "title": pm.title,
        "url": url_of(incident),
        "status": pm.status.value,
        "severity": pm.severity.value,
        "services": list(pm.services),
        "industry": pm.industry.value if pm.industry else None,
        "regulations": list(pm.regulations),
        "detection": pm.detection.value,
        "root_cause_category": pm.root_cause.category.value if pm.root_cause else None,
        "written": _date(pm.written),
        "published": _date(pm.published),
        "started": pm.started.isoformat(),
        "detected": pm.detected.isoformat() if pm.detected else None,
        "mitigated": pm.mitigated.isoformat() if pm.mitigated else None,
        "resolved": pm.resolved.isoformat() if pm.resolved else None,
        "started_utc": timestamp(pm.started),
        "detected_utc": timestamp(pm.detected),
        "mitigated_utc": timestamp(pm.mitigated),
        "resolved_utc": timestamp(pm.resolved),
        "quarter": facts.quarter.label,
        "historical": pm.historical,
        "alert_preceded_impact": m.alert_preceded_impact,
        "ttd_minutes": minutes(m.ttd),
        "ttm_minutes": minutes(m.ttm),
        "ttr_minutes": minutes(m.ttr),
        "duration_minutes": minutes(m.duration),
        "impact_minutes": minutes(m.impact_duration),
        "downtime_minutes": m.downtime_minutes,
        "users_affected": pm.impact.users_affected,
        "revenue_lost": pm.impact.revenue_lost,
        "sla_breached": pm.impact.sla_breached,
        "slo_breached": pm.impact.slo_breached,
        "cost_currency": cost.currency if cost else None,
        "cost_direct": cost.direct if cost else None,
        "cost_indirect": cost.indirect if cost else None,
        "cost_total": cost.total if cost else None,
        "cost_per_downtime_minute": m.cost_per_downtime_minute,
        "contributing_factors": {k: s.score for k, s in pm.contributing_factors.scores().items()},
        "recurrence_of": pm.recurrence_of,
        "repeat_of": [r.earlier_id for r in facts.repeats if r.explicit],
        "possible_repeat_of": [r.earlier_id for r in facts.repeats if not r.explicit],
        "recurred": facts.recurred,
        "action_items_completed": facts.actions_completed,
        "postmortem_slo": {
            "state": facts.postmortem_slo.state.value,
            "due": _date(facts.postmortem_slo.due),
            "business_days": facts.postmortem_slo.business_days,
        },
        "notifications": [
            {
                "regulation": c.regulation.code,
                "deadline": timestamp(c.deadline),
                "notified": timestamp(c.notified),
                "state": c.state.value,
            }
            for c in facts.notifications
        ],
        "action_items": len(pm.action_items),
        "checks": {key: outcome.value for key, outcome in m.checks.items()},
        "responders": pm.review.responder_count,
        "responders_attended": pm.review.attended_count,
        "assessments": {
            key: a.score if a else None for key, a in pm.review.assessments.scores().items()
        },
        "assessed_by": {
            key: a.by if a else None for key, a in pm.review.assessments.scores().items()
        },
    }


def action_record(
    row: ActionRow, reference_date: dt.date, url_of: UrlOf, anchor: Callable[[str], str]
) -> Record:
    """One action item with its incident and derived state; `anchor` names its row's anchor."""
    item = row.item
    overdue = row.state is ActionState.OVERDUE and row.due is not None
    overdue_days = (reference_date - row.due).days if overdue and row.due else None
    return {
        "incident_id": row.incident.id,
        "incident_title": row.incident.model.title,
        "incident_url": f"{url_of(row.incident)}#{anchor(item.id)}",
        "id": item.id,
        "action": item.action,
        "owner": item.owner,
        "priority": item.priority.value,
        "status": item.status.value,
        "state": row.state.value,
        "due": _date(row.due),
        "due_by_policy": row.due_by_policy,
        "due_quarter": row.due_quarter.label if row.due_quarter else None,
        "completed": _date(item.completed),
        "days_overdue": overdue_days,
        "success_criteria": item.success_criteria,
        "dependencies": list(item.dependencies),
        "tracker": str(item.tracker) if item.tracker else None,
    }


def stats_record(stats: Stats) -> Record:
    """n (known) of `of` incidents, unknown, then mean, median and p90 in minutes."""
    return {
        "n": stats.n,
        "of": stats.of_total,
        "unknown": stats.unknown,
        "mean": stats.mean,
        "median": stats.median,
        "p90": stats.p90,
    }


def figures_record(f: Figures) -> Record:
    """Every figure of a set of incidents."""
    a = f.actions
    slo = f.postmortem_slo
    return {
        "incidents": f.count,
        "incident_ids": list(f.incident_ids),
        "by_severity": dict(f.by_severity),
        "open_incidents": f.open_incidents,
        "ttd_minutes": stats_record(f.ttd),
        "ttm_minutes": stats_record(f.ttm),
        "ttr_minutes": stats_record(f.ttr),
        "impact_minutes": stats_record(f.impact),
        "top_root_causes": [{"category": c, "incidents": n} for c, n in f.top_root_causes],
        "root_causes": dict(f.root_causes),
        "not_analysed": f.not_analysed,
        "unknown": dict(f.unknown),
        "action_items": {
            "due": a.due,
            "done_on_time": a.done_on_time,
            "done_late": a.done_late,
            "overdue": a.overdue,
            "not_yet_due": a.not_yet_due,
            "judged": a.judged,
            "on_time_rate": a.on_time_rate,
            "done_rate": a.done_rate,
            "meets_target": a.meets_target,
        },
        "postmortem_slo": {
            "applicable": slo.applicable,
            "met": slo.met,
            "late": slo.late,
            "overdue": slo.overdue,
            "pending": slo.pending,
            "rate": slo.rate,
            "meets_target": slo.meets_target,
        },
        "open_action_items": f.open_actions,
        "repeat_incidents": len(f.repeat_ids),
        "repeat_ids": list(f.repeat_ids),
        "possible_repeats": len(f.possible_repeat_ids),
        "possible_repeat_ids": list(f.possible_repeat_ids),
        "recurrence": {
            "completed": f.recurrence.completed,
            "completed_recurred": f.recurrence.completed_recurred,
            "not_completed": f.recurrence.not_completed,
            "not_completed_recurred": f.recurrence.not_completed_recurred,
            "reduction": f.recurrence.reduction,
        },
        "participation": {
            "incidents": f.participation.incidents,
            "responders": f.participation.responders,
            "attended": f.participation.attended,
            "rate": f.participation.rate,
        },
        "boolean_checks": {
            "passed": f.checks_passed,
            "counted": f.checks_total,
            "rate": f.checks_rate,
        },
        "assessments": {a.key: {"n": a.n, "mean": a.mean} for a in f.assessments},
        "cost": {
            c.currency: {
                "direct": c.direct,
                "direct_incidents": c.direct_incidents,
                "incidents": c.incidents,
                "indirect": c.indirect,
                "estimated_incidents": c.estimated,
                "total": c.total,
                "per_incident": c.per_incident,
            }
            for c in f.costs
        },
    }


def quarter_record(q: QuarterFigures) -> Record:
    """One quarter: its bounds, its figures and the TTD trend."""
    return {
        "quarter": q.quarter.label,
        "start": q.quarter.start.isoformat(),
        "end": q.quarter.end.isoformat(),
        "partial": q.partial,
        **figures_record(q.figures),
        "ttd_median_change": q.ttd_change,
        "ttd_previous_n": q.previous_ttd_n,
        "ttd_goal_met": q.ttd_goal_met,
        "scorecard": {
            line.key: {
                "value": line.value,
                "target": line.target,
                "n": line.n,
                "verdict": line.verdict.value,
            }
            for line in q.scorecard
        },
        "overall_verdict": q.overall.value,
    }


# --- serialisation ----------------------------------------------------------------------------


def _json(paths: SitePaths, name: str, data: Mapping[str, Any]) -> GeneratedPage:
    out = Packer()  # packed as it is encoded: never the whole text (or its pieces) at once
    safejson.dump(data, out, indent=2)
    out.write("\n")
    return GeneratedPage.packed_text(paths.export(name, "json"), out.packed())


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types of most cells: tested first, as the Mapping test (an ABC) is slow for every cell."""


def flatten(record: Mapping[str, Any], prefix: str = "") -> Record:
    """Nested dicts become `a.b` columns; lists become `; `-joined cells."""
    flat: Record = {}
    for key, value in record.items():
        column = f"{prefix}{key}"
        if type(value) in _PLAIN:
            flat[column] = value
        elif isinstance(value, Mapping):
            flat.update(flatten(value, f"{column}."))
        elif isinstance(value, list):
            flat[column] = "; ".join(_cell_text(v) for v in value)
        else:
            flat[column] = value
    return flat


def _cell_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return " ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    return "" if value is None else str(value)


def _spreadsheet_safe(value: Any) -> Any:
    """Text starting with = + - @ (a formula to a spreadsheet) is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _csv(paths: SitePaths, name: str, records: Sequence[Mapping[str, Any]]) -> GeneratedPage:
    # Rows are flattened twice rather than all held at once: once for the columns (in order of
    # appearance), once to write them.
    columns = list(dict.fromkeys(c for record in records for c in flatten(record)))
    rows = map(flatten, records)
    out = Packer()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_spreadsheet_safe(row.get(c)) for c in columns] for row in rows)
    return GeneratedPage.packed_text(paths.export(name, "csv"), out.packed())
