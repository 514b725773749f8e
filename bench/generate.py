"""Deterministic synthetic corpus: N valid, realistic-looking post-mortems from a seed.

    python3 bench/generate.py OUT_DIR --count 1000 [--seed 7]

The same seed and count always give the same bytes. Incidents are spread over five years and
cycle through every severity, root-cause category, detection method and regulation; each has
5-15 action items, 8-20 timeline entries and a 1-2k word body under the eight section headings
of `postmortem_kb.core.sections`. No network, no model: sentences are assembled from word lists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

from postmortem_kb.core.regulations import DEFAULT_REGULATIONS
from postmortem_kb.core.schema import (
    CONTRIBUTING_FACTORS,
    DetectionMethod,
    RootCauseCategory,
    Severity,
    TimelineKind,
)
from postmortem_kb.core.sections import SECTIONS

FIRST_START = dt.datetime(2021, 1, 4, tzinfo=dt.UTC)
LAST_START = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)

INDUSTRY_REGULATIONS: dict[str, list[str]] = {}
for _regulation in DEFAULT_REGULATIONS:
    for _industry in _regulation.industries:
        INDUSTRY_REGULATIONS.setdefault(_industry, []).append(_regulation.code)
INDUSTRIES = [*INDUSTRY_REGULATIONS, "other"]

SERVICES = [
    "checkout-api",
    "payments-db",
    "ledger",
    "card-gateway",
    "storefront",
    "search-indexer",
    "patient-portal",
    "idp",
    "coredns",
    "kafka",
    "analytics-ingest",
    "audit-log-shipper",
    "sorter-plc",
    "amr-fleet",
    "inventory-sync",
    "pricing-engine",
    "notification-hub",
    "billing-worker",
    "cdn-edge",
    "object-store",
    "feature-flags",
    "session-cache",
    "order-router",
    "fraud-scoring",
    "report-builder",
    "etl-nightly",
    "warehouse-wms",
    "identity-sync",
    "api-gateway",
    "mobile-bff",
    "email-relay",
    "scheduler",
    "vault-proxy",
    "metrics-pipeline",
]
TEAMS = [
    "team-platform",
    "team-payments",
    "team-storefront",
    "team-data",
    "team-sre",
    "team-security",
    "team-ledger",
    "team-health",
    "team-warehouse",
    "team-identity",
    "team-networking",
    "team-mobile",
]
FIRST_NAMES = [
    "Priya",
    "Tomás",
    "Ines",
    "Daniel",
    "Mei",
    "Oluwaseun",
    "Anika",
    "Rafael",
    "Sofia",
    "Kenji",
    "Leila",
    "Marcus",
    "Hana",
    "Diego",
    "Aisha",
    "Jonas",
    "Camille",
    "Arjun",
    "Zofia",
    "Mateo",
    "Yara",
    "Henrik",
    "Nadia",
    "Luca",
]
LAST_NAMES = [
    "Raman",
    "Ortega",
    "Duarte",
    "Okoro",
    "Tanaka",
    "Adeyemi",
    "Lindqvist",
    "Costa",
    "Moreau",
    "Sato",
    "Haddad",
    "Becker",
    "Novak",
    "Alvarez",
    "Mensah",
    "Fischer",
    "Laurent",
    "Iyer",
    "Kowalski",
    "Rossi",
    "Nasser",
    "Berg",
    "Petrova",
    "Conti",
]

COMPONENTS = [
    "connection pool",
    "retry policy",
    "cache eviction job",
    "TLS certificate",
    "DNS resolver",
    "rate limiter",
    "schema migration",
    "feature flag",
    "load balancer",
    "message queue consumer",
    "batch scheduler",
    "autoscaling policy",
    "replication link",
    "storage volume",
    "config template",
    "deploy pipeline",
    "health check",
    "circuit breaker",
    "index rebuild",
    "token refresh job",
    "log shipper",
    "canary analysis",
]
SYMPTOMS = [
    "latency climbed above the SLO",
    "requests timed out at the edge",
    "queue depth grew without bound",
    "replicas fell behind the primary",
    "the hit ratio dropped sharply",
    "workers restarted in a loop",
    "disk usage reached its ceiling",
    "the error budget burned in minutes",
    "throughput fell by half",
    "lookups returned stale answers",
    "jobs piled up behind a lock",
    "sessions expired early",
]
CHANGES = [
    "a routine configuration change",
    "a dependency upgrade",
    "a traffic spike from a campaign",
    "an expired credential",
    "a capacity limit nobody had revisited",
    "a vendor maintenance window",
    "a data backfill",
    "a new release with a changed default",
    "a network partition between zones",
    "an unannounced change at a provider",
    "a clock drift on two hosts",
    "a cron job overlap",
]
MITIGATIONS = [
    "rolled the change back",
    "raised the limit to its previous value",
    "drained the affected zone",
    "restarted the consumers in batches",
    "switched traffic to the standby region",
    "disabled the feature flag",
    "paused the batch jobs",
    "renewed and redeployed the certificate",
    "scaled the worker pool out",
    "purged the poisoned messages",
    "pinned the previous image",
]
ADJECTIVES = [
    "gradual",
    "sudden",
    "partial",
    "intermittent",
    "sustained",
    "regional",
    "silent",
    "noisy",
    "cascading",
    "brief",
]
METRICS = [
    "p99 latency",
    "error rate",
    "queue depth",
    "replication lag",
    "cache hit ratio",
    "CPU saturation",
    "open connections",
    "disk throughput",
    "GC pause time",
    "request volume",
]
VERBS_OK = [
    "noticed",
    "confirmed",
    "traced",
    "isolated",
    "measured",
    "compared",
    "reviewed",
    "verified",
]
LESSONS = [
    "Review the effective configuration, not the template that produces it.",
    "Alert on saturation before it becomes an outage.",
    "Every limit needs an owner and a date to revisit it.",
    "A runbook that is not rehearsed is only a draft.",
    "Rollback must cover configuration as well as code.",
    "Dashboards should show the customer's view first.",
    "Vendor notices need a named reader on our side.",
    "Retry budgets protect the dependency as much as the caller.",
    "Capacity plans age faster than the code they describe.",
    "Game days find the gaps that reviews do not.",
]
ACTION_VERBS = [
    "Add an alert on",
    "Write a runbook for",
    "Load-test",
    "Add a rendered-diff step for",
    "Document the owner of",
    "Automate the renewal of",
    "Add a canary stage for",
    "Set an explicit limit on",
    "Add dashboards for",
    "Rehearse the failover of",
]


class _Text:
    """Sentences and paragraphs assembled from the word lists, driven by one Random."""

    def __init__(self, rng: random.Random, services: list[str]) -> None:
        self.rng = rng
        self.services = services

    def pick(self, words: list[str]) -> str:
        return self.rng.choice(words)

    def sentence(self) -> str:
        r = self.rng
        service = self.pick(self.services)
        forms: list[Callable[[], str]] = [
            lambda: (
                f"The {self.pick(COMPONENTS)} of {service} saw a {self.pick(ADJECTIVES)}"
                f" change after {self.pick(CHANGES)}, and {self.pick(SYMPTOMS)}."
            ),
            lambda: (
                f"On-call {self.pick(VERBS_OK)} the {self.pick(METRICS)} on {service} and"
                f" {self.pick(VERBS_OK)} it against the previous {r.randint(2, 14)} days."
            ),
            lambda: (
                f"Within {r.randint(3, 55)} minutes the team {self.pick(MITIGATIONS)}, which"
                f" brought the {self.pick(METRICS)} back under {r.randint(2, 95)}%."
            ),
            lambda: (
                f"The {self.pick(METRICS)} of {service} is now reviewed weekly, because"
                f" {self.pick(CHANGES)} can repeat the same {self.pick(ADJECTIVES)} pattern."
            ),
            lambda: (
                f"Nothing in the {self.pick(COMPONENTS)} signalled the risk: the defaults had"
                f" been in place for {r.randint(2, 40)} months without a review."
            ),
            lambda: (
                f"About {r.randint(2, 900) * 100:,} requests to {service} were affected while"
                f" {self.pick(SYMPTOMS)}."
            ),
            lambda: (
                f"The system allowed {self.pick(CHANGES)} to reach production without a"
                f" check on the {self.pick(COMPONENTS)}, so {self.pick(SYMPTOMS)}."
            ),
        ]
        return self.pick(forms)()  # type: ignore[arg-type]

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def words(self, paragraph: str) -> int:
        return len(paragraph.split())


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (the generator's text has no control characters)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def postmortem(index: int, count: int, seed: int) -> tuple[str, str]:
    """The file name and content of post-mortem `index` of a corpus of `count`."""
    rng = random.Random(f"{seed}:{index}")
    span = (LAST_START - FIRST_START).total_seconds()
    step = span / max(count, 1)
    started = FIRST_START + dt.timedelta(seconds=int(index * step + rng.random() * step * 0.8))
    started = started.replace(second=0)
    year = started.year
    incident_id = f"INC-{year}-{index + 1:05d}"
    # Published post-mortems know their severity and detection: `unknown` is for drafts/imports.
    severities = [s for s in Severity if s is not Severity.UNKNOWN]
    categories = list(RootCauseCategory)
    detections = [d for d in DetectionMethod if d is not DetectionMethod.UNKNOWN]
    severity = severities[index % len(severities)]
    category = categories[(index // 4) % len(categories)]
    industry = INDUSTRIES[index % len(INDUSTRIES)]
    regulations = list(INDUSTRY_REGULATIONS.get(industry, []))
    if index % 3 and regulations:
        regulations = regulations[: 1 + index % len(regulations)]
    services = rng.sample(SERVICES, rng.randint(1, 4))
    text = _Text(rng, services)

    detected = started + dt.timedelta(minutes=rng.randint(1, 240))
    mitigated = detected + dt.timedelta(minutes=rng.randint(5, 600))
    resolved = mitigated + dt.timedelta(minutes=rng.randint(10, 2000))
    written = resolved.date() + dt.timedelta(days=rng.randint(1, 6))
    published = written + dt.timedelta(days=rng.randint(0, 9))
    status = ["published", "published", "published", "in-review", "draft"][index % 5]
    authors = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(1, 3)]
    authors = list(dict.fromkeys(authors))
    component = text.pick(COMPONENTS)
    title = f"{text.pick(ADJECTIVES).capitalize()} {text.pick(SYMPTOMS)} on {services[0]}"
    summary = text.paragraph(3)

    out: list[str] = ["---", f"id: {incident_id}", f"title: {_quote(title)}"]
    out.append(f"summary: {_quote(summary)}")
    out += [f"status: {status}", f"authors: [{', '.join(authors)}]", f"written: {written}"]
    if status == "published":
        out.append(f"published: {published}")
    if index % 7 == 0:
        out.append("onboarding: true")
    out += [f"severity: {severity.value}", f"services: [{', '.join(services)}]"]
    out.append(f"industry: {industry}")
    if regulations:
        out.append(f"regulations: [{', '.join(_quote(r) for r in regulations)}]")
        out.append("notifications:")
        for position, code in enumerate(regulations):
            out.append(f"  - regulation: {_quote(code)}")
            if (index + position) % 4 == 3:
                out.append("    required: false")
                out.append(f"    note: {_quote(text.sentence())}")
            else:
                notified = detected + dt.timedelta(hours=rng.randint(1, 60))
                out.append(f"    notified: {_ts(notified)}")
    out += [f"started: {_ts(started)}", f"detected: {_ts(detected)}"]
    out += [f"mitigated: {_ts(mitigated)}", f"resolved: {_ts(resolved)}"]
    out.append(f"detection: {detections[index % len(detections)].value}")

    out.append("impact:")
    out.append(f"  users_affected: {rng.randint(0, 250_000)}")
    out.append(f"  requests_failed: {rng.randint(0, 3_000_000)}")
    out.append(f"  transactions_failed: {rng.randint(0, 50_000)}")
    out.append(f"  revenue_lost: {rng.randint(0, 900) * 500}")
    out.append(f"  downtime_minutes: {rng.randint(0, 300)}")
    out.append(f"  sla_breached: {str(severity is Severity.SEV1).lower()}")
    out.append(f"  slo_breached: {str(severity in (Severity.SEV1, Severity.SEV2)).lower()}")
    out.append(f"  description: {_quote(text.paragraph(2))}")

    out.append("timeline:")
    entries = rng.randint(8, 20)
    kinds = list(TimelineKind)
    moment = started - dt.timedelta(minutes=rng.randint(5, 60))
    end = resolved + dt.timedelta(hours=rng.randint(1, 48))
    gap = (end - moment) / entries
    for position in range(entries):
        at = moment + gap * position
        out.append(f"  - at: {_ts(at.replace(second=0, microsecond=0))}")
        out.append(f"    event: {_quote(text.sentence())}")
        if position % 2 == 0:
            out.append(f"    kind: {kinds[position % len(kinds)].value}")

    out.append("whys:")
    for _ in range(rng.randint(3, 5)):
        out.append(f"  - question: {_quote('Why did ' + text.pick(SYMPTOMS) + '?')}")
        out.append(f"    answer: {_quote(text.sentence())}")
    out += ["root_cause:", f"  category: {category.value}"]
    out.append(
        f"  summary: {_quote(f'The {component} had no guard against {text.pick(CHANGES)}.')}"
    )
    out.append("contributing_factors:")
    for key in CONTRIBUTING_FACTORS:
        score = rng.randint(0, 3)
        if score == 3:
            out.append(f"  {key}: {{score: 3, notes: {_quote(text.sentence())}}}")
        else:
            out.append(f"  {key}: {score}")
    for key, size in (("went_well", 3), ("went_wrong", 3), ("lucky", 1)):
        out.append(f"{key}:")
        out += [f"  - {_quote(text.sentence())}" for _ in range(rng.randint(1, size))]
    out.append("lessons_learned:")
    out += [f"  - {_quote(lesson)}" for lesson in rng.sample(LESSONS, rng.randint(1, 3))]

    out.append("action_items:")
    for number in range(1, rng.randint(5, 15) + 1):
        due = written + dt.timedelta(days=rng.randint(3, 120))
        state = rng.choice(["done", "done", "open", "in-progress", "cancelled"])
        out.append(f"  - id: AI-{number}")
        out.append(
            f"    action: {_quote(f'{text.pick(ACTION_VERBS)} the {text.pick(COMPONENTS)}.')}"
        )
        out.append(f"    owner: {rng.choice(TEAMS)}")
        out.append(f"    due: {due}")
        out.append(f"    priority: {rng.choice(['P0', 'P1', 'P2'])}")
        out.append(f"    status: {state}")
        if state == "done":
            out.append(f"    completed: {due - dt.timedelta(days=rng.randint(-5, 10))}")
        if number % 3 == 1:
            out.append(f"    success_criteria: {_quote(text.sentence())}")
            out.append(f"    tracker: https://tracker.example.com/{incident_id}-{number}")
    out += [
        "recurrence_prevention:",
        "  monitoring: true",
        f"  tests: {str(index % 2 == 0).lower()}",
    ]
    out += ["cost:", f"  sla_credits: {rng.randint(0, 50) * 1000}"]
    out += [f"  engineering_hours: {rng.randint(4, 300)}", f"  hourly_rate: {rng.randint(80, 160)}"]
    if index >= 3:
        out.append(f"related: [INC-{_year_of(index - 3, count, seed)}-{index - 2:05d}]")
    if index >= 10 and index % 10 == 0:
        out.append(f"recurrence_of: INC-{_year_of(index - 10, count, seed)}-{index - 9:05d}")
    out.append("---")
    out.append(_body(text, rng))
    slug = "-".join(title.lower().replace(",", "").split()[:6])
    return f"{incident_id}-{slug}.md", "\n".join(out) + "\n"


def _year_of(index: int, count: int, seed: int) -> int:
    rng = random.Random(f"{seed}:{index}")
    step = (LAST_START - FIRST_START).total_seconds() / max(count, 1)
    return (FIRST_START + dt.timedelta(seconds=int(index * step + rng.random() * step * 0.8))).year


def _body(text: _Text, rng: random.Random) -> str:
    """1,000-2,000 words under the eight section headings (plus an author's own section)."""
    target = rng.randint(1000, 2000)
    keys = list(SECTIONS)
    paragraphs: dict[str, list[str]] = {key: [] for key in keys}
    written = 0
    turn = 0
    while written < target:
        key = keys[turn % len(keys)]
        paragraph = text.paragraph(rng.randint(3, 6))
        paragraphs[key].append(paragraph)
        written += text.words(paragraph)
        turn += 1
    parts = [paragraphs["summary"][0]]
    for key in keys:
        chunks = paragraphs[key][1:] if key == "summary" else paragraphs[key]
        if key == "summary" and not chunks:
            continue
        parts.append(f"## {SECTIONS[key]}")
        parts.extend(chunks)
        if key == "root_cause":
            parts.append("```text\n" + "\n".join(f"why {n}: ..." for n in range(1, 6)) + "\n```")
    parts.append("## Appendix: queries used")
    parts.append("- " + "\n- ".join(text.pick(METRICS) for _ in range(3)))
    return "\n\n".join(parts)


def generate(directory: Path, count: int, seed: int = 7) -> list[Path]:
    """Write `count` post-mortems into `directory` (created if needed); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        name, content = postmortem(index, count, seed)
        path = directory / name
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the post-mortems into")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    paths = generate(args.out, args.count, args.seed)
    print(f"wrote {len(paths)} post-mortems to {args.out}")


if __name__ == "__main__":
    main()
