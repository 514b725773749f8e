"""A local stand-in for the GitHub and Jira REST APIs that `postmortem sync` reads, on 127.0.0.1.

It answers with the shapes of the real APIs (GitHub `GET /repos/{o}/{r}/issues/{n}`; Jira
`GET /rest/api/2/search` with startAt/maxResults/total pagination and
`GET /rest/api/2/issue/{key}`), checks the bearer token, and can be told to answer 404,
rate-limit, or answer slowly.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GITHUB_TOKEN = "gh-test-token"
GITLAB_TOKEN = "gl-test-token"
JIRA_TOKEN = "jira-test-token"
JIRA_PAGE_CAP = 2
"""The most issues one search page returns (real Jira caps maxResults too): forces paging."""


@dataclass
class Trackers:
    """What the fake trackers hold, and every request they received."""

    github: dict[str, dict[str, Any]] = field(default_factory=dict)
    """`owner/repo/number` -> issue JSON."""
    jira: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Issue key -> `fields` JSON."""
    gitlab: dict[str, dict[str, Any]] = field(default_factory=dict)
    """`url-encoded project path/issues|merge_requests/iid` -> issue or merge request JSON."""
    moved: dict[str, str] = field(default_factory=dict)
    """`owner/repo/number` -> the URL it redirects to (`{port}` is this server's port)."""
    slow: dict[str, float] = field(default_factory=dict)
    """Path fragment -> seconds to wait before answering."""
    github_rate_limited: bool = False
    jira_rate_limited: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path with query, Authorization header) of every request."""


def github_issue(
    number: int,
    state: str = "open",
    *,
    closed_at: str | None = None,
    state_reason: str | None = None,
    assignees: tuple[str, ...] = (),
    due_on: str | None = None,
    merged_at: str | None = None,
    pull: bool = False,
) -> dict[str, Any]:
    """An issue (or pull request) as GitHub's REST API returns it (the fields sync reads)."""
    issue: dict[str, Any] = {
        "number": number,
        "state": state,
        "state_reason": state_reason,
        "closed_at": closed_at,
        "assignees": [{"login": login, "type": "User"} for login in assignees],
        "milestone": {"title": "m", "due_on": due_on} if due_on else None,
        "title": f"Issue {number}",
    }
    if pull:
        issue["pull_request"] = {"url": "...", "merged_at": merged_at}
    return issue


def jira_fields(
    category: str,
    *,
    resolution: str | None = None,
    resolved: str | None = None,
    due: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    """An issue's `fields` as Jira's REST API v2 returns them (the fields sync reads)."""
    return {
        "status": {"name": category.title(), "statusCategory": {"key": category}},
        "resolution": {"name": resolution} if resolution else None,
        "resolutiondate": resolved,
        "duedate": due,
        "assignee": {"name": assignee, "displayName": assignee.title()} if assignee else None,
    }


class _Handler(BaseHTTPRequestHandler):
    trackers: Trackers

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        trackers = self.trackers
        auth = self.headers.get("Authorization")
        trackers.requests.append((self.path, auth))
        for fragment, seconds in trackers.slow.items():
            if fragment in self.path:
                time.sleep(seconds)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path.startswith("/github/"):
            self._github(parts.path.removeprefix("/github"), auth)
        elif parts.path.startswith("/gitlab/"):
            self._gitlab(self.path.split("?")[0].removeprefix("/gitlab"))
        elif parts.path.startswith("/jira/"):
            self._jira(parts.path.removeprefix("/jira"), query, auth)
        else:
            self._send(404, {"message": "Not Found"})

    def _github(self, path: str, auth: str | None) -> None:
        if auth != f"Bearer {GITHUB_TOKEN}":
            self._send(401, {"message": "Bad credentials"})
            return
        if self.trackers.github_rate_limited:
            reset = str(int(time.time()) + 600)
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
            self._send(403, {"message": "API rate limit exceeded"}, headers)
            return
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues/(\d+)", path)
        moved = self.trackers.moved.get("/".join(match.groups())) if match else None
        if moved is not None:
            self.send_response(301)
            self.send_header("Location", moved.format(port=self.server.server_address[1]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        issue = self.trackers.github.get("/".join(match.groups())) if match else None
        if issue is None:
            self._send(404, {"message": "Not Found"})
        else:
            self._send(200, issue)

    def _gitlab(self, raw_path: str) -> None:
        if self.headers.get("PRIVATE-TOKEN") != GITLAB_TOKEN:
            self._send(401, {"message": "401 Unauthorized"})
            return
        match = re.fullmatch(r"/api/v4/projects/([^/]+)/((?:issues|merge_requests)/\d+)", raw_path)
        item = self.trackers.gitlab.get("/".join(match.groups())) if match else None
        if item is None:
            self._send(404, {"message": "404 Not found"})
        else:
            self._send(200, item)

    def _jira(self, path: str, query: dict[str, str], auth: str | None) -> None:
        if auth != f"Bearer {JIRA_TOKEN}":
            self._send(401, {"errorMessages": ["You are not authenticated."]})
            return
        if self.trackers.jira_rate_limited:
            self._send(429, {"errorMessages": ["Rate limit exceeded."]}, {"Retry-After": "30"})
            return
        if path == "/rest/api/2/search":
            keys = re.findall(r"[A-Z][A-Z0-9_]+-\d+", query.get("jql", ""))
            found = [k for k in keys if k in self.trackers.jira]
            if len(found) < len(keys) and query.get("validateQuery") != "warn":
                self._send(400, {"errorMessages": ["An issue key does not exist."]})
                return
            start = int(query.get("startAt", 0))
            size = min(int(query.get("maxResults", 50)), JIRA_PAGE_CAP)
            page = found[start : start + size]
            issues = [{"key": k, "fields": self.trackers.jira[k]} for k in page]
            body = {"startAt": start, "maxResults": size, "total": len(found), "issues": issues}
            self._send(200, body)
            return
        match = re.fullmatch(r"/rest/api/2/issue/([A-Z][A-Z0-9_]+-\d+)", path)
        fields = self.trackers.jira.get(match.group(1)) if match else None
        if fields is None:
            self._send(
                404, {"errorMessages": ["Issue does not exist or you do not have permission."]}
            )
        else:
            self._send(200, {"key": match.group(1) if match else "", "fields": fields})


@contextmanager
def serve(trackers: Trackers) -> Iterator[str]:
    """Serve `trackers` on 127.0.0.1 (a free port) for the block; yields the base URL."""
    handler = type("Handler", (_Handler,), {"trackers": trackers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def environment(base: str, github_token: str = GITHUB_TOKEN) -> dict[str, str]:
    """The environment that points sync's GitHub and Jira at the local server."""
    return {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": f"{base}/github",
        "GITHUB_TOKEN": github_token,
        "JIRA_URL": "https://jira.acme.example",
        "JIRA_API_URL": f"{base}/jira",
        "JIRA_TOKEN": JIRA_TOKEN,
        "GITLAB_URL": "https://gitlab.acme.example",
        "GITLAB_API_URL": f"{base}/gitlab/api/v4",
        "GITLAB_TOKEN": GITLAB_TOKEN,
    }
