"""Every reader, every screen: each page type of the example site on a 390 px phone (no page wider
than the screen, chart text of 10 px or more) and axe-core in light and dark (no violation from
this project's templates and CSS)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.schema import CONTRIBUTING_FACTORS

from browser.conftest import ARTIFACTS, Site, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MIN_CHART_TEXT_PX = 10
PHONE_SHOT = {"x": 0, "y": 0, "width": PHONE["width"], "height": 1500}
"""The part of a page the phone screenshots keep (docs/images/phone-*.png)."""
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
"""Installed from tests/browser/package-lock.json by `python3 dev.py test` (npm ci)."""
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _first_page(site: Site, folder: str) -> str:
    """The URL path of the first generated page below `folder` (e.g. one quarter of trends/)."""
    pages = sorted(p.parent for p in (site.root / folder).glob("*/index.html"))
    assert pages, f"no page below {folder}/"
    return f"{folder}/{pages[0].name}/"


def page_types(site: Site) -> dict[str, str]:
    """One URL path per page type of the site."""
    return {
        "home": "",
        "incident": _first_page(site, "incidents"),
        "incidents list": "incidents/",
        "trends": "trends/",
        "quarter": _first_page(site, "trends"),
        "action items": "action-items/",
        "owner": _first_page(site, "action-items"),
        "explorer": "explorer/",
        "regulations": "regulations/",
        "regulation": _first_page(site, "regulations"),
        "services": "services/",
        "service": _first_page(site, "services"),
        "categories": "categories/",
        "category": _first_page(site, "categories"),
        "factors": "factors/",
        "factor": _first_page(site, "factors"),
        "lessons": "lessons/",
    }


def _context(browser: Any, **options: Any) -> Any:
    context = browser.new_context(**options)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:"))
            else route.abort()
        ),
    )
    return context


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page in a 390 px wide phone viewport."""
    context = _context(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True)
    yield context.new_page()
    context.close()


CHART_TEXT_PX = """() => [...document.querySelectorAll('svg.pmkb-chart__svg')].flatMap(svg => {
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll('text')].map(t => ({
    text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale}));
})"""


def test_every_page_type_fits_a_phone_and_keeps_chart_text_readable(phone: Any, site: Site) -> None:
    figures: dict[str, Any] = {}
    charts = 0
    for kind, path in page_types(site).items():
        phone.goto(site.page_url(path))
        width = phone.evaluate("document.documentElement.scrollWidth")
        viewport = phone.evaluate("window.innerWidth")
        assert width <= viewport, f"{kind} ({path}) is {width} px wide on a {viewport} px phone"
        texts = phone.evaluate(CHART_TEXT_PX)
        small = [t for t in texts if t["px"] < MIN_CHART_TEXT_PX]
        assert not small, f"{kind} ({path}): chart text below {MIN_CHART_TEXT_PX} px: {small[:3]}"
        charts += bool(texts)
        figures[kind] = {
            "scroll_width": width,
            "min_chart_text_px": min(t["px"] for t in texts) if texts else None,
        }
        # A table wider than the phone scrolls inside its own box.
        for table in phone.query_selector_all(".md-typeset table[class^='pmkb-']"):
            assert table.evaluate("t => t.parentElement.classList.contains('pmkb-scroll')"), kind
    assert charts >= 3, "the trends, quarter and factors pages have charts"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "phone.json").write_text(json.dumps(figures, indent=2) + "\n")
    example = "incidents/inc-2025-044/"  # the README's phone view: an example recurrence
    shown = example if (site.root / example).is_dir() else page_types(site)["incident"]
    phone.goto(site.page_url(shown))
    screenshot(phone, "phone-incident", full_page=True, clip=PHONE_SHOT)
    phone.goto(site.page_url("trends/"))
    screenshot(phone, "phone-trends", full_page=True, clip=PHONE_SHOT)


