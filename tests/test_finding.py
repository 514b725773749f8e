"""Finding and learning, checked in real builds: search index content, related incidents,
explorer data, lessons reading path and the Atom feed."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from browser.synthetic_corpus import synthetic_incidents
from conftest import EXAMPLE, Build, build_in_process, make_project
from postmortem_kb.core.related import Relation, explicit_links, related_incidents

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


def test_search_index_holds_incident_pages_only_with_their_findable_text(build: Build) -> None:
    assert build.returncode == 0, build.log
    docs = json.loads((build.site / "search" / "search_index.json").read_text())["docs"]
    pages = {doc["location"].split("#")[0] for doc in docs}
    aggregates = {"", "incidents/", "explorer/", "lessons/"}
    assert not pages & aggregates, pages & aggregates
    assert not any(p.startswith(("services/", "categories/", "severities/")) for p in pages)
    own = [doc for doc in docs if doc["location"].startswith("incidents/tst-002/")]
    assert own[0]["title"].startswith("TST-002: ") and own[0]["boost"] == 2
    text = " ".join(doc["text"] for doc in own)
    assert "checkout-api payments-db" in text  # services are separate words
    assert "AI-2 Alert on connection-pool saturation" in text  # action items, cells apart
    assert "Review the effective configuration" in text  # lessons
    titles = {doc["title"] for doc in own}
    assert "Related incidents" not in titles  # other incidents' titles stay on their pages
    assert "Contributing factors" in titles
    factors = next(doc for doc in own if doc["title"] == "Contributing factors")
    assert "Missing/inadequate monitoring" not in factors["text"]  # boilerplate table excluded


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


def test_similar_incidents_share_services_or_words_and_scale_linearly() -> None:
    incidents = synthetic_incidents(10_000)
    # CPU time of this process: other processes on a busy machine do not count.
    started = time.process_time()
    small = related_incidents(incidents[:1_000])
    small_s = time.process_time() - started
    started = time.process_time()
    related = related_incidents(incidents)
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
