"""Every generated path from one place: unique slugs, reserved names, collisions named, and the
rules several pages share (an incident's quarter) giving one answer on every page."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from analytics_fixture import post_mortem
from conftest import EXAMPLE, ROOT, Build, build_site
from postmortem_kb.render.paths import unique_slugs


def write(project: Path, name: str, **fields: Any) -> None:
    data: dict[str, Any] = {
        "severity": "SEV-2",
        "services": ["checkout-api"],
        "started": "2025-02-03T10:00:00Z",
        "detected": "2025-02-03T10:05:00Z",
        "written": "2025-02-10",
        **fields,
    }
    (project / "postmortems" / f"{name}.md").write_text(post_mortem(**data), encoding="utf-8")


def action(item_id: str, owner: str, text: str) -> dict[str, Any]:
    return {"id": item_id, "action": text, "owner": owner, "due": "2025-03-01", "priority": "P2"}


def links(html: str) -> dict[str, str]:
    """Link text -> href of every link in a page's article."""
    article = html[html.index("<article") : html.index("</article>")]
    return {
        re.sub(r"<[^>]+>", "", text).strip(): href
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', article)
    }


def page_at(build: Build, from_url: str, href: str) -> str:
    """The HTML of the page a relative link on page `from_url` points to."""
    target = (build.site / from_url / href).resolve()
    return (target / "index.html" if target.is_dir() else target).read_text(encoding="utf-8")


def all_incidents_ids(build: Build) -> set[str]:
    html = build.page("incidents/")
    return set(re.findall(r'<td><a href="[^"]+">([^<]+)</a>', html))


# --- slugs --------------------------------------------------------------------------------------


def test_slugs_are_readable_when_faithful_and_distinct_always() -> None:
    owners = ["Platform Team", "日本チーム", "中文团队", "José", "Josè", "Index", "team-sre"]
    slugs = unique_slugs(owners)
    assert len(set(slugs.values())) == len(owners)
    assert slugs["Platform Team"] == "platform-team"
    assert slugs["team-sre"] == "team-sre"
    for lossy_or_shared in ("日本チーム", "中文团队", "José", "Josè", "Index"):
        assert "--" in slugs[lossy_or_shared], slugs
    assert slugs["José"].startswith("jose--") and slugs["Index"].startswith("index--")
    assert unique_slugs(["José"]) == {"José": "jose"}  # alone, it keeps the readable slug
    # Stable: the same value gets the same slug in another build, in any order.
    assert unique_slugs(reversed(owners)) == slugs
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*(--[0-9a-f]{8})?", s) for s in slugs.values())


def test_no_module_but_paths_names_a_site_path() -> None:
    """Every page and file name of the site is spelled in render/paths.py alone: no other module
    of render/ or engines/ has a string (or f-string part) ending in a site file's extension,
    besides package resources read with `joinpath`."""
    package = ROOT / "plugins" / "postmortem_kb"
    modules = [*(package / "render").rglob("*.py"), *(package / "engines").rglob("*.py")]
    assert len(modules) > 10
    found = []
    for module in modules:
        if module.name == "paths.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        resources = {
            id(arg)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "joinpath"
            for arg in node.args
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in resources
                and re.search(r"\.(md|html|json|csv|xml|css|js)$", node.value)
            ):
                found.append(f"{module.relative_to(package)}:{node.lineno}: {node.value!r}")
    assert not found, found


# --- real builds --------------------------------------------------------------------------------


def test_non_latin_owners_each_get_their_own_page(project: Path) -> None:
    write(
        project,
        "a",
        id="INC-1",
        action_items=[
            action("AI-1", "日本チーム", "Rotate the Tokyo certificates"),
            action("AI-2", "中文团队", "Add the Shanghai runbook"),
            action("AI-3", "José", "Fix the Lisbon alert"),
            action("AI-4", "Josè", "Fix the Porto alert"),
        ],
    )
    build = build_site(project)
    assert build.returncode == 0, build.log
    overview = links(build.page("action-items/"))
    pages = {owner: overview[owner] for owner in ("日本チーム", "中文团队", "José", "Josè")}
    assert len(set(pages.values())) == 4, pages
    expected = {
        "日本チーム": "Rotate the Tokyo certificates",
        "中文团队": "Add the Shanghai runbook",
        "José": "Fix the Lisbon alert",
        "Josè": "Fix the Porto alert",
    }
    for owner, href in pages.items():
        html = page_at(build, "action-items", href)
        assert expected[owner] in html
        others = [text for other, text in expected.items() if other != owner]
        assert not any(text in html for text in others), (owner, href)


