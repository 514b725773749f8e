"""Follow-up of action items in real builds and CLI runs: policy due dates, at-risk items, the
reminder digest and escalation, and the review-and-approval rule."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, REFERENCE_EPOCH, build_site, copy_examples
from postmortem_kb.core.followup import FollowUp, Horizon
from postmortem_kb.core.options import validate_options
from postmortem_kb.core.schema import Severity

REFERENCE = dt.datetime.fromtimestamp(int(REFERENCE_EPOCH), dt.UTC).date()  # Sun 2025-11-23
ITEMS = """\
action_items:
  - {id: AI-1, action: Policy date passed., owner: team-payments, priority: P0}
  - {id: AI-2, action: Due in two days., owner: team-platform, due: 2025-11-25, priority: P1}
  - {id: AI-3, action: Policy date ahead., owner: team-platform, priority: P2}
  - {id: AI-4, action: Overdue 22 days., owner: team-platform, due: 2025-11-01, priority: P1}
  - {id: AI-5, action: Overdue 53 days., owner: priya, due: 2025-10-01, priority: P2}
  - id: AI-6
    action: Done on time.
    owner: priya
    due: 2025-11-10
    priority: P2
    status: done
    completed: 2025-11-09
recurrence_prevention:
"""
TEAMS = "        teams: {team-payments: [priya, omar]}\n"


def follow_up_text() -> str:
    """The example post-mortem, written Thursday 2025-11-20, with the items above."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("written: 2025-03-05", "written: 2025-11-20")
    text = text.replace("published: 2025-03-07", "published: 2025-11-21")
    start, end = text.index("action_items:\n"), text.index("recurrence_prevention:\n")
    return text[:start] + ITEMS + text[end + len("recurrence_prevention:\n") :]


