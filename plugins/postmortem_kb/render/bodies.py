"""Post-mortem bodies rendered to finished, safe HTML without an engine (`postmortem render`).

A generated incident page carries each piece of author Markdown between the body markers of
sanitize.py. An engine running our adapter cleans those regions after converting the page; an
engine that runs no code of ours (Zensical) would publish them as the author wrote them. So
`BodyRenderer.page` converts each region here, with the site's Markdown extensions, cleans it
under the body rule (sanitize.py), makes every heading id safe (anchors.py) and puts the result
back as one raw-HTML block, which every Python-Markdown engine copies to its output unchanged.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import markdown

from ..core.anchors import safe_anchor
from .sanitize import BODY_END, BODY_START, sanitize_html

_HEADING_ID = re.compile(r'<(h[1-6]) id="([^"]*)"')
_HREF = re.compile(r'href="#([^"]*)"')

BODY_CLASS = "pmkb-body"
"""Class of the `<div>` that holds a pre-rendered body region."""


class BodyRenderer:
    """Converts body regions with one set of Markdown extensions (a site's)."""

    def __init__(self, extensions: Sequence[str], configs: Mapping[str, Mapping[str, Any]]) -> None:
        self._markdown = markdown.Markdown(
            extensions=list(extensions),
            extension_configs={name: dict(value) for name, value in configs.items()},
        )

    def body(self, text: str) -> str:
        """One piece of author Markdown as sanitised HTML with safe heading ids."""
        self._markdown.reset()
        return _safe_ids(sanitize_html(self._markdown.convert(text)))

    def page(self, page_markdown: str) -> str:
        """A generated page with each body region replaced by a raw-HTML block of its HTML."""
        return _replace_regions(page_markdown, self.body)


def without_bodies(page_markdown: str, reason: str) -> str:
    """A generated page with each body region replaced by a notice saying why it is missing."""
    notice = f'<p class="pmkb-muted">Not shown: {html.escape(reason)}.</p>'
    return _replace_regions(page_markdown, lambda _: notice)


def _replace_regions(page_markdown: str, render: Callable[[str], str]) -> str:
    if BODY_START not in page_markdown:
        return page_markdown
    out: list[str] = []
    position = 0
    while (start := page_markdown.find(BODY_START, position)) != -1:
        out.append(page_markdown[position:start])
        end = page_markdown.find(BODY_END, start)
        stop = len(page_markdown) if end == -1 else end
        rendered = render(page_markdown[start + len(BODY_START) : stop])
        if rendered.strip():
            out.append(f'<div class="{BODY_CLASS}">\n{rendered}\n</div>')
        position = stop if end == -1 else end + len(BODY_END)
    out.append(page_markdown[position:])
    return "".join(out)


def _safe_ids(fragment: str) -> str:
    """Every heading id made safe (anchors.py), and the `#links` to a changed one with it."""
    changed: dict[str, str] = {}

    def heading(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2))
        safe = safe_anchor(value)
        if safe != match.group(2):
            changed[match.group(2)] = safe
        return f'<{match.group(1)} id="{safe}"'

    fragment = _HEADING_ID.sub(heading, fragment)
    if not changed:
        return fragment
    return _HREF.sub(
        lambda match: f'href="#{changed.get(match.group(1), match.group(1))}"', fragment
    )
