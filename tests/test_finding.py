"""Finding and learning, checked in real builds: the search index and its loader, related incidents,
explorer data, lessons reading path and the Atom feed."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser.synthetic_corpus import synthetic_incidents
from conftest import EXAMPLE, Build, build_in_process, make_project, search_index_docs
from hypothesis import given
from hypothesis import strategies as st
from postmortem_kb.core import processes
from postmortem_kb.core.corpus import Corpus, load_corpus, without_drafts
from postmortem_kb.core.related import (
    CATEGORY_WEIGHT,
    MIN_SCORE,
    SERVICE_WEIGHT,
    Relation,
    explicit_links,
    related_incidents,
)
from postmortem_kb.core.settings import Settings
from postmortem_kb.render import search_index
from postmortem_kb.render.search_index import normal_id, stem

ATOM = "{http://www.w3.org/2005/Atom}"


def write_incident(folder: Path, incident_id: str, day: int, **changes: object) -> None:
    """A copy of the valid example with another id, start day and the given changes."""
    _, front, body = EXAMPLE.read_text(encoding="utf-8").split("---\n", 2)
    data = {**yaml.safe_load(front), "id": incident_id, **changes}
    for key in ("started", "detected", "mitigated", "resolved"):
        data[key] = data[key].replace(day=day)
    data["timeline"] = []
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (folder / f"{incident_id}.md").write_text(f"---\n{text}---\n{body}", encoding="utf-8")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    """One strict build of four post-mortems: linked, recurring, in review, hostile title."""
    project = make_project(tmp_path_factory.mktemp("finding"))
    folder = project / "postmortems"
    write_incident(folder, "TST-001", 1, related=[], onboarding=False)
    write_incident(folder, "TST-002", 2, related=["TST-001"], onboarding=True)
    write_incident(folder, "TST-003", 3, recurrence_of="TST-001", onboarding=False)
    write_incident(
        folder,
        "TST-004",
        3,
        title="Hostile </script><img src=x onerror=alert(1)> & title",
        status="in-review",
        lessons_learned=["A lesson still in review."],
        related=[],
    )
    yield build_in_process(project)


def read_index(site: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, list[int]]]:
    """The search index of a built site: meta, incident files (by doc number), all terms."""
    folder = site / "search-index"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    docs = search_index_docs(site)
    terms: dict[str, list[int]] = {}
    for number in meta["shards"].values():
        shard = json.loads((folder / "t" / f"{number}.json").read_text(encoding="utf-8"))
        assert not terms.keys() & shard.keys()  # each term in one shard
        terms.update(shard)
    return meta, docs, terms


def docs_of(postings: list[int]) -> list[int]:
    """The doc numbers of a term's postings ([doc delta, weight, ...])."""
    return list(itertools.accumulate(postings[0::2]))


def test_search_index_holds_each_incident_with_its_findable_text(build: Build) -> None:
    assert build.returncode == 0, build.log
    assert not (build.site / "search").exists()  # the theme's search is off in mkdocs.yml
    meta, docs, terms = read_index(build.site)
    assert meta["count"] == 4
    assert [d["id"] for d in docs] == ["TST-004", "TST-003", "TST-002", "TST-001"]  # newest first
    two = docs.index(next(d for d in docs if d["id"] == "TST-002"))
    assert docs[two]["url"] == "incidents/tst-002/"
    assert docs[two]["summary"].startswith("A configuration change")  # the summary, no card
    assert docs_of(terms["#tst-2"]) == [two]  # the id, without leading zeros
    for word in ("checkout", "pool", "saturation", "review"):  # services, actions, lessons
        assert two in docs_of(terms[stem(word)]), word
    assert two in docs_of(terms[stem("connection") + " " + stem("pool")])  # a pair of words
    headings = {heading for heading, _ in docs[two]["sections"]}
    assert {"Lessons learned", "Action items", "Executive summary"} <= headings
    assert "Incident timeline" not in headings  # the timeline is not indexed
    for label in ("severity", "status", "started"):  # the card's labels are no terms
        assert stem(label) not in terms or len(docs_of(terms[stem(label)])) < 4, label
    assert "the" not in terms and "a" not in terms  # stop words
    facets = dict(meta["facets"])
    assert ["in-review", 1] in facets["status"] and ["published", 3] in facets["status"]
    hostile = json.loads((build.site / "search-index" / "d" / "0.json").read_text())
    assert hostile["title"].startswith("Hostile </script>")
    assert "<" not in (build.site / "search-index" / "d" / "0.json").read_text()


