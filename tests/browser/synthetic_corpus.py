"""Synthetic incidents in bulk (10,000 and more) for the scale tests; nothing is written to disk."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml
from postmortem_kb.core.corpus import Corpus, Incident
from postmortem_kb.core.loader import Document
from postmortem_kb.core.metrics import incident_metrics
from postmortem_kb.core.schema import PostMortem

SERVICES = [
    f"{a}-{b}"
    for a in ("checkout", "ledger", "search", "auth", "cdn", "kafka", "wms")
    for b in ("api", "db", "worker", "gateway", "cache", "web")
]
CATEGORIES = ["technical", "process", "people", "organizational"]
SEVERITIES = ["SEV-1", "SEV-2", "SEV-3", "near-miss"]
STATUSES = ["published", "published", "published", "in-review", "draft"]
REGULATIONS = ["PCI-DSS", "SOX", "HIPAA", "SOC 2"]
WORDS = [
    "connection",
    "pool",
    "exhausted",
    "certificate",
    "expired",
    "renewal",
    "config",
    "rollout",
    "canary",
    "deploy",
    "queue",
    "backlog",
    "timeout",
    "retry",
    "storm",
    "cache",
    "stampede",
    "dns",
    "failover",
    "replica",
    "lag",
    "disk",
    "full",
    "memory",
    "leak",
    "rate",
    "limit",
    "schema",
    "migration",
    "lock",
    "contention",
    "partition",
    "rebalance",
    "consumer",
    "offset",
    "alert",
    "runbook",
    "paging",
    "escalation",
    "handoff",
    "review",
    "approval",
    "vendor",
    "outage",
    "throttling",
    "quota",
    "drift",
]


def synthetic_incidents(count: int, seed: int = 7) -> list[Incident]:
    """`count` valid incidents with varied services, categories, wording and dates."""
    rng = random.Random(seed)
    start = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    incidents = []
    for n in range(count):
        started = start + dt.timedelta(minutes=int(n * 200 + rng.random() * 100))
        words = rng.sample(WORDS, 12)
        data = {
            "id": f"SYN-{n:05d}",
            "title": f"{words[0].title()} {words[1]} caused {words[2]} on {rng.choice(SERVICES)}",
            "summary": " ".join(words[3:12]) + " during peak traffic.",
            "status": rng.choice(STATUSES),
            "authors": ["Synthetic Author"],
            "written": (started + dt.timedelta(days=2)).date(),
            "severity": rng.choice(SEVERITIES),
            "services": rng.sample(SERVICES, rng.randint(1, 3)),
            "regulations": rng.sample(REGULATIONS, rng.randint(0, 2)),
            "started": started,
            "detected": started + dt.timedelta(minutes=rng.randint(1, 60)),
            "resolved": started + dt.timedelta(minutes=rng.randint(61, 600)),
            "detection": "monitoring",
            "root_cause": {
                "category": rng.choice(CATEGORIES),
                "summary": " ".join(rng.sample(WORDS, 8)),
            },
            "lessons_learned": [" ".join(rng.sample(WORDS, 6)) for _ in range(2)],
        }
        model = PostMortem.model_validate(data)
        document = Document(Path(f"{data['id']}.md"), f"postmortems/{data['id']}.md", data, "", 1)
        incidents.append(Incident(document, model, incident_metrics(model)))
    return incidents


def synthetic_corpus(count: int, seed: int = 7) -> Corpus:
    """A Corpus of `count` synthetic incidents, sorted by start like a loaded one."""
    return Corpus(synthetic_incidents(count, seed), [])


def write_synthetic(folder: Path, count: int, seed: int = 7) -> list[Incident]:
    """Write `count` synthetic incidents as post-mortem files (front matter, and the summary as
    the body) into `folder`; return them."""
    incidents = synthetic_incidents(count, seed)
    for incident in incidents:
        data = dict(incident.document.data)
        if data["status"] == "published":
            # The corpus checks want it (the model does not); a copy, or YAML writes an alias.
            data["published"] = dt.date.fromordinal(data["written"].toordinal())
        front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        body = f"## Executive summary\n\n{data['summary']}\n"
        (folder / f"{incident.id}.md").write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return incidents
