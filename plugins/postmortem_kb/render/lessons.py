"""The onboarding reading path: lessons learned of published post-mortems, by root cause."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.corpus import Corpus, Incident
from ..core.schema import RootCauseCategory, Status
from .pages import GeneratedPage, PageBuilder
from .paths import LESSONS

CATEGORY_INTROS: dict[str, str] = {
    RootCauseCategory.TECHNICAL.value: "Software, infrastructure and configuration that failed.",
    RootCauseCategory.PROCESS.value: "How changes are made, reviewed, tested and operated.",
    RootCauseCategory.PEOPLE.value: (
        "Knowledge, training, handoffs and workload: what the system asked of people."
    ),
    RootCauseCategory.ORGANIZATIONAL.value: "Priorities, ownership, staffing and incentives.",
}
UNCATEGORISED = "not yet analysed"


@dataclass
class LessonGroup:
    """The lessons of one root-cause category, onboarding picks first, then newest first."""

    category: str
    intro: str
    incidents: list[Incident] = field(default_factory=list)


def reading_order(incidents: list[Incident]) -> list[Incident]:
    """Incidents marked `onboarding: true` first, then the rest; newest first within each."""
    return sorted(
        incidents,
        key=lambda i: (not i.model.onboarding, -i.model.started.timestamp(), i.id),
    )


@dataclass(frozen=True)
class PathStep:
    """One post-mortem of the onboarding path."""

    incident: Incident
    repeats: Incident | None = None
    """The earlier incident this one is a declared repeat of (listed just before it)."""
    repeated_by: Incident | None = None
    """Set when this incident is on the path because `repeated_by` repeats it."""


def onboarding_path(picks: list[Incident], corpus: Corpus) -> list[PathStep]:
    """The onboarding picks in reading order; a recurrence is preceded by the published
    incident it repeats (`recurrence_of`), so a reader meets the original first."""
    by_id = {incident.id.lower(): incident for incident in corpus.incidents}
    steps: list[PathStep] = []
    listed: set[str] = set()
    for incident in picks:
        earlier = by_id.get((incident.model.recurrence_of or "").lower())
        if earlier is not None and earlier.model.status is not Status.PUBLISHED:
            earlier = None
        if earlier is not None and earlier.id not in listed:
            steps.append(PathStep(earlier, repeated_by=incident))
            listed.add(earlier.id)
        if incident.id not in listed:
            steps.append(PathStep(incident, repeats=earlier))
            listed.add(incident.id)
    return steps


def lesson_groups(corpus: Corpus) -> list[LessonGroup]:
    """Published post-mortems that record lessons, grouped by root-cause category."""
    groups = {c.value: LessonGroup(c.value, CATEGORY_INTROS[c.value]) for c in RootCauseCategory}
    groups[UNCATEGORISED] = LessonGroup(UNCATEGORISED, "Root cause still being analysed.")
    for incident in corpus.incidents:
        pm = incident.model
        if pm.status is not Status.PUBLISHED or not pm.lessons_learned:
            continue
        key = pm.root_cause.category.value if pm.root_cause else UNCATEGORISED
        groups[key].incidents.append(incident)
    return [
        LessonGroup(g.category, g.intro, reading_order(g.incidents))
        for g in groups.values()
        if g.incidents
    ]


def lessons_page(builder: PageBuilder, corpus: Corpus) -> GeneratedPage:
    """The 'Lessons learned' page, an aggregate kept out of search."""
    groups = lesson_groups(corpus)
    included = [incident for group in groups for incident in group.incidents]
    markdown = builder.render(
        "lessons.md.j2",
        LESSONS,
        groups=groups,
        onboarding=onboarding_path(
            reading_order([i for i in included if i.model.onboarding]), corpus
        ),
        incident_count=len(included),
        lesson_count=sum(len(i.model.lessons_learned) for i in included),
    )
    return builder.aggregate_page(LESSONS, markdown, in_nav=True)