def configure(project: Path, lines: str) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    anchor = "        escalate_after_days: 14\n"
    assert anchor in text, "mkdocs.yml no longer sets follow_up.escalate_after_days"
    config.write_text(text.replace(anchor, anchor + lines), encoding="utf-8")


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "postmortem_kb.cli.main", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={"SOURCE_DATE_EPOCH": REFERENCE_EPOCH, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def row(page: str, item: str) -> str:
    match = re.search(rf'<tr[^>]*id="action-{item}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert match, item
    return match.group(0)


def test_policy_dates_and_at_risk_items_on_the_pages(project: Path) -> None:
    (project / "postmortems" / "inc.md").write_text(follow_up_text(), encoding="utf-8")
    build = build_site(project)
    assert build.returncode == 0, build.log
    page = build.page("incidents/inc-2025-007/")
    # P0 without due: the next business day after Thursday 2025-11-20, overdue on Sunday.
    assert "2025-11-21" in row(page, "ai-1") and "P0 policy" in row(page, "ai-1")
    assert "pmkb-action--overdue" in row(page, "ai-1")
    assert "pmkb-action--at-risk" in row(page, "ai-2") and "policy" not in row(page, "ai-2")
    assert "2025-12-20" in row(page, "ai-3") and "pmkb-action--open" in row(page, "ai-3")

    overview = build.page("action-items/")
    at_risk = overview[overview.index('id="at-risk"') : overview.index('id="by-owner"')]
    assert re.findall(r'data-action="([^"]+)"', at_risk) == ["INC-2025-007/AI-2"]
    assert re.search(r'data-figure="at-risk">1<', overview)
    assert re.search(r'data-figure="overdue">3<', overview)

    records = json.loads((build.site / "data" / "action-items.json").read_text())["action_items"]
    by_id = {r["id"]: r for r in records}
    assert (by_id["AI-1"]["due"], by_id["AI-1"]["due_by_policy"]) == ("2025-11-21", True)
    assert by_id["AI-1"]["days_overdue"] == 2
    assert by_id["AI-2"]["state"] == "at-risk" and by_id["AI-2"]["due_by_policy"] is False


def test_remind_digest_by_owner_and_escalation_by_team(project: Path) -> None:
    (project / "postmortems" / "inc.md").write_text(follow_up_text(), encoding="utf-8")
    configure(project, TEAMS)
    result = cli(project, "remind", "--format", "json")
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)
    assert digest["reference_date"] == str(REFERENCE) and digest["items_counted"] == 6

    def items(groups: list[dict[str, object]], key: str) -> dict[str, list[tuple[object, ...]]]:
        return {
            str(g[key]): [
                (i["item_id"], i["state"], i["days_overdue"], i["days_left"])
                for i in g["items"]  # type: ignore[attr-defined]
            ]
            for g in groups
        }

    assert items(digest["owners"], "owner") == {
        "priya": [("AI-5", "overdue", 53, None)],
        "team-payments": [("AI-1", "overdue", 2, None)],
        "team-platform": [("AI-4", "overdue", 22, None), ("AI-2", "at-risk", None, 2)],
    }
    # Beyond 14 days overdue, by team: priya belongs to team-payments.
    assert items(digest["escalation"], "team") == {
        "team-payments": [("AI-5", "overdue", 53, None)],
        "team-platform": [("AI-4", "overdue", 22, None)],
    }

    markdown = cli(project, "remind").stdout
    assert "3 overdue and 1 at-risk action items (of 6), for 3 owners" in markdown
    assert "| P0 | 2 days overdue (due 2025-11-21 by policy) |" in markdown
    assert "## Escalation: overdue more than 14 days" in markdown
    escalation = markdown[markdown.index("## Escalation") :]
    assert escalation.index("### team-payments") < escalation.index("AI-5")

    message = json.loads(cli(project, "remind", "--format", "slack").stdout)
    assert message["text"].startswith("Action-item reminders, 2025-11-23: 3 overdue")
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert any(t.startswith("*team-platform*\n:red_circle: INC-2025-007 AI-4 (P1)") for t in texts)
    assert len(message["blocks"]) <= 50 and all(len(t) <= 3000 for t in texts)

    only = json.loads(cli(project, "remind", "--format", "json", "--owner", "Priya").stdout)
    assert [g["owner"] for g in only["owners"]] == ["priya"]
    assert only["owners"][0]["items"][0]["url"] is None  # mkdocs.yml has no site_url

    linked = cli(project, "remind", "--format", "slack", "--site-url", "https://pm.acme.example/")
    row = "https://pm.acme.example/incidents/inc-2025-007/#action-ai-4"
    blocks = json.loads(linked.stdout)["blocks"]
    slack_text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert f"<{row}|INC-2025-007 AI-4> (P1)" in slack_text
    linked = cli(project, "remind", "--site-url", "https://pm.acme.example")
    assert f"| [INC-2025-007]({row}) | AI-4 |" in linked.stdout


def test_remind_on_the_example_corpus_in_every_format(project: Path) -> None:
    copy_examples(project)
    # Independently of the code: not done, not cancelled, a due date before the reference date.
    expected = set()
    for path in (project / "postmortems").glob("*.md"):
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        for item in front.get("action_items", []):
            due = item.get("due")
            if item.get("status") not in ("done", "cancelled") and due and due < REFERENCE:
                expected.add((front["id"], item["id"]))
    assert expected, "the example corpus has no overdue item on the reference date"
    outputs = {}
    for form in ("markdown", "slack", "json"):
        result = cli(project, "remind", "--format", form)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        outputs[form] = result.stdout
    digest = json.loads(outputs["json"])
    overdue = {
        (i["incident_id"], i["item_id"])
        for g in digest["owners"]
        for i in g["items"]
        if i["state"] == "overdue"
    }
    assert overdue == expected
    assert all(f"| {incident} |" in outputs["markdown"] for incident, _ in expected)
    assert json.loads(outputs["slack"])["blocks"][0]["type"] == "header"


def approval_project(project: Path, rule: str, approvals: str = "") -> Path:
    configure(project, f"        approval: [{rule}]\n")
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("status: published\n", f"status: published\n{approvals}")
    path = project / "postmortems" / "inc.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_published_sev1_without_approval_fails_validate_and_strict_builds(project: Path) -> None:
    path = approval_project(project, "SEV-1", "reviewers: [team-payments]\n")
    result = cli(project, "validate", "--format", "json")
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    status_line = path.read_text(encoding="utf-8").split("\n").index("status: published") + 1
    assert (problem["line"], problem["field"], problem["rule"]) == (
        status_line,
        "approved_by",
        "approval",
    )
    assert "SEV-1 post-mortem needs an approval" in problem["message"]
    assert build_site(project).returncode == 1
    lenient = build_site(project, strict=False)
    assert lenient.returncode == 0
    card = lenient.page("incidents/inc-2025-007/")
    review = re.search(r"<div[^>]*data-review[^>]*>(.*?)</div>", card, re.DOTALL)
    assert review and "reviewed by team-payments" in review.group(1)
    assert "not approved" in review.group(1)


def test_an_approval_before_publishing_passes_and_is_shown(project: Path) -> None:
    approvals = (
        "reviewers: [team-payments, sre-oncall]\n"
        "approved_by:\n  - {by: VP Engineering, date: 2025-03-06}\n"
    )
    approval_project(project, "SEV-1", approvals)
    assert cli(project, "validate").returncode == 0
    build = build_site(project)
    assert build.returncode == 0, build.log
    review = re.search(
        r"<div[^>]*data-review[^>]*>(.*?)</div>", build.page("incidents/inc-2025-007/"), re.DOTALL
    )
    assert review
    assert "reviewed by team-payments, sre-oncall" in review.group(1)
    assert "VP Engineering (2025-03-06)" in review.group(1)


def test_an_approval_dated_after_publishing_or_before_writing_is_an_error(project: Path) -> None:
    late = "approved_by:\n  - {by: VP Engineering, date: 2025-03-09}\n"
    approval_project(project, "SEV-2, SEV-1", late)
    result = cli(project, "validate")
    assert result.returncode == 1 and "every approval is dated after 'published'" in result.stdout
    early = "approved_by:\n  - {by: VP Engineering, date: 2025-03-01}\n"
    approval_project(project, "SEV-3", early)  # the rule does not apply; the date is still wrong
    result = cli(project, "validate")
    assert "approved_by[0].date: approved before it was written" in result.stdout


def test_no_rule_no_approval_needed(project: Path) -> None:
    (project / "postmortems" / "inc.md").write_text(EXAMPLE.read_text(), encoding="utf-8")
    assert cli(project, "validate").returncode == 0


def test_follow_up_options_become_the_runtime_settings() -> None:
    # Bad values: tests/test_options.py (one line each, from the build and from the CLI).
    options = validate_options(
        {
            "follow_up": {
                "due": {"p1": "2 weeks", "P2": 45},
                "at_risk_days": 5,
                "teams": {"team-payments": ["priya", "omar"], "sre": "ana"},
                "approval": "SEV-1",
            }
        },
        "mkdocs.yml",
    )
    follow_up = options.settings().follow_up
    assert [(p.value, str(h)) for p, h in follow_up.horizons] == [
        ("P0", "1 business day"),  # the default kept
        ("P1", "2 weeks"),
        ("P2", "45 days"),
    ]
    assert (follow_up.at_risk_days, follow_up.escalate_after_days) == (5, 14)
    assert follow_up.team_of("@Priya") == "team-payments" and follow_up.members("sre") == ("ana",)
    assert follow_up.approval == {Severity.SEV1}
    assert validate_options(None, "mkdocs.yml").settings().follow_up == FollowUp()


def test_remind_links_follow_the_sites_urls(project: Path) -> None:
    (project / "postmortems" / "inc.md").write_text(follow_up_text(), encoding="utf-8")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "plugins:\n",
            "site_url: https://kb.acme.example/pm/\nuse_directory_urls: false\nplugins:\n",
            1,
        ),
        encoding="utf-8",
    )
    digest = json.loads(cli(project, "remind", "--format", "json").stdout)
    urls = {i["item_id"]: i["url"] for g in digest["owners"] for i in g["items"]}
    assert urls["AI-4"] == "https://kb.acme.example/pm/incidents/inc-2025-007.html#action-ai-4"
    build = build_site(project)
    assert build.returncode == 0, build.log
    assert 'id="action-ai-4"' in build.page("incidents/inc-2025-007.html")


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("1 business day", dt.date(2025, 11, 21), dt.date(2025, 11, 24)),  # Friday -> Monday
        ("1 week", dt.date(2025, 11, 20), dt.date(2025, 11, 27)),
        ("1 month", dt.date(2025, 1, 31), dt.date(2025, 2, 28)),
        ("2 months", dt.date(2025, 12, 15), dt.date(2026, 2, 15)),
        (10, dt.date(2025, 11, 20), dt.date(2025, 11, 30)),
    ],
)
def test_horizons(text: str | int, start: dt.date, expected: dt.date) -> None:
    assert Horizon.parse(text).after(start) == expected
