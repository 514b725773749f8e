"""The protocol scorecard and the edge cases of docs/guide/data.md, on a real build of
scorecard_fixture: the pages, quarters.json and quarters.csv show the figures computed by hand."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from analytics_fixture import post_mortem
from conftest import ROOT, Build, build_site, copy_examples
from postmortem_kb.cli.scaffold import Answers, render
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.schema import Review
from scorecard_fixture import INCIDENTS, write_corpus
from test_analytics_site import figure, row


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    project = tmp_path_factory.mktemp("scorecard")
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    write_corpus(project / "postmortems")
    result = build_site(project)
    assert result.returncode == 0, result.log
    return result


@pytest.fixture(scope="module")
def quarters(build: Build) -> dict[str, dict[str, object]]:
    data = json.loads((build.site / "data/quarters.json").read_text(encoding="utf-8"))
    return {q["quarter"]: q for q in data["quarters"]}


def scores(page: str) -> dict[str, str]:
    keys = [
        "postmortem_completion",
        "action_items",
        "recurrence_reduction",
        "participation",
        "ttd_improvement",
        "boolean_checks",
        "assessment_quality",
        "assessment_blameless_culture",
        "assessment_learning",
    ]
    return {key: figure(page, f"score-{key}") for key in keys}


def test_a_quarter_that_passes_every_criterion(build: Build, quarters: dict) -> None:
    page = build.page("trends/2025-q2/")
    assert scores(page) == {
        "postmortem_completion": "100%",  # S1, published before its resolution: 0 days
        "action_items": "100%",  # S1-S3 done on time
        "recurrence_reduction": "100%",  # 0/3 with completed items recurred, 1/3 without
        "participation": "80%",  # 24 of 30 responders: the boundary passes
        "ttd_improvement": "\u221241.7%",  # (17.5 - 30) / 30
        "boolean_checks": "100%",
        "assessment_quality": "4.00 / 5",
        "assessment_blameless_culture": "5.00 / 5",
        "assessment_learning": "4.00 / 5",
    }
    assert 'data-overall="met"' in page and "target missed" not in page
    # The even count's median, shown to the second, and both n.
    assert figure(page, "ttd-this") == "17 min 30 s" and figure(page, "ttd-previous") == "30 min"
    assert "(6 of 6 known)" in page and "(n = 3)" in page
    assert [figure(page, f"impact-{k}") for k in ("n", "mean", "median")] == [
        "6 of 6 known",
        "57 min 30 s",
        "55 min",
    ]
    assert [figure(page, f"rec-{k}") for k in ("completed", "not-completed-recurred")] == ["3", "1"]
    assert figure(page, "participation") == "80%"
    assert figure(page, "cost-direct-usd") == "$3,200"
    assert figure(page, "cost-indirect-usd") == "$1,500"
    s2 = quarters["2025-Q2"]
    assert s2["overall_verdict"] == "met"
    assert s2["ttd_minutes"]["median"] == 17.5
    assert s2["ttd_median_change"] == pytest.approx(-0.4166667)
    assert s2["scorecard"]["participation"] == {
        "value": 0.8,
        "target": 0.8,
        "n": 6,
        "verdict": "met",
    }
    assert s2["recurrence"] == {
        "completed": 3,
        "completed_recurred": 0,
        "not_completed": 3,
        "not_completed_recurred": 1,
        "reduction": 1.0,
    }
    assert s2["boolean_checks"] == {"passed": 30, "counted": 30, "rate": 1.0}
    assert s2["assessments"]["blameless_culture"] == {"n": 6, "mean": 5.0}
    assert s2["cost"]["USD"]["direct"] == 3200.0 and s2["cost"]["USD"]["indirect"] == 1500.0


def test_a_small_quarter_that_fails(build: Build, quarters: dict) -> None:
    page = build.page("trends/2025-q3/")
    assert scores(page) == {
        "postmortem_completion": "0%",  # F1 published 7 business days after resolution
        "action_items": "0%",  # F1's item done late
        "recurrence_reduction": "—",  # 1 incident with an outcome: too few
        "participation": "40%",  # 2 of 5
        "ttd_improvement": "\u221271.4%",  # (5 - 17.5) / 17.5, shown but not judged: n = 2
        "boolean_checks": "40%",  # F1 4 of 5 (blameless not recorded), F2 0 of 5
        "assessment_quality": "3.00 / 5",
        "assessment_blameless_culture": "4.00 / 5",
        "assessment_learning": "3.00 / 5",
    }
    assert 'data-overall="missed"' in page
    verdicts = quarters["2025-Q3"]["scorecard"]
    assert verdicts["ttd_improvement"]["verdict"] == "too-few"
    assert verdicts["recurrence_reduction"]["verdict"] == "too-few"
    assert verdicts["assessment_blameless_culture"]["verdict"] == "met"
    assert quarters["2025-Q3"]["overall_verdict"] == "missed"
    assert quarters["2025-Q3"]["cost"] == {}
    # F1 is a declared repeat of S4; the checks table shows what was not recorded.
    assert 'data-repeat="F1"' in page
    f1 = row(page, "data-checks", "F1")
    assert 'data-check="blameless">not recorded<' in f1 and 'data-check="published">pass<' in f1
    trends = build.page("trends/")
    q3 = row(trends, "data-quarter", "2025-Q3")
    assert figure(q3, "ttd-change") == "not judged n = 6 → 2"
    assert figure(q3, "cost-direct-usd") == "no data"
    assert figure(row(trends, "data-scorecard", "2025-Q3"), "overall") == "not met"
    assert figure(row(trends, "data-scorecard", "2025-Q2"), "overall") == "success"


def test_previous_median_zero_and_partial_quarter(build: Build, quarters: dict) -> None:
    q1 = build.page("trends/2025-q1/")
    assert figure(q1, "ttd-previous") == "0 min"
    assert "the previous median is 0" in q1
    assert quarters["2025-Q1"]["ttd_median_change"] is None
    assert quarters["2025-Q1"]["scorecard"]["ttd_improvement"]["verdict"] == "no-data"
    q4 = build.page("trends/2025-q4/")
    assert "Quarter 2025-Q4 (to date)" in q4 and 'data-overall="in-progress"' in q4
    assert quarters["2025-Q4"]["partial"] is True
    with (build.site / "data/quarters.csv").open(encoding="utf-8") as handle:
        rows = {r["quarter"]: r for r in csv.DictReader(handle)}
    assert rows["2025-Q2"]["overall_verdict"] == "met"
    assert rows["2025-Q2"]["scorecard.participation.value"] == "0.8"
    assert rows["2025-Q3"]["scorecard.postmortem_completion.verdict"] == "missed"
    assert rows["2025-Q4"]["partial"] == "true"
    assert rows["2025-Q1"]["cost.USD.direct"] == ""  # no cost data: empty, never 0
    assert rows["2025-Q2"]["cost.USD.indirect"] == "1500.0"


def test_incident_pages_show_downtime_and_the_checklist(build: Build) -> None:
    s1 = build.page("incidents/s1/")
    # Mitigated 35 min after the start, resolved the next day: downtime is the impact.
    assert figure(s1, "downtime") == "35 min" and figure(s1, "impact-duration") == "35 min"
    assert figure(s1, "duration") == "1 d"
    assert figure(s1, "cost-indirect") == "$1,500"
    checklist = s1[s1.index('class="pmkb-checklist"') :]
    assert checklist.count(">pass<") == 5
    assert "4 of 5" in s1 and "VP Engineering" in s1
    s2 = build.page("incidents/s2/")
    assert figure(s2, "downtime") == "1 h 10 min"  # no mitigation: started -> resolved
    assert figure(s2, "cost-indirect") == "no data"  # revenue lost only: no estimate
    f2 = build.page("incidents/f2/")
    assert 'data-check="published"><strong>fail<' in f2
    assert 'data-check="lessons_shared"><strong>not recorded<' in f2
    incidents = json.loads((build.site / "data/incidents.json").read_text(encoding="utf-8"))
    by_id = {i["id"]: i for i in incidents["incidents"]}
    assert (by_id["S1"]["downtime_minutes"], by_id["S2"]["downtime_minutes"]) == (35.0, 70.0)
    assert by_id["S4"]["recurred"] is True and by_id["S4"]["action_items_completed"] is False
    assert by_id["F1"]["checks"]["blameless"] == "not-recorded"
    assert by_id["F1"]["responders"] == 5 and by_id["F1"]["responders_attended"] == 2


def test_example_site_headline_counts_declared_recurrences_only(project: Path) -> None:
    copies = copy_examples(project)
    declared = [p.name for p in copies if "\nrecurrence_of:" in p.read_text(encoding="utf-8")]
    result = build_site(project)
    assert result.returncode == 0, result.log
    page = result.page("trends/")
    summary = page[page.index('class="pmkb-stats"') :]
    assert figure(summary, "repeats") == str(len(declared)) == "1"
    # Possible repeats are listed apart (pattern matches), never in the headline.
    total = row(page, "data-quarter", "all")
    assert figure(total, "repeats") == "1" and figure(total, "possible-repeats") != "—"
    # Every example gives the review block at the end of its front matter.
    for copy in copies:
        front = copy.read_text(encoding="utf-8").split("\n---\n", 1)[0]
        assert "\nreview:\n" in front, copy.name


def test_scaffold_review_block_uncommented_is_a_valid_review() -> None:
    text = render(Answers(), "INC-2025-001", dt.date(2025, 1, 1), None)
    lines = text.split("# review:", 1)[1].split("\n---\n", 1)[0].splitlines()
    block = "review:" + lines[0] + "\n" + "\n".join(line[2:] for line in lines[1:])
    data = yaml.safe_load(block.replace("YYYY-MM-DD", "2025-01-09"))
    review = Review.model_validate(data["review"])
    assert (review.responder_count, review.attended_count, review.blameless) == (2, 1, True)
    assert [a.score for a in review.assessments.scores().values() if a] == [4, 4, 4]


@pytest.mark.parametrize(
    ("review", "field", "message"),
    [
        ({"responders": ["Ana", "Ana"]}, "review.responders", "'Ana' is listed twice"),
        ({"responders": "lots"}, "review.responders", "give a list of names or a count"),
        (
            {"responders": ["Ana"], "attended": ["Ana", "Bo"]},
            "review.attended",
            "'Bo' not among responders",
        ),
        ({"responders": 3, "attended": 4}, "review.attended", "more attended (4) than responded"),
        (
            {"assessments": {"quality": {"score": 6, "by": "VP"}}},
            "review.assessments.quality.score",
            "",
        ),
    ],
)
def test_review_errors_name_the_line_and_field(
    tmp_path: Path, review: dict[str, object], field: str, message: str
) -> None:
    fields = dict(INCIDENTS["S2"], review=review)
    (tmp_path / "S2.md").write_text(post_mortem(**fields), encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [(p.field, message in p.message) for p in corpus.errors] == [(field, True)]
    text = (tmp_path / "S2.md").read_text(encoding="utf-8").splitlines()
    # The line is the field's own line (the YAML dump writes each key on its line).
    assert text[corpus.errors[0].line - 1].lstrip().startswith(field.rsplit(".", 1)[-1])


def test_export_schema_version_marks_the_changed_repeat_fields(build: Build) -> None:
    data = json.loads((build.site / "data/incidents.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 2
    f1 = next(i for i in data["incidents"] if i["id"] == "F1")
    # F1 declares S4 and also matches the three most recent of S1-S6 by pattern (orders,
    # process); being a declared repeat, it is not a possible repeat of its quarter.
    assert (f1["repeat_of"], f1["possible_repeat_of"]) == (["S4"], ["S3", "S5", "S6"])
    assert "repeat_explicit" not in f1
    quarters = json.loads((build.site / "data/quarters.json").read_text(encoding="utf-8"))
    q3 = next(q for q in quarters["quarters"] if q["quarter"] == "2025-Q3")
    assert (q3["repeat_ids"], q3["possible_repeat_ids"]) == (["F1"], [])
