"""Real builds of the hand-made analytics corpus: pages and export show the figures by hand."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from analytics_fixture import write_corpus
from conftest import Build, build_in_process, make_project


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The hand-made corpus built once for the module (the tests only read the site)."""
    project = make_project(tmp_path_factory.mktemp("analytics-site"))
    write_corpus(project / "postmortems")
    result = build_in_process(project)
    assert result.returncode == 0, result.log
    return result


def figure(fragment: str, name: str) -> str:
    """The text of the element marked data-figure=name (first one) in an HTML fragment."""
    match = re.search(rf'data-figure="{re.escape(name)}"[^>]*>(.*?)</', fragment, re.DOTALL)
    assert match, name
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def row(page: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert match, value
    return match.group(0)


def test_trends_overview_shows_the_hand_computed_figures(build: Build) -> None:
    page = build.page("trends/")
    q1 = row(page, "data-quarter", "2025-Q1")
    assert figure(q1, "incidents") == "3"
    assert [figure(q1, s) for s in ("sev-1", "sev-2", "sev-3", "near-miss")] == ["1", "1", "1", "0"]
    assert (figure(q1, "median-ttd"), figure(q1, "median-ttd-n")) == ("30 min", "3 of 3 known")
    assert (figure(q1, "median-ttr"), figure(q1, "median-ttr-n")) == ("1 h 15 min", "2 of 3 known")
    # Impact: A 10:00 -> mitigated 10:40 = 40; B 23:30Z -> resolved 01:30Z = 120; C -> 13:00 = 60.
    assert (figure(q1, "median-impact"), figure(q1, "median-impact-n")) == ("1 h", "3 of 3 known")
    assert figure(q1, "action-rate") == "50% (1/2)"
    assert figure(q1, "slo-rate") == "50%"
    assert (figure(q1, "repeats"), figure(q1, "possible-repeats")) == ("0", "1")
    assert figure(q1, "cost-direct-usd") == "$1,000 n = 1"
    assert figure(q1, "cost-indirect-usd") == "$1,000 n = 1"
    q2 = row(page, "data-quarter", "2025-Q2")
    # -50% (30 -> 15 min) but Q2 counts one TTD value: not judged, and it says why.
    assert figure(q2, "ttd-change") == "not judged n = 3 → 1"
    assert 'class="pmkb-goal--too-few"' in q2
    assert (figure(q2, "repeats"), figure(q2, "possible-repeats")) == ("1", "0")
    assert figure(q2, "cost-direct-usd") == figure(q2, "cost-indirect-usd") == "no data"
    # INC-C's cost block estimates engineering time only: its direct cost is unknown, not $0.
    c_page = build.page("incidents/inc-c/")
    assert (
        figure(c_page, "cost-direct") == "no data" and figure(c_page, "cost-indirect") == "$1,000"
    )
    q3 = row(page, "data-quarter", "2025-Q3")  # a quarter without incidents
    assert (figure(q3, "incidents"), figure(q3, "median-ttd")) == ("0", "—")
    assert figure(q3, "action-rate") == "100% (1/1)"
    q4 = row(page, "data-quarter", "2025-Q4")
    assert 'data-partial="true"' in q4 and "to date" in q4
    total = row(page, "data-quarter", "all")
    # Median of 10, 15, 30, 50 = 22.5 min: shown to the second, as the JSON keeps it.
    assert figure(total, "incidents") == "5" and figure(total, "median-ttd") == "22 min 30 s"
    # The headline counts declared repeats only.
    summary = page[page.index('class="pmkb-stats"') :]
    assert figure(summary, "repeats") == "1"
    # Charts: static SVG with a title, an accessible data table, no script.
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 4
    assert '<title id="chart-incidents-title">Incidents per quarter by severity</title>' in page
    assert '<table class="pmkb-chart-table">' in page
    article = page[page.index("<article") : page.index("</article>")]
    assert "<script" not in article


def test_quarter_page_shows_mean_median_p90_and_goals(build: Build) -> None:
    q1 = build.page("trends/2025-q1/")
    assert [figure(q1, f"ttd-{k}") for k in ("n", "mean", "median", "p90")] == [
        "3 of 3 known",
        "30 min",
        "30 min",
        "50 min",
    ]
    assert [figure(q1, f"ttm-{k}") for k in ("n", "mean", "p90")] == [
        "2 of 3 known",
        "20 min",
        "30 min",
    ]
    assert [figure(q1, f"ttr-{k}") for k in ("n", "median", "p90")] == [
        "2 of 3 known",
        "1 h 15 min",
        "1 h 30 min",
    ]
    assert [figure(q1, f"impact-{k}") for k in ("n", "mean", "median", "p90")] == [
        "3 of 3 known",
        "1 h 13 min 20 s",
        "1 h",
        "2 h",
    ]
    assert figure(q1, "cause-process") == "2" and figure(q1, "cause-technical") == "1"
    assert figure(q1, "actions-rate") == "50%"
    assert "target missed" in q1
    assert 'data-repeat="INC-B"' not in q1 and 'data-possible-repeat="INC-B"' in q1
    assert re.search(r'data-slo="INC-B".*?>7<.*?late', q1, re.DOTALL)
    q2 = build.page("trends/2025-q2/")
    assert figure(q2, "ttd-change") == "\u221250%" and figure(q2, "ttd-previous") == "30 min"
    assert 'data-verdict="too-few"' in q2 and "target met" not in q2.split("Median TTD:")[1][:600]
    assert 'data-repeat="INC-E"' in q2 and 'data-possible-repeat="INC-D"' not in q2
    assert figure(q2, "ttm-n") == "0 of 1 known" and figure(q2, "ttm-mean") == "—"
    q4 = build.page("trends/2025-q4/")
    assert "Quarter 2025-Q4 (to date)" in q4 and 'data-overall="in-progress"' in q4
    assert "target missed" not in q4
    q3 = build.page("trends/2025-q3/")
    assert figure(q3, "incidents") == "0" and "No incidents." in q3


def test_export_json_holds_the_same_numbers(build: Build) -> None:
    quarters = json.loads((build.site / "data/quarters.json").read_text(encoding="utf-8"))
    assert quarters["reference_date"] == "2025-11-23"
    by_label = {q["quarter"]: q for q in quarters["quarters"]}
    assert list(by_label) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    q1 = by_label["2025-Q1"]
    assert q1["ttd_minutes"] == {
        "n": 3,
        "of": 3,
        "unknown": 0,
        "mean": 30.0,
        "median": 30.0,
        "p90": 50.0,
    }
    # INC-B has no mitigation time: unknown, left out and counted as such.
    assert q1["ttm_minutes"] == {
        "n": 2,
        "of": 3,
        "unknown": 1,
        "mean": 20.0,
        "median": 20.0,
        "p90": 30.0,
    }
    # Every Q1 incident knows its fields; INC-B's AI-3 has no owner.
    assert q1["unknown"] == {
        **{key: 0 for key in q1["unknown"]},
        "action_items.owner": 1,
    } and {"severity", "detected", "detection"} <= set(q1["unknown"])
    assert q1["action_items"]["on_time_rate"] == 0.5
    assert q1["postmortem_slo"]["rate"] == 0.5
    assert q1["cost"] == {
        "USD": {
            "direct": 1000.0,
            "direct_incidents": 1,
            "incidents": 2,
            "indirect": 1000.0,
            "estimated_incidents": 1,
            "total": 2000.0,
            "per_incident": 1000.0,
        }
    }
    assert (q1["repeat_ids"], q1["possible_repeat_ids"]) == ([], ["INC-B"])
    assert by_label["2025-Q2"]["ttd_median_change"] == -0.5
    assert by_label["2025-Q2"]["scorecard"]["ttd_improvement"]["verdict"] == "too-few"
    assert by_label["2025-Q2"]["cost"] == {}
    assert [q["partial"] for q in by_label.values()] == [False, False, False, True]
    assert by_label["2025-Q4"]["overall_verdict"] == "in-progress"
    assert by_label["2025-Q3"]["incidents"] == 0 and by_label["2025-Q3"]["ttd_minutes"]["n"] == 0
    assert by_label["2025-Q4"]["action_items"]["not_yet_due"] == 1
    assert quarters["overall"]["ttd_minutes"]["median"] == 22.5

    incidents = json.loads((build.site / "data/incidents.json").read_text(encoding="utf-8"))
    b = next(i for i in incidents["incidents"] if i["id"] == "INC-B")
    assert b["started"] == "2025-04-01T01:30:00+02:00"
    assert b["started_utc"] == "2025-03-31T23:30:00Z"
    assert (b["quarter"], b["ttd_minutes"], b["ttm_minutes"], b["ttr_minutes"]) == (
        "2025-Q1",
        30.0,
        None,
        90.0,
    )
    assert (b["repeat_of"], b["possible_repeat_of"]) == ([], ["INC-A"])
    assert b["postmortem_slo"]["state"] == "late"
    assert b["notifications"] == [
        {
            "regulation": "PCI-DSS",
            "deadline": "2025-04-04T00:00:00Z",
            "notified": None,
            "state": "overdue",
        }
    ]

    actions = json.loads((build.site / "data/action-items.json").read_text(encoding="utf-8"))
    states = {(a["incident_id"], a["id"]): a["state"] for a in actions["action_items"]}
    assert states[("INC-B", "AI-1")] == "overdue" and states[("INC-B", "AI-2")] == "open"
    overdue = next(a for a in actions["action_items"] if a["state"] == "overdue")
    assert overdue["days_overdue"] == 15 + 31 + 30 + 31 + 31 + 30 + 31 + 23  # Apr 15 -> Nov 23

    with (build.site / "data/quarters.csv").open(encoding="utf-8") as handle:
        rows = {r["quarter"]: r for r in csv.DictReader(handle)}
    assert rows["2025-Q1"]["ttd_minutes.median"] == "30.0"
    assert rows["2025-Q3"]["ttd_minutes.median"] == ""


def test_action_item_status_tables_and_owner_pages(build: Build) -> None:
    page = build.page("action-items/")
    assert figure(page, "overdue") == "1" and figure(page, "all") == "6"
    by_owner = page[page.index('id="by-owner"') : page.index('id="by-priority"')]
    team_a, team_b = (row(by_owner, "data-status", team) for team in ("team-a", "team-b"))
    assert 'href="team-a/"' in team_a
    assert figure(team_a, "overdue") == "0" and figure(team_a, "total") == "3"
    assert figure(team_b, "overdue") == "1" and figure(team_b, "total") == "2"
    nobody = row(by_owner, "data-status", "(no owner)")  # AI-3 of INC-B has no owner
    assert figure(nobody, "cancelled") == "1" and 'href="no-owner/"' in nobody
    by_priority = page[page.index('id="by-priority"') :]
    totals = [figure(r, "total") for r in re.findall(r"<tr data-status.*?</tr>", by_priority)]
    assert sum(map(int, totals)) == 6
    overdue_here = page[page.index('id="overdue"') : page.index('id="by-owner"')]
    assert re.findall(r'data-action="([^"]+)"', page) == ["INC-B/AI-1"]  # the overdue one only
    assert "pmkb-action--overdue" in row(overdue_here, "data-action", "INC-B/AI-1")
    assert "pmkb-status-cell--overdue" in team_b and "pmkb-status-cell--overdue" not in team_a

    owner_b = build.page("action-items/team-b/")
    assert figure(owner_b, "all") == "2" and figure(owner_b, "overdue") == "1"
    overdue = row(owner_b, "data-action", "INC-B/AI-1")
    assert "pmkb-action--overdue" in overdue
    assert 'href="../../incidents/inc-b/#action-ai-1"' in overdue
    assert owner_b.index('<h2 id="overdue"') < owner_b.index("INC-B/AI-1")
    # By state (overdue, open, done...), then by due date: B/AI-2 is open, A/AI-1 (Jan) and
    # D/AI-1 (Jul) are done.
    order = re.findall(r'data-action="([^"]+)"', build.page("action-items/team-a/"))
    assert order == ["INC-B/AI-2", "INC-A/AI-1", "INC-D/AI-1"]
    assert "Fix &lt;b&gt;it&lt;/b&gt;" in build.page("action-items/team-a/")


def test_regulation_factor_and_category_indexes(build: Build) -> None:
    hipaa = build.page("regulations/hipaa/")
    assert "60 days after discovery" in hipaa
    deadline = row(hipaa, "data-deadline", "INC-A")
    assert figure(deadline, "deadline") == "2025-03-11 10:10 UTC"
    assert figure(deadline, "notified") == "2025-03-01 00:00 UTC"
    assert figure(deadline, "state") == "met"
    pci = row(build.page("regulations/pci-dss/"), "data-deadline", "INC-B")
    assert figure(pci, "state") == "not recorded, deadline passed"
    index = build.page("regulations/")
    assert figure(row(index, "data-group", "HIPAA"), "met") == "1"
    factors = build.page("factors/")
    assert figure(row(factors, "data-factor", "monitoring"), "total") == "5"
    ranked = re.findall(r'<tr data-factor="([^"]+)"', factors)
    assert ranked[:3] == ["monitoring", "change_management", "testing"]
    assert 'href="change-management/"' in row(factors, "data-factor", "change_management")
    monitoring = build.page("factors/monitoring/")  # its incidents, on a page of its own
    assert figure(monitoring, "total") == "5"
    listed = re.findall(r'href="\.\./\.\./incidents/(inc-[a-z])/"', monitoring)
    assert len(listed) == int(figure(monitoring, "contributed")) >= 2
    # Root-cause categories are Material tags: in the incident header and on the index.
    incident = build.page("incidents/inc-a/")
    assert re.search(r'class="md-tag[^"]*"[^>]*>\s*process', incident)
    categories = build.page("categories/")
    assert figure(row(categories, "data-group", "process"), "incidents") == "2"
    assert "md-tag" in categories and "inc-a/" in categories


def test_nav_lists_the_analytics_pages(build: Build) -> None:
    nav = build.page("")
    for label in ("Trends", "Action items", "Indexes", "Figures and data export"):
        assert f">{label}<" in nav or re.search(rf">\s*{label}\s*<", nav), label


def test_service_page_shows_its_figures_with_n(build: Build) -> None:
    page = build.page("services/checkout-api/")
    # INC-A (TTD 10) and INC-B (TTD 30): median 20 min of 2.
    assert (figure(page, "ttd-n"), figure(page, "ttd-median")) == ("2 of 2 known", "20 min")
    assert figure(page, "group-repeats") == "0"  # INC-B only matches INC-A by pattern
    assert figure(page, "group-possible-repeats") == "1"
    # Open: B/AI-1 (overdue since 2025-04-15) and B/AI-2 (due 2025-12-31); B/AI-3 cancelled.
    assert (figure(page, "group-open-actions"), figure(page, "group-overdue-actions")) == ("2", "1")
    # Judged: A/AI-1 on time, A/AI-2 late, B/AI-1 overdue.
    assert figure(page, "group-action-rate") == "33.3%"
    ledger = build.page("services/ledger/")
    assert figure(ledger, "group-repeats") == "1"  # INC-E: recurrence_of INC-A
    index = row(build.page("services/"), "data-group", "checkout-api")
    assert (figure(index, "median-ttd"), figure(index, "median-ttd-n")) == (
        "20 min",
        "2 of 2 known",
    )
    assert figure(index, "open-actions") == "2 1 overdue"


def test_trends_has_a_sev1_sev2_only_table(build: Build) -> None:
    page = build.page("trends/")
    major = page[page.index('data-table="major"') :]
    q1 = row(major, "data-quarter", "2025-Q1")
    # INC-A (SEV-1) and INC-B (SEV-2): TTD 10 and 30.
    assert figure(q1, "incidents") == "2" and figure(q1, "sev-3") == "0"
    assert (figure(q1, "median-ttd"), figure(q1, "median-ttd-n")) == ("20 min", "2 of 2 known")
    q2 = row(major, "data-quarter", "2025-Q2")
    assert figure(q2, "incidents") == "0"
    # B/AI-1 (a SEV-2's item) is due in Q2 and overdue.
    assert figure(q2, "action-rate") == "0% (0/1)"


def test_near_miss_card_shows_an_exposure_window_not_an_outage(build: Build) -> None:
    page = build.page("incidents/inc-d/")
    card = page.split('class="pmkb-card', 1)[1].split("</dl>")[0]
    # Started 08:00, no mitigation, resolved 10:00: exposed for 2 h, no customer impact.
    assert figure(card, "exposure") == "2 h no customer impact"
    assert "TTR</abbr>" not in card and "Duration" not in card
    # Its incident-table row says exposure, and leaves TTR out (no outage to resolve).
    q2 = build.page("trends/2025-q2/")
    d = row(q2, "data-incident", "INC-D")
    assert "<td>exposure 2 h</td><td>—</td>" in d