def test_owner_and_service_named_index_keep_the_site_index_pages(project: Path) -> None:
    write(
        project,
        "a",
        id="INC-1",
        services=["index"],
        action_items=[action("AI-1", "Index", "Do it")],
    )
    write(project, "b", id="INC-2", services=["checkout-api"])
    build = build_site(project)
    assert build.returncode == 0, build.log
    assert all_incidents_ids(build) == {"INC-1", "INC-2"}
    # The services index still lists every service, and the service `index` has its own page.
    services = links(build.page("services/"))
    assert {"index", "checkout-api"} <= set(services)
    service_page = page_at(build, "services", services["index"])
    assert "INC-1" in service_page and "INC-2" not in service_page
    assert services["index"] not in ("./", ".", "")
    # The action-items overview is intact and the owner `Index` has its own page.
    overview_html = build.page("action-items/")
    assert "Action items" in overview_html
    owner_href = links(overview_html)["Index"]
    assert owner_href not in ("./", ".", "")
    assert "Do it" in page_at(build, "action-items", owner_href)


def test_an_incident_id_index_cannot_replace_the_list_of_all_incidents(project: Path) -> None:
    write(project, "a", id="index", title="Takeover attempt")
    write(project, "b", id="INC-2")
    build = build_site(project)
    assert build.returncode == 0, build.log
    listing = build.page("incidents/")
    assert "All incidents" in listing and all_incidents_ids(build) == {"index", "INC-2"}
    href = links(listing)["index"]
    assert href not in ("./", ".", "")
    incident = page_at(build, "incidents", href)
    assert "Takeover attempt" in incident and "All incidents" not in incident


def test_two_sources_on_one_page_are_an_error_naming_both(project: Path) -> None:
    # With the incident pages in the trends folder, an incident id that is a quarter's name
    # would take the quarter's page: the build names both and fails under --strict.
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "postmortems_dir: postmortems", "postmortems_dir: postmortems\n      url_prefix: trends"
        ),
        encoding="utf-8",
    )
    write(project, "q", id="2025-Q1", title="Named like a quarter")
    build = build_site(project)
    assert build.returncode != 0
    line = next(line for line in build.log.splitlines() if "2025-q1" in line)
    assert "claim the same page" in line
    assert "incident 2025-Q1 (postmortems/q.md)" in line and "trend page of 2025-Q1" in line
    assert "trends/2025-q1/" in line
    assert "Traceback" not in build.log


def test_a_hand_written_page_on_an_incident_path_is_an_error_naming_both(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "a.md")
    (project / "docs" / "incidents").mkdir()
    (project / "docs" / "incidents" / "inc-2025-007.md").write_text("# Mine\n", encoding="utf-8")
    build = build_site(project)
    assert build.returncode != 0
    line = next(line for line in build.log.splitlines() if "claim the same page" in line)
    assert "docs/incidents/inc-2025-007.md" in line and "INC-2025-007 (postmortems/a.md)" in line


def test_a_hand_written_home_page_replaces_the_generated_one(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "a.md")
    (project / "docs" / "index.md").write_text("# Our own home\n", encoding="utf-8")
    build = build_site(project)
    assert build.returncode == 0, build.log
    assert "Our own home" in build.page("")
    assert "INC-2025-007" in build.page("incidents/")


# --- one rule, one answer -----------------------------------------------------------------------

QUARTER_EDGE = {
    # id: (started, its quarter in UTC)
    "EAST-1": ("2025-04-01T01:00:00+05:00", "2025-Q1"),  # 31 March 20:00 UTC
    "WEST-1": ("2025-03-31T22:00:00-05:00", "2025-Q2"),  # 1 April 03:00 UTC
    "UTC-1": ("2025-03-31T23:59:00Z", "2025-Q1"),
    "UTC-2": ("2025-04-01T00:00:00Z", "2025-Q2"),
    "EAST-2": ("2025-01-01T04:00:00+05:30", "2024-Q4"),  # 31 December 22:30 UTC
}


@pytest.fixture(scope="module")
def quarter_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    project = tmp_path_factory.mktemp("quarters")
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "postmortems").mkdir()
    for incident_id, (started, _) in QUARTER_EDGE.items():
        detected = dt.datetime.fromisoformat(started) + dt.timedelta(minutes=10)
        write(
            project,
            incident_id,
            id=incident_id,
            started=started,
            detected=detected.isoformat(),
            written="2025-04-02",
        )
    build = build_site(project)
    assert build.returncode == 0, build.log
    return build


def test_every_page_puts_an_incident_in_the_same_quarter(quarter_build: Build) -> None:
    build = quarter_build
    explorer = json.loads((build.site / "data" / "explorer.json").read_text(encoding="utf-8"))
    explorer_quarter = {row[0]: row[9] for row in explorer["rows"]}
    export = json.loads((build.site / "data" / "incidents.json").read_text(encoding="utf-8"))
    export_quarter = {record["id"]: record["quarter"] for record in export["incidents"]}
    page_quarter: dict[str, list[str]] = {}
    for page in sorted((build.site / "trends").glob("*-q*/index.html")):
        label = page.parent.name.upper()
        for incident_id in re.findall(r'data-incident="([^"]+)"', page.read_text(encoding="utf-8")):
            page_quarter.setdefault(incident_id, []).append(label)
    for incident_id, (_, expected) in QUARTER_EDGE.items():
        assert explorer_quarter[incident_id] == expected, incident_id
        assert export_quarter[incident_id] == expected, incident_id
        assert page_quarter[incident_id] == [expected], incident_id
