"""Analytics of a hand-made corpus, checked against figures computed by hand (analytics_fixture)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from analytics_fixture import INCIDENTS, post_mortem, write_corpus
from postmortem_kb.core.analytics import (
    Analytics,
    CheckState,
    Quarter,
    Stats,
    Verdict,
    analyse,
    business_days_between,
    months_before,
)
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.followup import add_business_days
from postmortem_kb.core.metrics import ActionState
from postmortem_kb.core.settings import Settings

REFERENCE = dt.date(2025, 11, 23)


@pytest.fixture
def analytics(tmp_path: Path) -> Analytics:
    write_corpus(tmp_path / "postmortems")
    corpus = load_corpus(tmp_path / "postmortems")
    assert corpus.errors == []
    return analyse(corpus, Settings(reference_date=REFERENCE))


def by_label(analytics: Analytics) -> dict[str, object]:
    return {q.quarter.label: q for q in analytics.quarters}


def test_quarters_run_through_the_reference_quarter_including_empty_ones(
    analytics: Analytics,
) -> None:
    assert [q.quarter.label for q in analytics.quarters] == [
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
    ]
    ids = {q.quarter.label: q.figures.incident_ids for q in analytics.quarters}
    # INC-B is written as 2025-04-01T01:30+02:00, i.e. 2025-03-31T23:30Z: a Q1 incident.
    assert sorted(ids["2025-Q1"]) == ["INC-A", "INC-B", "INC-C"]
    assert sorted(ids["2025-Q2"]) == ["INC-D", "INC-E"]
    assert ids["2025-Q3"] == ids["2025-Q4"] == ()


def test_q1_figures_by_hand(analytics: Analytics) -> None:
    q1 = analytics.quarters[0]
    f = q1.figures
    assert f.by_severity == {"SEV-1": 1, "SEV-2": 1, "SEV-3": 1, "near-miss": 0, "unknown": 0}
    assert f.open_incidents == 1  # INC-C
    # TTD: A 10, B 30 (23:30Z -> 00:00Z), C 50 -> mean 30, median 30, p90 = 3rd of 3 = 50.
    assert f.ttd == Stats(3, 30.0, 30.0, 50.0, 3)
    # TTM: A 30, C 10; B has no mitigation time: 2 of 3 known.
    assert f.ttm == Stats(2, 20.0, 20.0, 30.0, 3)
    # TTR: A 60, B 90 (00:00Z -> 02:30+01:00 = 01:30Z); C is unresolved.
    assert f.ttr == Stats(2, 75.0, 75.0, 90.0, 3)
    assert f.top_root_causes == (("process", 2), ("technical", 1))
    # Due in Q1: A/AI-1 on time, A/AI-2 late.
    a = f.actions
    assert (a.due, a.done_on_time, a.done_late, a.overdue, a.not_yet_due) == (2, 1, 1, 0, 0)
    assert a.on_time_rate == 0.5 and a.meets_target is False
    # A: resolved Fri 2025-01-10, published Fri 01-17 = 5 business days (met);
    # B: resolved Tue 2025-04-01, published Thu 04-10 = 7 business days (late).
    slo = f.postmortem_slo
    assert (slo.applicable, slo.met, slo.late, slo.overdue, slo.pending) == (2, 1, 1, 0, 0)
    assert slo.rate == 0.5
    assert q1.ttd_change is None
    # INC-B only matches INC-A by pattern: a possible repeat to review, not a repeat.
    assert f.repeat_ids == () and f.possible_repeat_ids == ("INC-B",)
    # Direct: A's revenue lost 1000 (C's block gives no direct input: unknown, not 0);
    # estimated: C's 10 h x 100 = 1000.
    costs = [(c.direct, c.direct_incidents, c.indirect, c.estimated, c.incidents) for c in f.costs]
    assert costs == [(1000.0, 1, 1000.0, 1, 2)]
    assert f.costs[0].total == 2000.0 and not q1.partial


def test_later_quarters_by_hand(analytics: Analytics) -> None:
    q2, q3, q4 = analytics.quarters[1:]
    # Q2: the near-miss INC-D is left out of MTTx; INC-E has TTD 15, TTR 60.
    assert q2.figures.ttd == Stats(1, 15.0, 15.0, 15.0, 1)
    assert q2.figures.ttm == Stats(0, None, None, None, 1)
    assert q2.figures.ttr == Stats(1, 60.0, 60.0, 60.0, 1)
    assert q2.ttd_change == pytest.approx(-0.5)  # median 30 -> 15
    # ... but Q2 counts 1 TTD value (< MIN_SAMPLE = 3): the change is not judged.
    assert (q2.previous_ttd_n, q2.ttd_verdict, q2.ttd_goal_met) == (3, Verdict.TOO_FEW, None)
    assert q2.figures.not_analysed == 1
    # INC-E declares recurrence_of INC-A; the near-miss INC-D is neither a repeat nor repeated.
    assert q2.figures.repeat_ids == ("INC-E",) and q2.figures.possible_repeat_ids == ()
    assert q2.figures.costs == ()  # no cost data: no figure, not a zero
    # Due in Q2: B/AI-1 overdue; B/AI-3 is cancelled and not counted.
    assert (q2.figures.actions.due, q2.figures.actions.overdue) == (1, 1)
    assert q2.figures.actions.on_time_rate == 0.0
    assert q2.figures.postmortem_slo.rate is None  # no SEV-1/SEV-2
    # Q3 has no incidents: no durations, no TTD change, but D/AI-1 was due and done on time.
    assert q3.figures.count == 0 and q3.figures.ttd.median is None and q3.ttd_change is None
    assert q3.figures.actions.on_time_rate == 1.0
    # Q4: B/AI-2 is not due yet, so nothing is judged.
    assert (q4.figures.actions.due, q4.figures.actions.not_yet_due) == (1, 1)
    assert q4.figures.actions.on_time_rate is None and q4.figures.actions.meets_target is None
    # Q4 holds the reference date (2025-11-23): partial, never judged missed.
    assert q4.partial and not q3.partial
    assert q4.overall is Verdict.IN_PROGRESS


def test_overall_and_repeats(analytics: Analytics) -> None:
    overall = analytics.overall
    assert overall.count == 5
    # TTD of A, B, C, E (D is a near-miss): 10, 30, 50, 15.
    assert overall.ttd == Stats(4, 26.25, 22.5, 50.0, 4)
    a = overall.actions
    assert (a.due, a.done_on_time, a.done_late, a.overdue, a.not_yet_due) == (5, 2, 1, 1, 1)
    repeats = {f.incident.id: f.repeats for f in analytics.incidents}
    assert [(r.earlier_id, r.explicit, r.services) for r in repeats["INC-B"]] == [
        ("INC-A", False, ("checkout-api",))
    ]
    assert repeats["INC-D"] == ()  # a near-miss matching INC-C: neither repeat nor repeated
    assert [(r.earlier_id, r.explicit) for r in repeats["INC-E"]] == [("INC-A", True)]
    assert repeats["INC-A"] == repeats["INC-C"] == ()
    assert overall.repeat_ids == ("INC-E",) and overall.possible_repeat_ids == ("INC-B",)
    recurred = {f.incident.id for f in analytics.incidents if f.recurred}
    assert recurred == {"INC-A"}
    # INC-A's items were done (AI-2 on 02-05) before INC-E started (05-10): completed.
    completed = {f.incident.id: f.actions_completed for f in analytics.incidents}
    assert completed == {"INC-A": True, "INC-B": False, "INC-C": None, "INC-D": None, "INC-E": None}


def test_same_service_and_cause_more_than_six_months_apart_is_no_repeat(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    folder.mkdir()
    for incident_id, started in (("X-1", "2025-01-31T10:00:00Z"), ("X-2", "2025-07-31T10:00:01Z")):
        fields = dict(INCIDENTS["INC-C"], id=incident_id, started=started, detected=started)
        fields["written"] = started[:10]
        del fields["mitigated"]
        (folder / f"{incident_id}.md").write_text(post_mortem(**fields), encoding="utf-8")
    corpus = load_corpus(folder)
    assert corpus.errors == []
    result = analyse(corpus, Settings(reference_date=REFERENCE))
    assert [f.repeats for f in result.incidents] == [(), ()]
    assert months_before(dt.datetime(2025, 8, 31, tzinfo=dt.UTC), 6).date() == dt.date(2025, 2, 28)


def test_action_rows_are_ordered_by_due_date_with_states(analytics: Analytics) -> None:
    rows = [(r.incident.id, r.item.id, r.state) for r in analytics.actions]
    assert rows == [
        ("INC-A", "AI-1", ActionState.DONE_ON_TIME),
        ("INC-A", "AI-2", ActionState.DONE_LATE),
        ("INC-B", "AI-1", ActionState.OVERDUE),
        ("INC-B", "AI-3", ActionState.CANCELLED),
        ("INC-D", "AI-1", ActionState.DONE_ON_TIME),
        ("INC-B", "AI-2", ActionState.OPEN),
    ]


def test_regulation_deadlines(analytics: Analytics) -> None:
    reports = {r.regulation.code: r for r in analytics.regulations}
    (hipaa,) = reports["HIPAA"].checks
    assert hipaa.deadline == dt.datetime(2025, 3, 11, 10, 10, tzinfo=dt.UTC)  # detected + 60 d
    assert hipaa.state is CheckState.MET
    (pci,) = reports["PCI-DSS"].checks
    assert pci.deadline == dt.datetime(2025, 4, 4, 0, 0, tzinfo=dt.UTC)  # detected + 72 h
    assert pci.state is CheckState.OVERDUE and pci.notified is None
    assert reports["SOX"].checks == ()


def test_factor_ranking(analytics: Analytics) -> None:
    top = [(r.key, r.total, r.contributed, r.primary) for r in analytics.factors[:3]]
    assert top == [("monitoring", 5, 2, 1), ("change_management", 3, 1, 1), ("testing", 1, 1, 0)]


def test_business_days_and_holidays() -> None:
    friday = dt.date(2025, 1, 10)
    assert business_days_between(friday, dt.date(2025, 1, 17), frozenset()) == 5
    assert business_days_between(friday, dt.date(2025, 1, 12), frozenset()) == 0  # weekend
    holiday = frozenset({dt.date(2025, 1, 14)})
    assert business_days_between(friday, dt.date(2025, 1, 17), holiday) == 4
    assert add_business_days(friday, 5, holiday) == dt.date(2025, 1, 20)


def test_holidays_turn_a_late_post_mortem_on_time(tmp_path: Path) -> None:
    write_corpus(tmp_path / "pm")
    corpus = load_corpus(tmp_path / "pm")
    # INC-B took 7 business days (Apr 2-10); two holidays make it 5.
    holidays = frozenset({dt.date(2025, 4, 3), dt.date(2025, 4, 4)})
    result = analyse(corpus, Settings(reference_date=REFERENCE, holidays=holidays))
    facts = {f.incident.id: f for f in result.incidents}
    assert facts["INC-B"].postmortem_slo.state is CheckState.MET
    assert facts["INC-B"].postmortem_slo.business_days == 5


def test_quarter_of_a_date() -> None:
    assert Quarter.of(dt.date(2025, 3, 31)).label == "2025-Q1"
    assert Quarter.of(dt.date(2025, 12, 31)).next().label == "2026-Q1"
    assert Quarter(2025, 1).previous().end == dt.date(2024, 12, 31)
