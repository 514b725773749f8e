"""Reading the state of tracker items over plain HTTP (urllib): GitHub, GitLab and Jira REST.

Every failure is per item: a 404, a 401, a rate limit, a timeout or an unreachable host becomes
a `Failure` for the items it concerns, never an exception out of `fetch_states`. Once a site has
answered with a rate limit, its remaining items are not requested (and say so).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..core.schema import ActionStatus
from .links import Kind, Ref, Site

JIRA_PAGE = 50
"""Issues asked of Jira's search per page."""
JIRA_FIELDS = "status,resolution,resolutiondate,duedate,assignee"
JIRA_CANCELLED = frozenset(
    {"won't do", "won't fix", "wontfix", "duplicate", "cannot reproduce", "declined", "rejected"}
)
"""Jira resolutions that mean the work was dropped rather than done."""


@dataclass(frozen=True)
class TrackerState:
    """What a tracker says about one item."""

    status: ActionStatus
    progress_known: bool
    """False when the tracker has no 'in progress' (GitHub, GitLab): open means open or
    in-progress."""
    closed_on: dt.date | None
    """The UTC date it was closed, merged or resolved."""
    due: dt.date | None
    assignees: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    """Why an item's state could not be read."""

    reason: str
    """`not-found`, `unauthorized`, `forbidden`, `rate-limited`, `timeout`, `unreachable`,
    `server-error`, `bad-response` or `unknown-link`."""
    message: str


