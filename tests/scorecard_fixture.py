"""A hand-made corpus for the protocol scorecard and the edge cases of docs/guide/data.md.

Reference date 2025-11-23 (the tests' SOURCE_DATE_EPOCH). Every figure below is computed by hand.

- 2024-Q4  Z1-Z3  SEV-3, TTD 0, 0, 5 min: median TTD 0 (n = 3).
- 2025-Q1  P1-P3  SEV-3, TTD 20, 30, 40: median 30 (n = 3). The change against 2024-Q4 is not
           computed: the previous median is 0 (no relative size). No cost data.
- 2025-Q2  S1-S6  the quarter that passes. TTD 5, 10, 15, 20, 25, 30: an even count, median
           (15 + 20) / 2 = 17.5 min; change (17.5 - 30) / 30 = -41.7% (n = 6 and 3: judged, met).
           S1 SEV-2 published on 2025-04-07, before its resolution on 04-08: 0 business days, met.
           S1 mitigated 35 min after start, resolved a day later: downtime 35 min (not 24 h).
           S2 has no mitigation: downtime = started -> resolved = 70 min.
           Action items due in Q2: S1, S2, S3 done on time (3/3). S4-S6 items are due in Q4.
           Recurrence: S1-S3 completed (none recurred), S4-S6 not (S4 recurred as F1):
           rates 0/3 and 1/3, reduction 100%. Participation 6 x 4 of 5 = 24/30 = 80%.
           Checks 30/30. Assessments: quality 4, blameless culture 5, learning 4. Overall: success.
           Impact 35, 70, 45, 60, 85, 50: median 55 min, mean 57 min 30 s. Cost: S1 direct
           2,000 + 500 credits, estimated 10 h x 150 = 1,500; S2 revenue lost 700 (no estimate):
           direct 3,200 (n = 2), estimated 1,500 (n = 1).
- 2025-Q3  F1-F2  the quarter that fails, with too few incidents to judge the TTD change (n = 2).
           F1 SEV-1 declares recurrence_of S4; published 7 business days after resolution (late);
           its action item done late (0/1); 2 of 5 responders attended (40%); blameless not
           recorded; assessments 3, 4, 3. F2 a draft with no root cause, no action items, no
           review. Checks 4 of 10 (40%). No cost data. Overall: not met.
- 2025-Q4  no incidents; S4-S6's action items fall due after the reference date: "to date".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics_fixture import post_mortem

WHYS = [{"question": f"Why {n}?", "answer": f"Because of gap {n}."} for n in (1, 2, 3)]
GOOD_REVIEW: dict[str, Any] = {
    "responders": ["Ana", "Ben", "Chen", "Dana", "Eli"],
    "attended": ["Ana", "Ben", "Chen", "Dana"],
    "blameless": True,
    "lessons_shared": "2025-07-01",
    "assessments": {
        "quality": {"score": 4, "by": "VP Engineering"},
        "blameless_culture": {"score": 5, "by": "Team survey"},
        "learning": {"score": 4, "by": "Incident review board"},
    },
}


def _at(day: str, minutes: int) -> str:
    return f"{day}T{9 + minutes // 60:02d}:{minutes % 60:02d}:00Z"


def _simple(incident_id: str, day: str, ttd: int) -> dict[str, Any]:
    """A SEV-3 without review data: started 09:00, detected after `ttd`, resolved at 11:00."""
    return {
        "id": incident_id,
        "written": day,
        "severity": "SEV-3",
        "services": ["batch"],
        "started": _at(day, 0),
        "detected": _at(day, ttd),
        "resolved": _at(day, 120),
    }


def _item(due: str, completed: str | None) -> list[dict[str, Any]]:
    item: dict[str, Any] = {
        "id": "AI-1",
        "action": "Fix the gap",
        "owner": "team-a",
        "due": due,
        "priority": "P1",
    }
    if completed:
        item.update(status="done", completed=completed)
    return [item]


def _passing(
    incident_id: str, day: str, ttd: int, mitigated: int | None, resolved: int
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": incident_id,
        "status": "published",
        "written": day,
        "published": day,
        "severity": "SEV-3",
        "services": ["orders"],
        "started": _at(day, 0),
        "detected": _at(day, ttd),
        "resolved": _at(day, resolved),
        "whys": WHYS,
        "root_cause": {"category": "process", "summary": "No review of the change window."},
        "review": GOOD_REVIEW,
    }
    if mitigated is not None:
        fields["mitigated"] = _at(day, mitigated)
    return fields


INCIDENTS: dict[str, dict[str, Any]] = {
    "Z1": _simple("Z1", "2024-11-04", 0),
    "Z2": _simple("Z2", "2024-11-11", 0),
    "Z3": _simple("Z3", "2024-11-18", 5),
    "P1": _simple("P1", "2025-02-03", 20),
    "P2": _simple("P2", "2025-02-10", 30),
    "P3": _simple("P3", "2025-02-17", 40),
    "S1": {
        **_passing("S1", "2025-04-07", 5, 35, 0),
        "severity": "SEV-2",
        "resolved": "2025-04-08T09:00:00Z",
        "impact": {"revenue_lost": 2000},
        "cost": {"sla_credits": 500, "engineering_hours": 10, "hourly_rate": 150},
        "action_items": _item("2025-04-20", "2025-04-18"),
    },
    "S2": {
        **_passing("S2", "2025-04-14", 10, None, 70),
        "impact": {"revenue_lost": 700},
        "action_items": _item("2025-05-10", "2025-05-09"),
    },
    "S3": {
        **_passing("S3", "2025-05-05", 15, 45, 75),
        "action_items": _item("2025-05-20", "2025-05-20"),
    },
    "S4": {**_passing("S4", "2025-05-12", 20, 60, 120), "action_items": _item("2025-12-15", None)},
    "S5": {**_passing("S5", "2025-06-02", 25, None, 85), "action_items": _item("2025-12-15", None)},
    "S6": {**_passing("S6", "2025-06-09", 30, 50, 90), "action_items": _item("2025-12-20", None)},
    "F1": {
        **_passing("F1", "2025-07-07", 2, 30, 60),
        "severity": "SEV-1",
        "published": "2025-07-16",
        "recurrence_of": "S4",
        "action_items": _item("2025-07-31", "2025-08-05"),
        "review": {
            "responders": 5,
            "attended": 2,
            "lessons_shared": "2025-07-20",
            "assessments": {
                "quality": {"score": 3, "by": "VP Engineering"},
                "blameless_culture": {"score": 4, "by": "Team survey"},
                "learning": {"score": 3, "by": "Incident review board"},
            },
        },
    },
    "F2": {**_simple("F2", "2025-08-04", 8), "resolved": _at("2025-08-04", 40)},
}


def write_corpus(folder: Path) -> None:
    """Write the post-mortems into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for incident_id, fields in INCIDENTS.items():
        (folder / f"{incident_id}.md").write_text(post_mortem(**fields), encoding="utf-8")
