"""Which tracker a `tracker:` URL points at, and where its API is, from the environment.

Only links on a configured site are recognised, so a token is only ever sent to that site's API:

- GitHub: `GITHUB_SERVER_URL` (default https://github.com), `GITHUB_API_URL` (default
  https://api.github.com, or `<server>/api/v3` for GitHub Enterprise Server), `GITHUB_TOKEN`.
  Links: `/<owner>/<repo>/issues/<n>` and `/<owner>/<repo>/pull/<n>`.
- GitLab: `GITLAB_URL` (or GitLab CI's `CI_SERVER_URL`; default https://gitlab.com),
  `GITLAB_API_URL` (or `CI_API_V4_URL`; default `<url>/api/v4`), `GITLAB_TOKEN`.
  Links: `/<group>/<project>/-/issues/<n>` and `/-/merge_requests/<n>`.
- Jira (Cloud or Data Center): `JIRA_URL` (no default), `JIRA_API_URL` (default `JIRA_URL`),
  `JIRA_TOKEN` (a bearer token; with `JIRA_USER` set, user and API token for Cloud).
  Links: any URL on that site ending in an issue key, e.g. `/browse/PAY-3101`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit


class Kind(StrEnum):
    """The tracker products sync speaks to."""

    GITHUB = "github"
    GITLAB = "gitlab"
    JIRA = "jira"


@dataclass(frozen=True)
class Site:
    """One configured tracker: where its links live, where its API is, how to authenticate."""

    kind: Kind
    web: str
    """Scheme and host (and path prefix) of the links, without a trailing slash."""
    api: str
    """Base URL of the REST API, without a trailing slash."""
    token_variable: str
    """The environment variable the token comes from (named in error messages)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Authentication and content headers sent with every request."""


@dataclass(frozen=True)
class Ref:
    """An item in a tracker: its site and its key (`owner/repo#12`, `group/proj!3`, `PAY-1`)."""

    site: Site
    key: str
    api_path: str
    """Path below the site's API that returns the item (GitHub, GitLab) or "" (Jira: by key)."""
    pull: bool = False
    """A pull/merge request rather than an issue."""


def _base(url: str) -> str:
    return url.strip().rstrip("/")


def sites_from(env: Mapping[str, str]) -> list[Site]:
    """The tracker sites the environment configures (GitHub and GitLab always; Jira if set)."""
    sites: list[Site] = []
    github = _base(env.get("GITHUB_SERVER_URL") or "https://github.com")
    default_api = (
        "https://api.github.com"
        if urlsplit(github).hostname == "github.com"
        else f"{github}/api/v3"
    )
    headers = [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
    if env.get("GITHUB_TOKEN"):
        headers.append(("Authorization", f"Bearer {env['GITHUB_TOKEN']}"))
    api = _base(env.get("GITHUB_API_URL") or default_api)
    sites.append(Site(Kind.GITHUB, github, api, "GITHUB_TOKEN", tuple(headers)))

    gitlab = _base(env.get("GITLAB_URL") or env.get("CI_SERVER_URL") or "https://gitlab.com")
    api = _base(env.get("GITLAB_API_URL") or env.get("CI_API_V4_URL") or f"{gitlab}/api/v4")
    headers = [("Accept", "application/json")]
    if env.get("GITLAB_TOKEN"):
        headers.append(("PRIVATE-TOKEN", env["GITLAB_TOKEN"]))
    sites.append(Site(Kind.GITLAB, gitlab, api, "GITLAB_TOKEN", tuple(headers)))

    jira = _base(env.get("JIRA_URL") or "")
    if jira:
        headers = [("Accept", "application/json")]
        token = env.get("JIRA_TOKEN")
        if token and env.get("JIRA_USER"):
            basic = base64.b64encode(f"{env['JIRA_USER']}:{token}".encode()).decode()
            headers.append(("Authorization", f"Basic {basic}"))
        elif token:
            headers.append(("Authorization", f"Bearer {token}"))
        api = _base(env.get("JIRA_API_URL") or jira)
        sites.append(Site(Kind.JIRA, jira, api, "JIRA_TOKEN", tuple(headers)))
    return sites


_GITHUB_PATH = re.compile(r"^/([\w.-]+)/([\w.-]+)/(issues|pull)/(\d+)/?$")
_GITLAB_PATH = re.compile(r"^/(.+?)/-/(issues|merge_requests)/(\d+)/?$")
_JIRA_KEY = re.compile(r"(?:^|/)([A-Z][A-Z0-9_]+-\d+)/?$")


def _on_site(url: str, site: Site) -> str | None:
    """The URL's path below the site's web base, or None when the URL is elsewhere."""
    parts, base = urlsplit(url), urlsplit(site.web)
    if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    prefix = base.path.rstrip("/")
    if not parts.path.startswith(prefix + "/"):
        return None
    return parts.path[len(prefix) :]


def parse(url: str, sites: list[Site]) -> Ref | None:
    """The tracker item a URL names, or None when no configured site has such a link."""
    for site in sites:
        path = _on_site(url, site)
        if path is None:
            continue
        if site.kind is Kind.GITHUB and (m := _GITHUB_PATH.match(path)):
            owner, repo, what, number = m.groups()
            key = f"{owner}/{repo}#{number}"
            return Ref(site, key, f"/repos/{owner}/{repo}/issues/{number}", what == "pull")
        if site.kind is Kind.GITLAB and (m := _GITLAB_PATH.match(path)):
            project, what, number = m.groups()
            pull = what == "merge_requests"
            key = f"{project}{'!' if pull else '#'}{number}"
            return Ref(site, key, f"/projects/{quote(project, safe='')}/{what}/{number}", pull)
        if site.kind is Kind.JIRA and (m := _JIRA_KEY.search(path)):
            return Ref(site, m.group(1), "")
    return None


def unknown_message(sites: list[Site]) -> str:
    """Why a link is not recognised, naming the configured sites."""
    names = ", ".join(f"{s.kind.value} {s.web}" for s in sites)
    hint = "" if any(s.kind is Kind.JIRA for s in sites) else "; set JIRA_URL for Jira links"
    return f"not an issue or pull request link of a configured tracker ({names}){hint}"
