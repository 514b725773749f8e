"""A site built from hostile bodies, front matter and file names (tests/security_corpus.py):
every generated page loads in Chromium with a trap set before any script, and nothing runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ROOT, build_site  # tests/conftest.py
from security_corpus import write_hostile_corpus

from browser.conftest import Site, open_search, search_results, serve

pytestmark = pytest.mark.browser

TRAP = """
(() => {
  const ran = [];
  Object.defineProperty(window, "__pmkbRan", { value: ran });
  Object.defineProperty(window, "__pwned", {
    configurable: false,
    get() { return undefined; },
    set(value) { ran.push("__pwned=" + value); },
  });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (...args) => { ran.push(name + "(" + args.join(",") + ")"); };
  }
  for (const name of ["log", "info", "warn", "error", "debug"]) {
    const original = console[name].bind(console);
    console[name] = (...args) => {
      if (args.some(arg => /pwned|onerror|<script/i.test(String(arg)))) {
        ran.push("console." + name + "(" + args.join(",") + ")");
      }
      original(...args);
    };
  }
})();
"""
"""Set before any script of a page: records a write of `window.__pwned`, a dialog, or a console
line carrying a payload."""

LIVE_HANDLERS = """
() => {
  const found = [];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const value = attribute.value;
      if (attribute.name.startsWith("on") && /pwned|alert/.test(value)) {
        found.push(element.tagName + " " + attribute.name + "=" + value);
      }
      const url = /href|src|action/.test(attribute.name);
      if (url && /^\\s*(javascript|vbscript|data):/i.test(value)) {
        found.push(element.tagName + " " + attribute.name + "=" + value);
      }
    }
  }
  return found;
}
"""
"""Event handlers or script URLs carrying a payload anywhere in the DOM (handlers that would run
on hover or focus, which loading alone does not trigger)."""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    project = tmp_path_factory.mktemp("hostile-browser")
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "postmortems").mkdir()
    write_hostile_corpus(project)
    build = build_site(project, strict=False)
    assert build.returncode == 0, build.log
    server, url = serve(build.site)
    yield Site(build.site, url)
    server.shutdown()


def test_no_script_runs_on_any_page_of_a_hostile_site(browser: Any, hostile_site: Site) -> None:
    pages = sorted(
        path.relative_to(hostile_site.root).as_posix() for path in hostile_site.root.rglob("*.html")
    )
    assert "incidents/sec-2025-001/index.html" in pages
    assert "incidents/sec-2025-007/index.html" in pages
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(TRAP)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(hostile_site.url) else route.abort()
        ),
    )
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    ran: dict[str, list[str]] = {}
    for path in pages:
        page.goto(hostile_site.page_url(path), wait_until="load")
        page.wait_for_timeout(50)  # let image errors and load handlers fire
        found = page.evaluate("window.__pmkbRan") + page.evaluate(LIVE_HANDLERS)
        if found:
            ran[path] = found
    assert ran == {}
    # The site's search: type words of the hostile pages, show the results (titles, summaries
    # and snippets of hostile text), then open one with its words marked.
    open_search(page, hostile_site.page_url("incidents/sec-2025-001/"))
    for query in ("Hostile", "script alert pwned", "onerror img"):
        found_results = search_results(page, query)
        page.wait_for_timeout(100)
        found = page.evaluate("window.__pmkbRan") + page.evaluate(LIVE_HANDLERS)
        if found:
            ran[f"search results of {query!r}"] = found
    assert found_results.count > 0, found_results
    page.goto(found_results.hrefs[0])
    page.wait_for_selector("html[data-pmkb-highlighted]")
    found = page.evaluate("window.__pmkbRan") + page.evaluate(LIVE_HANDLERS)
    if found:
        ran["highlighted result page"] = found
    context.close()
    assert ran == {}
    assert dialogs == []
    assert [error for error in errors if "pwned" in error] == []
    assert len(pages) > 20
