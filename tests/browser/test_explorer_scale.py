"""The explorer at 10,000 synthetic incidents: data size, time to first rows, time per filter."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from postmortem_kb.core.settings import Settings
from postmortem_kb.render.explorer import explorer_data
from postmortem_kb.render.pages import PageBuilder
from postmortem_kb.render.safejson import dumps

from browser.conftest import ARTIFACTS, serve
from browser.synthetic_corpus import synthetic_corpus

pytestmark = pytest.mark.browser
COUNT = 10_000


def test_explorer_stays_fast_at_10000_incidents(
    page: Any, built_site: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    builder = PageBuilder(Settings(reference_date=dt.date(2025, 11, 23)))
    data = explorer_data(builder, synthetic_corpus(COUNT))
    payload = dumps(data).encode("utf-8")
    (site / "data" / "explorer.json").write_bytes(payload)
    server, url = serve(site)
    try:
        started = time.perf_counter()
        page.goto(url + "explorer/")
        page.wait_for_selector("#pmkb-explorer[data-state=ready]", timeout=30000)
        first_rows_s = time.perf_counter() - started
        assert page.inner_text(".pmkb-explorer__count") == f"{COUNT} incidents"
        assert page.locator("#pmkb-explorer tbody tr").count() == 100  # one page of rows
        ready_ms = float(page.get_attribute("#pmkb-explorer", "data-ready-ms") or "nan")

        sev1 = sum(1 for r in data["rows"] if data["severities"][r[4]] == "SEV-1")
        page.select_option("select[name=severity]", "SEV-1")
        page.wait_for_function(
            "document.querySelector('.pmkb-explorer__count').textContent"
            f" === '{sev1} of {COUNT} incidents'"
        )
        severity_ms = float(page.get_attribute("#pmkb-explorer", "data-filter-ms") or "nan")

        words = [r for r in data["rows"] if data["severities"][r[4]] == "SEV-1"]
        expected = sum(1 for r in words if "stampede" in (r[1] + " " + r[10]).lower())
        page.fill("input[name=q]", "stampede")
        page.wait_for_function(
            "document.querySelector('.pmkb-explorer__count').textContent"
            f" === '{expected} of {COUNT} incidents'"
        )
        text_ms = float(page.get_attribute("#pmkb-explorer", "data-filter-ms") or "nan")
    finally:
        server.shutdown()

    figures = {
        "incidents": COUNT,
        "json_bytes": len(payload),
        "json_gzip_bytes": len(gzip.compress(payload)),
        "navigation_to_first_rows_s": round(first_rows_s, 3),
        "script_start_to_first_rows_ms": ready_ms,
        "severity_filter_ms": severity_ms,
        "text_filter_ms": text_ms,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "explorer-10k.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(figures)
    assert len(payload) / COUNT < 300  # bytes per incident, compact rows
    assert ready_ms < 5000
    assert severity_ms < 250 and text_ms < 250
