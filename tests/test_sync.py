"""`postmortem sync` against local GitHub and Jira stand-ins: every drift case, every failure,
the `--write` diff (a golden file), and a second run with nothing left to report."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from postmortem_kb.core.schema import ActionStatus
from postmortem_kb.trackers.edit import Edit, EditError, edit_text, write_atomically
from postmortem_kb.trackers.links import parse, sites_from
from tracker_server import (
    JIRA_PAGE_CAP,
    Trackers,
    environment,
    github_issue,
    jira_fields,
    serve,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sync"
GOLDEN = Path(__file__).parent / "golden" / "sync-write.diff"
MKDOCS = """\
site_name: Sync test
plugins:
  - postmortem-kb:
      follow_up:
        teams:
          team-payments: [priya, omar]
"""


def project(tmp_path: Path, fixture: str) -> Path:
    root = tmp_path / "site"
    (root / "postmortems").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    for source in (FIXTURES / fixture).glob("*.md"):
        shutil.copy(source, root / "postmortems" / source.name)
    return root


def sync(root: Path, base: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment_ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment(base), **env}
    return subprocess.run(
        [sys.executable, "-m", "postmortem_kb.cli.main", "sync", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=environment_,
        timeout=60,
    )


def write_case_trackers() -> Trackers:
    """The tracker state behind tests/fixtures/sync/write."""
    return Trackers(
        github={
            "acme/shop/1": github_issue(
                1, "closed", closed_at="2025-03-18T23:30:00Z", state_reason="completed"
            ),
            "acme/shop/2": github_issue(
                2, "closed", closed_at="2025-03-12T10:00:00Z", state_reason="not_planned"
            ),
            "acme/shop/3": github_issue(3, "open", state_reason="reopened"),
            "acme/shop/4": github_issue(
                4,
                "closed",
                closed_at="2025-03-27T08:00:00Z",
                merged_at="2025-03-27T08:00:00Z",
                pull=True,
            ),
        },
        jira={
            "PAY-1": jira_fields("indeterminate"),
            "PAY-2": jira_fields(
                "done", resolution="Done", resolved="2025-03-06T17:45:00.000+0000"
            ),
        },
    )


def cases_trackers() -> Trackers:
    """The tracker state behind tests/fixtures/sync/cases."""
    return Trackers(
        github={
            "acme/shop/11": github_issue(
                11, "closed", closed_at="2025-03-15T12:00:00Z", state_reason="completed"
            ),
            "acme/shop/12": github_issue(12, "open"),
            "acme/shop/13": github_issue(13, "open", due_on="2025-03-31T07:00:00Z"),
            "acme/shop/14": github_issue(14, "open", assignees=("mallory",)),
            "acme/shop/15": github_issue(15, "open", assignees=("Priya",)),
        },
        jira={
            "PAY-11": jira_fields(
                "done", resolution="Won't Do", resolved="2025-03-09T10:00:00.000+0000"
            ),
            "PAY-12": jira_fields("new", due="2025-03-25", assignee="priya"),
            "PAY-13": jira_fields(
                "done",
                resolution="Done",
                resolved="2025-03-07T09:00:00.000+0000",
                assignee="priya",
            ),
            "PAY-14": jira_fields("indeterminate", assignee="priya", due="2025-03-20"),
        },
    )


def test_every_drift_case_and_failure_is_reported(tmp_path: Path) -> None:
    root = project(tmp_path, "cases")
    trackers = cases_trackers()
    with serve(trackers) as base:
        result = sync(root, base, "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    by_item = {item["item_id"]: item for item in document["items"]}
    drift = {
        i: {d["field"]: (d["file"], d["tracker"]) for d in item["drift"]}
        for i, item in by_item.items()
    }
    errors = {i: item["error"]["reason"] for i, item in by_item.items() if item["error"]}

    assert drift["AI-1"] == {"status": ("open", "done (closed 2025-03-15)")}
    assert by_item["AI-1"]["edit"] == {"status": "done", "completed": "2025-03-15"}
    assert drift["AI-2"] == {"status": ("done", "open")}
    assert by_item["AI-2"]["edit"] == {"status": "open", "completed": None}
    assert drift["AI-3"] == {"due": ("2025-03-20", "2025-03-31")}
    assert drift["AI-4"] == {"assignee": ("team-payments", "mallory")}
    assert drift["AI-5"] == {}  # GitHub has no in-progress; Priya is in team-payments
    assert errors["AI-6"] == "not-found"
    assert errors["AI-7"] == "unknown-link"
    assert drift["AI-8"] == {"status": ("open", "cancelled (closed 2025-03-09)")}
    assert drift["AI-9"] == {"status": ("in-progress", "open"), "due": ("2025-03-20", "2025-03-25")}
    assert drift["AI-10"] == {} and drift["AI-12"] == {}
    assert errors["AI-11"] == "not-found"
    assert document["summary"] == {
        "items": 12,
        "requests": document["summary"]["requests"],
        "in_sync": 3,
        "drift": 6,
        "written": 0,
        "errors": 3,
    }
    # Text output names file and line of each item's tracker link.
    with serve(cases_trackers()) as base:
        text = sync(root, base).stdout
    source = (root / "postmortems" / "INC-2025-102-sync-cases.md").read_text(encoding="utf-8")
    line = next(n for n, t in enumerate(source.split("\n"), 1) if "issues/404" in t)
    assert (
        f"INC-2025-102-sync-cases.md:{line}: INC-2025-102 AI-6 (acme/shop#404): error: 404" in text
    )

    # Jira was asked in pages (the server returns at most 2 issues per page), with validateQuery
    # relaxed, then once for the key the search did not return; the token went only to the APIs.
    searches = [path for path, _ in trackers.requests if "/rest/api/2/search" in path]
    assert len(searches) == -(-4 // JIRA_PAGE_CAP)
    assert all("validateQuery=warn" in path for path in searches)
    assert any(path.startswith("/jira/rest/api/2/issue/PAY-404") for path, _ in trackers.requests)
    assert all(auth for _, auth in trackers.requests)


def test_write_changes_only_status_lines_and_a_second_run_reports_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    target = root / "postmortems" / "INC-2025-101-sync-write.md"
    before = target.read_text(encoding="utf-8")
    with serve(write_case_trackers()) as base:
        first = sync(root, base, "--write")
        after = target.read_text(encoding="utf-8")
        second = sync(root, base)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count(": fixed: status:") == 5
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), "a", "b", n=1
        )
    )
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(diff, encoding="utf-8")
    assert diff == GOLDEN.read_text(encoding="utf-8")
    assert second.returncode == 0 and second.stdout == "", second.stdout
    assert "6 action items with a tracker link: 6 in sync" in second.stderr
    validate = subprocess.run(
        [sys.executable, "-m", "postmortem_kb.cli.main", "validate", str(target)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "0 errors" in validate.stderr
    assert not list(target.parent.glob(".*.tmp"))


def test_a_wrong_token_is_reported_per_item_naming_the_variable(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    before = (root / "postmortems" / "INC-2025-101-sync-write.md").read_bytes()
    with serve(write_case_trackers()) as base:
        result = sync(root, base, "--write", GITHUB_TOKEN="wrong")
    assert result.returncode == 1
    assert result.stdout.count("error: 401 unauthorized: GITHUB_TOKEN is missing or invalid") == 4
    assert (
        ": fixed: status: file 'open', tracker 'in-progress'" in result.stdout
    )  # Jira still works
    assert (root / "postmortems" / "INC-2025-101-sync-write.md").read_bytes() != before


def test_rate_limits_stop_asking_and_are_reported_per_item(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    trackers = write_case_trackers()
    trackers.github_rate_limited = True
    trackers.jira_rate_limited = True
    with serve(trackers) as base:
        result = sync(root, base, "--format", "json")
    items = json.loads(result.stdout)["items"]
    assert [i["error"]["reason"] for i in items] == ["rate-limited"] * 6
    github = [i["error"]["message"] for i in items if "github" in i["tracker"]]
    assert all("resets at" in message for message in github)
    assert any("retry after 30 s" in i["error"]["message"] for i in items if "jira" in i["tracker"])
    assert len(trackers.requests) == 2  # one per API: after a rate limit it is not asked again


def test_a_slow_answer_times_out_for_its_item_only(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    trackers = write_case_trackers()
    trackers.slow["/issues/2"] = 2.0
    with serve(trackers) as base:
        result = sync(root, base, "--timeout", "0.5", "--format", "json")
    items = {i["item_id"]: i for i in json.loads(result.stdout)["items"]}
    assert items["AI-2"]["error"]["reason"] == "timeout"
    assert items["AI-2"]["error"]["message"] == "no answer within 0.5 s"
    assert {k for k, v in items.items() if v["error"]} == {"AI-2"}
    assert items["AI-3"]["edit"] == {"status": "open", "completed": None}


def test_an_unreachable_tracker_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    target = root / "postmortems" / "INC-2025-101-sync-write.md"
    before = target.read_bytes()
    with serve(Trackers()) as base:
        pass  # the server is gone: its port refuses connections
    result = sync(root, base, "--write")
    assert result.returncode == 1
    assert result.stdout.count("unreachable") == 6
    assert target.read_bytes() == before


def test_a_redirect_to_another_host_does_not_carry_the_token(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    trackers = write_case_trackers()
    trackers.moved["acme/shop/1"] = "http://localhost:{port}/github/repos/acme/shop/issues/1"
    trackers.moved["acme/shop/2"] = "http://127.0.0.1:{port}/github/repos/acme/shop/issues/4"
    with serve(trackers) as base:
        result = sync(root, base, "--format", "json")
    items = {i["item_id"]: i for i in json.loads(result.stdout)["items"]}
    followed = {path: auth for path, auth in trackers.requests}
    assert items["AI-1"]["error"]["reason"] == "unauthorized"  # localhost is another host
    assert items["AI-2"]["edit"] == {"status": "done", "completed": "2025-03-27"}  # same host
    assert followed["/github/repos/acme/shop/issues/1"] is None
    assert [a for p, a in trackers.requests if p.endswith("/issues/4")] == [
        "Bearer gh-test-token"
    ] * 2


@pytest.mark.parametrize("token", ["", "gh-test-token"])
def test_links_elsewhere_never_get_a_token(tmp_path: Path, token: str) -> None:
    root = project(tmp_path, "cases")
    trackers = cases_trackers()
    with serve(trackers) as base:
        sync(root, base, GITHUB_TOKEN=token)
    assert all(path.startswith(("/github/", "/jira/")) for path, _ in trackers.requests)


# --- the line editor on its own -----------------------------------------------------------------

SMALL = """\
---
id: INC-1
action_items:
  - id: AI-1
    priority: P1
    status: open  # keep me
  - {id: AI-2, priority: P1, status: open}
  - id: AI-3
    priority: P2
    status: done
    completed: 2025-01-02
