"""The analytics speed-ups change nothing but speed: lookups equal the scans they replace."""

from __future__ import annotations

import datetime as dt
import gc
import sys
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from postmortem_kb.core.analytics import (
    Analytics,
    analyse,
    business_days_between,
    figures,
    grouped,
)
from postmortem_kb.core.collector import collector_paused
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.followup import is_business_day
from postmortem_kb.core.settings import Settings
from postmortem_kb.render.export import flatten

DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@given(DAYS, DAYS, st.frozensets(DAYS, max_size=8))
def test_business_days_between_counts_what_a_day_by_day_walk_counts(
    start: dt.date, end: dt.date, holidays: frozenset[dt.date]
) -> None:
    walked = sum(
        is_business_day(start + dt.timedelta(days=n), holidays)
        for n in range(1, (end - start).days + 1)
    )
    assert business_days_between(start, end, holidays) == walked


def test_grouped_keeps_the_order_of_the_items() -> None:
    assert grouped(["b1", "a1", "b2", "a2", "c1"], lambda s: s[0]) == {
        "b": ["b1", "b2"],
        "a": ["a1", "a2"],
        "c": ["c1"],
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from generate import generate

    folder = tmp_path_factory.mktemp("generated") / "postmortems"
    generate(folder, 80, seed=5)
    corpus = load_corpus(folder)
    return analyse(corpus, Settings(reference_date=corpus.incidents[-1].model.written))


def test_subset_lookups_equal_a_scan_of_every_incident_and_action(generated: Analytics) -> None:
    facts = generated.incidents
    by_service: dict[str, list[str]] = {}
    for fact in facts:
        for service in fact.incident.model.services:
            by_service.setdefault(service, []).append(fact.incident.id)
    assert len(by_service) > 1
    for ids in by_service.values():
        subset = [f.incident for f in reversed(facts) if f.incident.id in ids]  # any order
        scanned = [f for f in facts if f.incident.id in ids]
        assert generated.facts_of(subset) == scanned
        actions = [r for r in generated.actions if r.incident.id in ids]
        assert generated.figures_of(subset) == figures(scanned, actions)


def test_quarter_lookups_equal_a_scan(generated: Analytics) -> None:
    assert len(generated.quarters) > 4
    for q in generated.quarters:
        assert generated.facts_in(q.quarter) == [
            f for f in generated.incidents if f.quarter == q.quarter
        ]
        assert generated.actions_due_in(q.quarter) == [
            r for r in generated.actions if r.due_quarter == q.quarter
        ]
        assert q.figures == figures(
            generated.facts_in(q.quarter), generated.actions_due_in(q.quarter)
        )


def test_the_collector_is_paused_only_while_pages_render() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a collector paused by the caller stays paused
    finally:
        gc.enable()


def test_flatten_still_flattens_any_mapping() -> None:
    record = {"a": 1, "b": MappingProxyType({"c": "x", "d": None}), "e": ["p", None], "f": True}
    assert flatten(record) == {"a": 1, "b.c": "x", "b.d": None, "e": "p; ", "f": True}
