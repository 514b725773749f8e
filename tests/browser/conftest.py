"""Browser fixtures: the example site (plus a few fixture post-mortems) built once per session,
served on 127.0.0.1, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import (  # tests/conftest.py
    EXAMPLE,
    ROOT,
    build_in_process,
    copy_examples,
    make_project,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"

FIXTURE_INCIDENTS: dict[str, dict[str, Any]] = {
    "BRW-2025-901": {
        "title": "Zebra queue drained twice by the nightly reconciler",
        "services": ["zebra-queue"],
        "onboarding": True,
        "related": [],
        "lessons_learned": ["Make the reconciler idempotent before it runs twice."],
    },
    "BRW-2025-902": {
        "title": "Reconciler retries flooded the zebra queue with duplicate settlements",
        "services": ["zebra-queue", "reconciler"],
        "onboarding": False,
        "related": ["BRW-2025-901"],
        "lessons_learned": ["Retries need a budget, not only a back-off."],
        "action_items": [
            {
                "id": "AI-1",
                "action": "Cap zebra reconciler retries with a token bucket.",
                "owner": "team-zebra",
                "due": "2025-04-01",
                "priority": "P1",
            },
        ],
    },
    "BRW-2025-903": {
        "title": "Markup <b>stays</b> text & is escaped in the zebra explorer",
        "services": ["zebra-queue"],
        "onboarding": False,
        "status": "in-review",
        "related": [],
        "lessons_learned": ["An in-review lesson that the reading path must not show."],
    },
}
"""Post-mortems added to the examples so the browser tests know ids, titles and links."""


def write_fixture_incidents(folder: Path) -> None:
    """Write FIXTURE_INCIDENTS as post-mortem files, mutated from the valid example."""
    text = EXAMPLE.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    base = yaml.safe_load(front)
    for number, (incident_id, changes) in enumerate(FIXTURE_INCIDENTS.items()):
        data = {**base, "id": incident_id, **changes}
        data["started"] = base["started"].replace(day=1 + number)
        data["detected"] = base["detected"].replace(day=1 + number)
        data["mitigated"] = base["mitigated"].replace(day=1 + number)
        data["resolved"] = base["resolved"].replace(day=1 + number)
        data["timeline"] = []
        data["regulations"] = []
        dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (folder / f"{incident_id}.md").write_text(f"---\n{dumped}---\n{body}", encoding="utf-8")


@dataclass
class Site:
    """A built site served over HTTP."""

    root: Path
    url: str

    def page_url(self, path: str) -> str:
        """The absolute URL of a site path such as 'explorer/'."""
        return self.url + path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `directory` on a free port of 127.0.0.1 from a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site plus FIXTURE_INCIDENTS, built once with a strict `mkdocs build`."""
    project = make_project(tmp_path_factory.mktemp("browser-site"))
    copy_examples(project)
    write_fixture_incidents(project / "postmortems")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    return build.site


@pytest.fixture(scope="session")
def site(built_site: Path) -> Iterator[Site]:
    """The built site on http://127.0.0.1:<free port>/."""
    server, url = serve(built_site)
    yield Site(built_site, url)
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium; skipped when missing unless POSTMORTEM_KB_REQUIRE_BROWSER=1."""
    required = os.environ.get("POSTMORTEM_KB_REQUIRE_BROWSER") == "1"
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if not reason and not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found (Debian: apt-get install chromium)"
    if reason:
        if required:
            pytest.fail(f"POSTMORTEM_KB_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; requests leaving 127.0.0.1 (e.g. web fonts) are blocked: tests run offline."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:"))
            else route.abort()
        ),
    )
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str, **options: Any) -> Path:
    """Save a screenshot to test-artifacts/<name>.png (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path


@dataclass
class Results:
    """What the site's search showed for one query."""

    paths: list[str]
    """Result pages, best first, as URL paths without the trailing slash and the `?h=`."""
    hrefs: list[str]
    count: int
    """Incidents found (more than the results listed, at most SEARCH_SHOWN)."""
    ms: float
    """Milliseconds from the query's input to its results shown (measured by the page)."""


def open_search(page: Any, url: str) -> Any:
    """Load `url`, focus the search box (which loads the script); return the box."""
    page.goto(url)
    box = page.locator("input.pmkb-search__input")
    box.click()
    page.wait_for_selector(".pmkb-search[data-state=ready]", timeout=20000)
    return box


def search_results(page: Any, query: str, filters: dict[str, str] | None = None) -> Results:
    """Set the filters and type `query` into the open search box; wait for its results."""
    before = int(page.get_attribute(".pmkb-search", "data-run") or 0)
    for name, value in (filters or {}).items():
        page.select_option(f".pmkb-search select[name={name}]", value)
    page.locator("input.pmkb-search__input").fill(query)
    page.wait_for_function(
        """([before, query]) => {
            const box = document.querySelector('.pmkb-search');
            const run = Number(box.getAttribute('data-run') || 0);
            return run > before && box.getAttribute('data-query') === query
                && box.getAttribute('data-done') === String(run);
        }""",
        arg=[before, query],
        timeout=20000,
    )
    hrefs = page.eval_on_selector_all(
        ".pmkb-search__result a.pmkb-search__link", "links => links.map(a => a.href)"
    )
    return Results(
        [urlsplit(href).path.rstrip("/") for href in hrefs],
        hrefs,
        int(page.get_attribute(".pmkb-search", "data-results") or 0),
        float(page.get_attribute(".pmkb-search", "data-ms") or "nan"),
    )


def search_bytes(page: Any) -> int:
    """Bytes the page fetched for search so far (script and index files, as transferred)."""
    return int(
        page.evaluate(
            """() => performance.getEntriesByType('resource')
                .filter(e => /search-index\\/|search\\.js/.test(e.name))
                .reduce((sum, e) => sum + e.transferSize, 0)"""
        )
    )