OURS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return false;
  // This project's markup: anything with a pmkb- class, or the generated content of a page, but
  // not the theme's own controls placed there (permalinks, edit button).
  if (el.closest('[class*="pmkb-"]')) return true;
  return !!el.closest('.md-content__inner') && !el.closest('.headerlink, .md-content__button');
}"""


def axe_violations(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """axe-core's WCAG 2.1 A/AA violations on the loaded page: (this project's, the theme's)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    ours, theirs = [], []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            selector = node["target"][0]
            found = {"rule": violation["id"], "target": selector, "summary": node["failureSummary"]}
            (ours if page.evaluate(OURS, selector) else theirs).append(found)
    return ours, theirs


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_of_ours_on_any_page_type(
    browser: Any, site: Site, scheme: str
) -> None:
    if not AXE.exists():
        reason = f"{AXE} missing: run `python3 dev.py test` (it runs npm ci in tests/browser)"
        if os.environ.get("POSTMORTEM_KB_REQUIRE_BROWSER") == "1":  # CI (.ci/run)
            pytest.fail(reason)
        pytest.skip(reason)
    context = _context(browser, viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    report: dict[str, Any] = {}
    problems = []
    try:
        for kind, path in page_types(site).items():
            page.goto(site.page_url(path))
            palette = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            assert palette == ("slate" if scheme == "dark" else "default"), palette
            ours, theirs = axe_violations(page)
            report[kind] = {
                "ours": ours,
                "theme": sorted({f"{v['rule']} at {v['target']}" for v in theirs}),
            }
            problems += [
                f"{kind} ({path}): {v['rule']} at {v['target']}: {v['summary']}" for v in ours
            ]
    finally:
        context.close()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-{scheme}.json").write_text(json.dumps(report, indent=2) + "\n")
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} in all)"


def explorer_ids(page: Any, site: Site, fragment: str) -> list[str]:
    """The incident ids the explorer shows, in order, for the filters in `fragment`."""
    page.goto(site.page_url("explorer/") + "#" + fragment)
    page.reload()  # a new hash alone does not reload the page
    page.wait_for_selector("#pmkb-explorer[data-state=ready]")
    return page.eval_on_selector_all(
        "#pmkb-explorer tbody tr td:first-child a", "links => links.map(a => a.textContent)"
    )


def test_explorer_filters_by_owner_factor_and_dates_sorts_and_says_when_empty(
    page: Any, site: Site
) -> None:
    corpus = load_corpus(site.root.parent / "postmortems")
    incidents = {i.id: i.model for i in corpus.incidents}
    owned = {
        i for i, pm in incidents.items() if any(a.owner == "team-zebra" for a in pm.action_items)
    }
    assert set(explorer_ids(page, site, "owner=team-zebra")) == owned == {"BRW-2025-902"}
    label = CONTRIBUTING_FACTORS["testing"]
    scored = {i for i, pm in incidents.items() if pm.contributing_factors.testing.score > 0}
    assert scored and set(explorer_ids(page, site, urlencode({"factor": label}))) == scored
    lo, hi = dt.date(2025, 1, 1), dt.date(2025, 6, 30)
    in_range = {i for i, pm in incidents.items() if lo <= pm.started.date() <= hi}
    shown = explorer_ids(page, site, f"from={lo}&to={hi}")
    assert in_range and set(shown) == in_range
    # Sorting: the Incident heading sorts by id, a second click reverses; aria-sort follows.
    heading = page.locator("th[data-sort=incident] button")
    heading.click()
    ascending = explorer_rows(page)
    assert ascending == sorted(in_range)
    assert page.get_attribute("th[data-sort=incident]", "aria-sort") == "ascending"
    assert page.get_attribute("th[data-sort=started]", "aria-sort") is None
    heading.click()
    assert explorer_rows(page) == sorted(in_range, reverse=True)
    assert "sort=incident-descending" in page.url
    # Nothing matches: a message says so, instead of an empty table.
    assert page.locator(".pmkb-explorer__empty").is_hidden()
    assert explorer_ids(page, site, "q=no-such-incident-anywhere") == []
    assert page.locator(".pmkb-explorer__empty").is_visible()
    assert (
        page.locator(".pmkb-explorer__count").text_content() == f"0 of {len(incidents)} incidents"
    )


def explorer_rows(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#pmkb-explorer tbody tr td:first-child a", "links => links.map(a => a.textContent)"
    )


WRAPPED = """() => [...document.querySelectorAll(
  '.md-typeset table[class^="pmkb-"] tbody > tr > :first-child, .md-typeset .pmkb-nowrap')]
  .filter(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    // Two lines are at least twice the font size tall; one line (with a badge) is not.
    return range.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(cell).fontSize);
  }).map(cell => cell.textContent.trim()).slice(0, 5)"""


def test_ids_dates_and_quarters_never_wrap_on_a_desktop(page: Any, site: Site) -> None:
    kinds = page_types(site)
    for kind in ("incident", "trends", "quarter", "action items", "owner", "regulation"):
        page.goto(site.page_url(kinds[kind]))
        assert page.evaluate(WRAPPED) == [], kind
        # The empty navigation sidebar is hidden on pages outside the nav, not on the others.
        sidebar = page.locator(".md-sidebar--primary")
        assert sidebar.is_visible() == (kind in ("trends", "quarter", "action items")), kind