def test_every_page_carries_the_search_box_loader_and_no_index(build: Build) -> None:
    for path in ("", "incidents/tst-002/", "explorer/", "guide/writing/"):
        html = build.page(path)
        assert html.count('id="pmkb-search-loader"') == 1, path
        assert "search-index/" not in html and "search_index" not in html, path
    deep = build.page("incidents/tst-002/")
    assert 'data-root="../../"' in deep
    assert 'data-src="../../assets/postmortem-kb/search.js"' in deep
    assert (build.site / "assets" / "postmortem-kb" / "search.js").is_file()


def test_ids_match_in_any_case_and_without_leading_zeros() -> None:
    assert normal_id("INC-2025-007") == normal_id("inc-2025-7") == "inc-2025-7"
    assert normal_id("SYN-00500") == "syn-500" and normal_id("A-0") == "a-0"
    assert normal_id("v100-0010") == "v100-10"


@given(
    st.dictionaries(
        st.text("ab #1", min_size=1, max_size=6),
        st.lists(st.integers(0, 9), min_size=2, max_size=400).map(lambda x: x[: len(x) // 2 * 2]),
        max_size=60,
    )
)
def test_shards_hold_every_term_once_under_its_longest_prefix(index: dict[str, list[int]]) -> None:
    shards = search_index._shards(index)
    keys = [prefix for prefix, _ in shards]
    assert len(keys) == len(set(keys))
    seen: dict[str, str] = {}
    for prefix, shard in shards:
        for term in shard:
            assert term.startswith(prefix) and term not in seen
            seen[term] = prefix
            longest = max(k for k in keys if term.startswith(k))  # what search.js looks up
            assert longest == prefix, (term, prefix, longest)
    assert seen.keys() == index.keys()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """60 generated post-mortems (drafts among them), loaded."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from generate import generate

    folder = tmp_path_factory.mktemp("many") / "postmortems"
    generate(folder, 60, seed=5)
    return load_corpus(folder)


@pytest.mark.parametrize("dies", [False, True], ids=["worker", "worker-dies"])
def test_search_index_made_apart_has_the_files_made_here(
    many: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies: bool
) -> None:
    """A build's search index is made by a worker process from each incident's text, a part at
    a time (search_index.write_search_index_apart): its files are those the build's own
    process makes. A worker that dies leaves the index to be made here, whole."""
    settings = Settings(reference_date=dt.date(2025, 11, 23), include_drafts=False)
    search_index.write_search_index(many, settings, tmp_path / "here")
    monkeypatch.setattr(search_index, "FRESH_WORKERS_FROM", 1)
    monkeypatch.setattr(processes, "FRESH_WORKERS_FROM", 1)
    monkeypatch.setattr(search_index, "_PART", 7)  # several parts, more than are sent ahead
    started: list[Any] = []

    def start(*args: Any, **kwargs: Any) -> Any:
        pool = processes.start_pool(*args, **kwargs)
        started.append(pool)
        if dies and pool is not None:
            for worker in list(pool._processes.values()):  # type: ignore[attr-defined]
                worker.kill()
                worker.join()
        return pool

    monkeypatch.setattr(search_index, "start_pool", start)
    search_index.write_search_index_apart(many, settings, tmp_path / "apart")
    assert len(started) == 1 and started[0] is not None  # the index was sent to a worker
    here, apart = _tree(tmp_path / "here"), _tree(tmp_path / "apart")
    docs = [path for path in here if path.startswith("search-index/d/")]
    assert len(docs) == len(without_drafts(many).incidents) > 40
    assert apart == here


def test_blocks_held_out_of_search_are_back_on_the_page(build: Build) -> None:
    """The plugin hides `data-search-exclude` blocks from Material's search parser only while
    it indexes the page: the published page still has every one of them, and no trace."""
    html = build.page("incidents/tst-002/")
    factors = html.split('id="contributing-factors"', 1)[1].split("<h2", 1)[0]
    assert '<section class="pmkb-noindex" data-search-exclude>' in factors
    assert "Missing/inadequate monitoring" in factors
    impact = html.split('id="impact-assessment"', 1)[1].split("<h2", 1)[0]
    assert "pmkb-noindex" in impact and "<table" in impact
    assert 'class="pmkb-related" data-search-exclude' in html
    for page in build.site.rglob("*.html"):
        assert not re.search(r"<!-- pmkb\w+ held ", page.read_text(encoding="utf-8")), page


def test_related_links_show_in_both_directions(build: Build) -> None:
    one = build.page("incidents/tst-001/")
    section = one.split('id="related-incidents"', 1)[1]
    assert 'data-relation="related"' in section and "../tst-002/" in section
    assert 'data-relation="recurred-as"' in section and "../tst-003/" in section
    three = build.page("incidents/tst-003/").split('id="related-incidents"', 1)[1]
    assert 'data-relation="recurrence-of"' in three and "../tst-001/" in three
    hostile = build.page("incidents/tst-001/")
    assert "<img src=x" not in hostile and "&lt;img src=x" in hostile


def test_explorer_data_is_complete_and_escaped(build: Build) -> None:
    raw = (build.site / "data" / "explorer.json").read_text(encoding="utf-8")
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert [row[0] for row in data["rows"]] == ["TST-004", "TST-003", "TST-002", "TST-001"]
    hostile = data["rows"][0]
    assert hostile[1] == "Hostile </script><img src=x onerror=alert(1)> & title"
    assert data["statuses"][hostile[5]] == "in-review"
    assert hostile[9] == "2025-Q1"
    assert data["link"] == ["../incidents/", "/"]
    html = build.page("explorer/")
    assert 'data-src="../data/explorer.json"' in html
    assert '<script src="../assets/postmortem-kb/explorer.js">' in html
    assert (build.site / "assets" / "postmortem-kb" / "explorer.js").is_file()


def test_lessons_page_lists_published_lessons_onboarding_first(build: Build) -> None:
    html = build.page("lessons/")
    assert 'id="start-here"' in html
    order = [part.split('"', 1)[0] for part in html.split('data-incident-id="')[1:]]
    assert order == ["TST-002", "TST-003", "TST-001"]  # onboarding, then newest first
    assert "A lesson still in review." not in html


def test_atom_feed_lists_published_post_mortems_escaped(build: Build) -> None:
    feed = ET.fromstring((build.site / "feed.xml").read_bytes())
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert len(titles) == 3 and all(t and t.startswith("TST-00") for t in titles)
    assert not any("Hostile" in (t or "") for t in titles)  # in review: not published
    links = [e.find(f"{ATOM}link").get("href") for e in feed.iter(f"{ATOM}entry")]  # type: ignore[union-attr]
    assert set(links) == {"incidents/tst-001/", "incidents/tst-002/", "incidents/tst-003/"}
    ids = {e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")}
    assert all(i and i.startswith("urn:uuid:") for i in ids) and len(ids) == 3
    head = build.page("incidents/tst-001/")
    assert '<link rel="alternate" type="application/atom+xml"' in head
    assert 'href="../../feed.xml"' in head


def test_explicit_links_rank_recurrence_over_related_and_skip_unknown_ids() -> None:
    a, b, c = synthetic_incidents(3)
    b = type(b)(
        b.document, b.model.model_copy(update={"recurrence_of": a.id, "related": [a.id]}), b.metrics
    )
    c = type(c)(c.document, c.model.model_copy(update={"related": ["NOPE-1", b.id]}), c.metrics)
    links = explicit_links([a, b, c])
    assert [(link.incident.id, link.relation) for link in links[a.id]] == [
        (b.id, Relation.RECURRED_AS)
    ]
    assert [(link.incident.id, link.relation) for link in links[b.id]] == [
        (a.id, Relation.RECURRENCE_OF),
        (c.id, Relation.RELATED),
    ]
    assert [link.incident.id for link in links[c.id]] == [b.id]


def test_similar_incidents_follow_the_scoring_rule_written_plainly() -> None:
    """related.py's rule, pair by pair: term weights multiplied for each shared term whose
    list has the other within `window` of this one, plus the shared services (up to two) and the
    same category; explicitly linked incidents left out; the best `limit`, newer first on ties."""
    incidents = synthetic_incidents(300, seed=3)
    b = incidents[40]
    incidents[40] = type(b)(
        b.document, b.model.model_copy(update={"related": [incidents[41].id]}), b.metrics
    )
    window, limit = 3, 4
    found = related_incidents(incidents, limit=limit, window=window)
    vectors: list[dict[str, float]] = list(found._vectors)  # type: ignore[attr-defined]
    lists: dict[tuple[str, str], list[int]] = {}
    for index, incident in enumerate(incidents):
        for key in [("s", s) for s in incident.model.services] + [("t", t) for t in vectors[index]]:
            lists.setdefault(key, []).append(index)

    def near(key: tuple[str, str], index: int, other: int) -> bool:
        members = lists.get(key, [])
        return other in members and abs(members.index(other) - members.index(index)) <= window

    links = explicit_links(incidents)
    for index, incident in enumerate(incidents):
        linked = {link.incident.id for link in links.get(incident.id, [])}
        expected = []
        for other, candidate in enumerate(incidents):
            keys = [("s", s) for s in incident.model.services] + [("t", t) for t in vectors[index]]
            if other == index or candidate.id in linked:
                continue
            if not any(near(key, index, other) for key in keys):
                continue
            text = sum(
                vectors[index][t] * vectors[other][t]
                for kind, t in keys
                if kind == "t" and near((kind, t), index, other)
            )
            shared = len(set(incident.model.services) & set(candidate.model.services))
            mine, theirs = incident.model.root_cause, candidate.model.root_cause
            same = mine is not None and theirs is not None and mine.category == theirs.category
            score = text + SERVICE_WEIGHT * min(shared, 2) + (CATEGORY_WEIGHT if same else 0.0)
            if score >= MIN_SCORE:
                expected.append((-score, -candidate.model.started.timestamp(), candidate.id))
        similar = found[incident.id].similar
        assert [s.incident.id for s in similar] == [id_ for *_, id_ in sorted(expected)[:limit]]
        assert [s.score for s in similar] == [
            pytest.approx(round(-score, 4), abs=1e-4) for score, *_ in sorted(expected)[:limit]
        ]
    assert incidents[41].id not in {s.incident.id for s in found[incidents[40].id].similar}
    assert sum(len(found[i.id].similar) for i in incidents) > 300


def test_similar_incidents_share_services_or_words_and_scale_linearly() -> None:
    incidents = synthetic_incidents(10_000)
    # CPU time of this process: other processes on a busy machine do not count.
    started = time.process_time()
    small = dict(related_incidents(incidents[:1_000]))  # every section, not on demand
    small_s = time.process_time() - started
    started = time.process_time()
    related = dict(related_incidents(incidents))
    large_s = time.process_time() - started
    assert large_s < max(30 * small_s, 2.0)  # 10x the incidents, not 100x the time
    for incident in incidents[:50]:
        similar = related[incident.id].similar
        assert len(similar) <= 5
        assert [s.score for s in similar] == sorted((s.score for s in similar), reverse=True)
        for match in similar:
            assert match.incident.id != incident.id
            assert match.services or match.words
    assert small  # the small corpus had results too
