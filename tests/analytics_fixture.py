"""A small hand-made corpus whose analytics figures the tests compute by hand.

Reference date 2025-11-23 (the tests' SOURCE_DATE_EPOCH). Quarters 2025-Q1..2025-Q4:

- INC-A  SEV-1  Q1  TTD 10, TTM 30, TTR 60 min; published 5 business days after resolution (met);
         HIPAA notified within 60 days; AI-1 done on time, AI-2 done late; cost $1,000.
- INC-B  SEV-2  Q1 although written as 1 April (+02:00): starts 2025-03-31T23:30Z; TTD 30, no
         mitigation, TTR 90; published 7 business days after resolution (late); PCI-DSS with no
         notification recorded; AI-1 overdue (Q2), AI-2 not yet due (Q4), AI-3 cancelled;
         a *possible* repeat of INC-A (shares checkout-api, both "process", 2.7 months apart).
- INC-C  SEV-3  Q1  TTD 50, TTM 10, unresolved (open); cost $1,000 estimated (direct cost unknown).
- INC-D  near-miss Q2 (excluded from MTTx); matches INC-C (search + technical, 3 months) but a
         near-miss is neither repeat nor repeated; AI-1 (due Q3) done on time.
- INC-E  SEV-3  Q2  TTD 15, TTR 60; no root cause; recurrence_of INC-A (a declared repeat).
- Q3 and Q4 have no incidents; Q4 holds the reference date (partial, "to date"). Q2's TTD change
  (30 -> 15 min, -50%) is not judged: Q2 counts 1 TTD value, fewer than 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def post_mortem(**fields: Any) -> str:
    """A valid post-mortem file from front-matter fields (with defaults for the required ones)."""
    data: dict[str, Any] = {
        "title": f"Incident {fields['id']}",
        "summary": "The service returned errors to some requests.",
        "status": "draft",
        "authors": ["Ana"],
        "written": "2025-01-01",
        "detection": "monitoring",
        **fields,
    }
    return f"---\n{yaml.safe_dump(data, sort_keys=False)}---\nBody.\n"


INCIDENTS: dict[str, dict[str, Any]] = {
    "INC-A": {
        "id": "INC-A",
        "status": "published",
        "written": "2025-01-13",
        "published": "2025-01-17",
        "severity": "SEV-1",
        "services": ["checkout-api"],
        "regulations": ["HIPAA"],
        "notifications": [{"regulation": "HIPAA", "notified": "2025-03-01T00:00:00Z"}],
        "started": "2025-01-10T10:00:00Z",
        "detected": "2025-01-10T10:10:00Z",
        "mitigated": "2025-01-10T10:40:00Z",
        "resolved": "2025-01-10T11:10:00Z",
        "impact": {"revenue_lost": 1000},
        "root_cause": {"category": "process", "summary": "Config review gap."},
        "contributing_factors": {"monitoring": 3, "testing": 1},
        "action_items": [
            {
                "id": "AI-1",
                "action": "Fix <b>it</b>",
                "owner": "team-a",
                "due": "2025-01-20",
                "priority": "P1",
                "status": "done",
                "completed": "2025-01-19",
            },
            {
                "id": "AI-2",
                "action": "Alert on it",
                "owner": "team-b",
                "due": "2025-02-01",
                "priority": "P0",
                "status": "done",
                "completed": "2025-02-05",
            },
        ],
    },
    "INC-B": {
        "id": "INC-B",
        "status": "published",
        "written": "2025-04-02",
        "published": "2025-04-10",
        "severity": "SEV-2",
        "services": ["checkout-api", "payments-db"],
        "regulations": ["PCI-DSS"],
        "started": "2025-04-01T01:30:00+02:00",
        "detected": "2025-04-01T00:00:00Z",
        "resolved": "2025-04-01T02:30:00+01:00",
        "root_cause": {"category": "process", "summary": "Change window overlap."},
        "contributing_factors": {"monitoring": 2, "change_management": 3},
        "action_items": [
            {
                "id": "AI-1",
                "action": "Overdue thing",
                "owner": "team-b",
                "due": "2025-04-15",
                "priority": "P1",
            },
            {
                "id": "AI-2",
                "action": "Future thing",
                "owner": "team-a",
                "due": "2025-12-31",
                "priority": "P2",
                "status": "in-progress",
            },
            {
                "id": "AI-3",
                "action": "Dropped thing",
                "due": "2025-05-01",
                "priority": "P2",
                "status": "cancelled",
            },
        ],
    },
    "INC-C": {
        "id": "INC-C",
        "written": "2025-02-03",
        "severity": "SEV-3",
        "services": ["search"],
        "started": "2025-02-01T12:00:00Z",
        "detected": "2025-02-01T12:50:00Z",
        "mitigated": "2025-02-01T13:00:00Z",
        "root_cause": {"category": "technical", "summary": "Index corruption."},
        "cost": {"engineering_hours": 10, "hourly_rate": 100},
    },
    "INC-D": {
        "id": "INC-D",
        "written": "2025-05-02",
        "severity": "near-miss",
        "services": ["search"],
        "started": "2025-05-01T08:00:00Z",
        "detected": "2025-05-01T09:00:00Z",
        "resolved": "2025-05-01T10:00:00Z",
        "root_cause": {"category": "technical", "summary": "Index corruption again."},
        "action_items": [
            {
                "id": "AI-1",
                "action": "Check it",
                "owner": "team-a",
                "due": "2025-07-15",
                "priority": "P2",
                "status": "done",
                "completed": "2025-07-15",
            },
        ],
    },
    "INC-E": {
        "id": "INC-E",
        "written": "2025-05-12",
        "severity": "SEV-3",
        "services": ["ledger"],
        "started": "2025-05-10T00:00:00Z",
        "detected": "2025-05-10T00:15:00Z",
        "resolved": "2025-05-10T01:15:00Z",
        "recurrence_of": "INC-A",
    },
}


def write_corpus(folder: Path) -> None:
    """Write the five post-mortems into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for incident_id, fields in INCIDENTS.items():
        (folder / f"{incident_id}.md").write_text(post_mortem(**fields), encoding="utf-8")