class _HttpFailure(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class _SameHostCredentials(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but never carries a token to another host."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            for name in ("Authorization", "Private-token"):
                new.remove_header(name)
        return new


_OPENER = urllib.request.build_opener(_SameHostCredentials)


@dataclass
class Client:
    """Fetches tracker items with a timeout; remembers sites that rate-limited it or could not
    be reached, and does not ask them again in this run."""

    timeout: float = 10.0
    requests: int = 0
    """How many HTTP requests were made."""

    def __post_init__(self) -> None:
        self._limited: dict[str, Failure] = {}

    def get(self, site: Site, path: str, query: dict[str, Any] | None = None) -> Any:
        """GET `path` below the site's API and decode its JSON; _HttpFailure on any failure."""
        if site.api in self._limited:
            raise _HttpFailure(self._limited[site.api])
        url = site.api + path + (f"?{urlencode(query)}" if query else "")
        request = urllib.request.Request(url, headers=dict(site.headers))
        self.requests += 1
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise _HttpFailure(self._http_failure(site, exc.code, exc.headers)) from None
        except TimeoutError:
            raise _HttpFailure(_timeout(self.timeout)) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _HttpFailure(_timeout(self.timeout)) from None
            raise _HttpFailure(self._unreachable(site, exc.reason)) from None
        except OSError as exc:
            raise _HttpFailure(self._unreachable(site, exc)) from None
        try:
            return json.loads(body)
        except ValueError:
            raise _HttpFailure(Failure("bad-response", "the answer is not JSON")) from None

    def _unreachable(self, site: Site, reason: object) -> Failure:
        """An unreachable API is not asked again for the other items of this run."""
        failure = Failure("unreachable", f"{site.api} unreachable: {reason}")
        self._limited[site.api] = failure
        return failure

    def _http_failure(self, site: Site, code: int, headers: Message) -> Failure:
        limited = code == 429 or (
            code == 403
            and (headers.get("Retry-After") or headers.get("X-RateLimit-Remaining") == "0")
        )
        if limited:
            failure = Failure("rate-limited", f"rate limited by {site.api}{_retry_hint(headers)}")
            self._limited[site.api] = failure
            return failure
        if code == 401:
            return Failure(
                "unauthorized", f"401 unauthorized: {site.token_variable} is missing or invalid"
            )
        if code == 403:
            return Failure("forbidden", f"403 forbidden: {site.token_variable} cannot read it")
        if code in (404, 410):
            return Failure(
                "not-found", f"{code}: no such item (or {site.token_variable} cannot see it)"
            )
        if code >= 500:
            return Failure("server-error", f"{code} server error from {site.api}")
        return Failure("bad-response", f"unexpected HTTP {code} from {site.api}")

    # --- per product --------------------------------------------------------------------------

    def fetch_states(self, refs: Iterable[Ref]) -> dict[Ref, TrackerState | Failure]:
        """The state of every ref; Jira keys of one site are fetched together, page by page."""
        results: dict[Ref, TrackerState | Failure] = {}
        jira: dict[Site, list[Ref]] = {}
        for ref in refs:
            if ref in results:
                continue
            if ref.site.kind is Kind.JIRA:
                jira.setdefault(ref.site, []).append(ref)
                continue
            try:
                data = self.get(ref.site, ref.api_path)
            except _HttpFailure as exc:
                results[ref] = exc.failure
                continue
            parse = _github_state if ref.site.kind is Kind.GITHUB else _gitlab_state
            results[ref] = _parsed(parse, data)
        for site, site_refs in jira.items():
            results.update(self._jira_states(site, list(dict.fromkeys(site_refs))))
        return results

    def _jira_states(self, site: Site, refs: list[Ref]) -> dict[Ref, TrackerState | Failure]:
        results: dict[Ref, TrackerState | Failure] = {}
        by_key = {ref.key: ref for ref in refs}
        for start in range(0, len(refs), JIRA_PAGE):
            chunk = refs[start : start + JIRA_PAGE]
            try:
                found = self._jira_search(site, [ref.key for ref in chunk])
            except _HttpFailure as exc:
                if exc.failure.reason in ("rate-limited", "unauthorized", "timeout", "unreachable"):
                    results.update({ref: exc.failure for ref in chunk})
                    continue
                found = {}  # e.g. 400 (a key that does not exist) or 410: ask one by one
            for key, fields in found.items():
                if key in by_key:
                    results[by_key[key]] = _parsed(_jira_state, fields)
            for ref in chunk:
                if ref not in results:
                    try:
                        data = self.get(
                            site, f"/rest/api/2/issue/{ref.key}", {"fields": JIRA_FIELDS}
                        )
                        results[ref] = _parsed(_jira_state, data["fields"])
                    except _HttpFailure as exc:
                        results[ref] = exc.failure
                    except (KeyError, TypeError):
                        results[ref] = Failure(
                            "bad-response", "the answer lacks the expected fields"
                        )
        return results

    def _jira_issue(self, site: Site, ref: Ref) -> TrackerState | Failure:
        try:
            data = self.get(site, f"/rest/api/2/issue/{ref.key}", {"fields": JIRA_FIELDS})
        except _HttpFailure as exc:
            return exc.failure
        return _parsed(_jira_state, data.get("fields") if isinstance(data, dict) else None)

    def _jira_search(self, site: Site, keys: list[str]) -> dict[str, Any]:
        """Fields of the issues among `keys`, following `startAt`/`total` pagination."""
        found: dict[str, Any] = {}
        start_at = 0
        while True:
            query = {
                "jql": f"issuekey in ({', '.join(keys)})",
                "fields": JIRA_FIELDS,
                "startAt": start_at,
                "maxResults": JIRA_PAGE,
                "validateQuery": "warn",
            }
            page = self.get(site, "/rest/api/2/search", query)
            try:
                issues = page["issues"]
                found.update({issue["key"]: issue["fields"] for issue in issues})
                start_at += len(issues)
                total = int(page["total"])
            except (KeyError, TypeError, ValueError):
                raise _HttpFailure(Failure("bad-response", "unexpected search answer")) from None
            if not issues or start_at >= total:
                return found


def _timeout(seconds: float) -> Failure:
    return Failure("timeout", f"no answer within {seconds:g} s")


def _retry_hint(headers: Message) -> str:
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.isdigit():
        when = dt.datetime.fromtimestamp(int(reset), dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"; resets at {when}"
    after = headers.get("Retry-After")
    return f"; retry after {after} s" if after else ""


def _parsed(parse: Callable[[Any], TrackerState], data: Any) -> TrackerState | Failure:
    try:
        state = parse(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return Failure("bad-response", "the answer lacks the expected fields")
    return state


def _date(value: Any) -> dt.date | None:
    """A date from `2025-03-07`, an ISO timestamp (as its UTC date) or Jira's `+0000` form."""
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).date()


def _github_state(data: Any) -> TrackerState:
    pull = data.get("pull_request")
    if data["state"] == "open":
        status = ActionStatus.OPEN
    elif pull is not None:
        status = ActionStatus.DONE if pull.get("merged_at") else ActionStatus.CANCELLED
    else:
        not_planned = data.get("state_reason") in ("not_planned", "duplicate")
        status = ActionStatus.CANCELLED if not_planned else ActionStatus.DONE
    closed = (pull or {}).get("merged_at") or data.get("closed_at")
    milestone = data.get("milestone") or {}
    return TrackerState(
        status=status,
        progress_known=False,
        closed_on=_date(closed) if status is not ActionStatus.OPEN else None,
        due=_date(milestone.get("due_on")),
        assignees=tuple(a["login"] for a in data.get("assignees") or []),
    )


def _gitlab_state(data: Any) -> TrackerState:
    state = data["state"]
    if state in ("opened", "locked"):
        status = ActionStatus.OPEN
    elif state == "merged" or "merged_at" not in data:
        status = ActionStatus.DONE  # a closed issue, or a merged merge request
    else:
        status = ActionStatus.CANCELLED  # a merge request closed without merging
    closed = data.get("merged_at") or data.get("closed_at")
    return TrackerState(
        status=status,
        progress_known=False,
        closed_on=_date(closed) if status is not ActionStatus.OPEN else None,
        due=_date(data.get("due_date")),
        assignees=tuple(a["username"] for a in data.get("assignees") or []),
    )


def _jira_state(fields: Any) -> TrackerState:
    category = fields["status"]["statusCategory"]["key"]
    resolution = (fields.get("resolution") or {}).get("name", "")
    if category == "done":
        dropped = resolution.strip().lower() in JIRA_CANCELLED
        status = ActionStatus.CANCELLED if dropped else ActionStatus.DONE
    else:
        status = ActionStatus.IN_PROGRESS if category == "indeterminate" else ActionStatus.OPEN
    assignee = fields.get("assignee") or {}
    names = (assignee.get("name"), assignee.get("displayName"), assignee.get("emailAddress"))
    return TrackerState(
        status=status,
        progress_known=True,
        closed_on=_date(fields.get("resolutiondate")) if category == "done" else None,
        due=_date(fields.get("duedate")),
        assignees=tuple(name for name in names if name),
    )