---
Body stays.
"""
DONE = Edit(ActionStatus.DONE, dt.date(2025, 3, 1))


def test_edits_keep_crlf_line_endings_and_a_byte_order_mark() -> None:
    raw = ("\ufeff" + SMALL.replace("\n", "\r\n")).encode()
    text, skipped = edit_text(raw, "x.md", {0: DONE})
    assert skipped == {}
    assert text.startswith("\ufeff---\r\n")
    assert "    status: done  # keep me\r\n    completed: 2025-03-01\r\n" in text
    assert "\n" not in text.replace("\r\n", "")


def test_an_item_that_is_not_one_key_per_line_is_left_alone_with_a_reason() -> None:
    text, skipped = edit_text(SMALL.encode(), "x.md", {0: DONE, 1: DONE})
    assert set(skipped) == {1} and "line 7" in skipped[1] and "edit it by hand" in skipped[1]
    assert "  - {id: AI-2, priority: P1, status: open}\n" in text
    assert "    status: done  # keep me\n    completed: 2025-03-01\n" in text


def test_reopening_removes_completed_and_nothing_else() -> None:
    text, _ = edit_text(SMALL.encode(), "x.md", {2: Edit(ActionStatus.OPEN, None)})
    removed = [line for line in SMALL.split("\n") if line not in text.split("\n")]
    assert removed == ["    status: done", "    completed: 2025-01-02"]
    assert "    status: open\n---\nBody stays.\n" in text


def test_a_file_changed_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text(SMALL, encoding="utf-8")
    text, _ = edit_text(SMALL.encode(), "x.md", {0: DONE})
    path.write_text(SMALL + "\nedited by a person\n", encoding="utf-8")
    with pytest.raises(EditError, match="changed on disk"):
        write_atomically(path, SMALL.encode(), text)
    assert path.read_text(encoding="utf-8").endswith("edited by a person\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x.md"]


def test_gitlab_issues_and_merge_requests(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    target = root / "postmortems" / "INC-2025-101-sync-write.md"
    text = target.read_text(encoding="utf-8")
    text = (
        text.replace(
            "https://github.com/acme/shop/issues/1",
            "https://gitlab.acme.example/acme/payments/api/-/issues/7",
        )
        .replace(
            "https://github.com/acme/shop/pull/4",
            "https://gitlab.acme.example/acme/payments/api/-/merge_requests/8",
        )
        .replace(
            "https://github.com/acme/shop/issues/2",
            "https://gitlab.acme.example/acme/payments/api/-/issues/404",
        )
    )
    target.write_text(text, encoding="utf-8")
    trackers = write_case_trackers()
    project_id = "acme%2Fpayments%2Fapi"
    trackers.gitlab = {
        f"{project_id}/issues/7": {
            "iid": 7,
            "state": "closed",
            "closed_at": "2025-03-18T10:00:00.000Z",
            "due_date": "2025-03-21",
            "assignees": [{"username": "omar"}],
        },
        f"{project_id}/merge_requests/8": {
            "iid": 8,
            "state": "closed",
            "merged_at": None,
            "closed_at": "2025-03-20T10:00:00.000Z",
            "assignees": [],
        },
    }
    with serve(trackers) as base:
        result = sync(root, base, "--format", "json")
    items = {i["item_id"]: i for i in json.loads(result.stdout)["items"]}
    assert items["AI-1"]["key"] == "acme/payments/api#7"
    assert items["AI-1"]["edit"] == {"status": "done", "completed": "2025-03-18"}
    drift = {d["field"]: d["tracker"] for d in items["AI-1"]["drift"]}
    assert drift["due"] == "2025-03-21" and "assignee" not in drift  # omar is in team-payments
    assert items["AI-4"]["key"] == "acme/payments/api!8"
    assert items["AI-4"]["edit"] == {"status": "cancelled", "completed": None}
    assert items["AI-2"]["error"]["reason"] == "not-found"
    assert items["AI-2"]["error"]["message"] == "404: no such item (or GITLAB_TOKEN cannot see it)"


@pytest.mark.parametrize(
    ("url", "key", "api"),
    [
        (
            "https://ghe.acme.example/org/repo/issues/5",
            "org/repo#5",
            "https://ghe.acme.example/api/v3/repos/org/repo/issues/5",
        ),
        (
            "https://ghe.acme.example/org/repo/pull/6/",
            "org/repo#6",
            "https://ghe.acme.example/api/v3/repos/org/repo/issues/6",
        ),
        ("https://acme.example/jira/browse/OPS-12", "OPS-12", "https://acme.example/jira"),
        (
            "https://acme.example/jira/projects/OPS/issues/OPS-13",
            "OPS-13",
            "https://acme.example/jira",
        ),
        ("https://acme.example/wiki/OPS-12", None, None),  # not below JIRA_URL's path
        ("https://github.com/org/repo/issues/5", None, None),  # GitHub is GHE here
        ("https://ghe.acme.example/org/repo/wiki/5", None, None),
        ("http://ghe.acme.example/org/repo/issues/5", None, None),  # another scheme
    ],
)
def test_links_of_configured_sites_only(url: str, key: str | None, api: str | None) -> None:
    env = {
        "GITHUB_SERVER_URL": "https://ghe.acme.example/",
        "JIRA_URL": "https://acme.example/jira",
        "JIRA_USER": "bot@acme.example",
        "JIRA_TOKEN": "t",
    }
    ref = parse(url, sites_from(env))
    assert (ref.key if ref else None) == key
    if ref is not None:
        assert (ref.site.api + ref.api_path).startswith(api or "")
        if ref.site.kind == "jira":
            assert dict(ref.site.headers)["Authorization"] == "Basic Ym90QGFjbWUuZXhhbXBsZTp0"


def test_an_answer_without_the_expected_fields_is_reported_for_its_item(tmp_path: Path) -> None:
    root = project(tmp_path, "write")
    trackers = write_case_trackers()
    trackers.github["acme/shop/1"] = {"number": 1, "title": "no state"}
    trackers.jira["PAY-1"] = {"status": {"name": "Open"}}  # no statusCategory
    with serve(trackers) as base:
        result = sync(root, base, "--format", "json")
    items = {i["item_id"]: i for i in json.loads(result.stdout)["items"]}
    assert {k for k, v in items.items() if v["error"]} == {"AI-1", "AI-5"}
    assert items["AI-1"]["error"]["reason"] == items["AI-5"]["error"]["reason"] == "bad-response"
    assert items["AI-3"]["edit"] == {"status": "open", "completed": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "--timeout", "0"], "--timeout must be more than 0 seconds"),
        (["remind", "--reference-date", "soon"], "reference date: expected YYYY-MM-DD"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    root = project(tmp_path, "write")
    result = subprocess.run(
        [sys.executable, "-m", "postmortem_kb.cli.main", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and message in result.stderr
