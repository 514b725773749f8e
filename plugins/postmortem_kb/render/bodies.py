"""Generated pages converted to finished, safe HTML without an engine: whole pages, or bodies.

A generated page carries each piece of author Markdown between the body markers of sanitize.py.
`PageRenderer.finish` converts a whole page with the site's Markdown extensions (its raw-HTML
blocks carried past Markdown, passthrough.py), cleans every body region under the body rule
(sanitize.py), makes every heading id safe (anchors.py) and returns the HTML with its table of
contents, title and anchors: what an engine adapter places as the page (MkDocs: engines/mkdocs).
`BodyRenderer.page` converts only the body regions, each into one raw-HTML block, and leaves the
rest of the page as Markdown for an engine that runs no code of ours (`postmortem render`).

Both take the markers of the process that generated the page: a worker process has its own.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as etree

import markdown
from markdown.treeprocessors import Treeprocessor

from ..core.anchors import safe_anchor
from ..core.packed import pack, unpack
from .passthrough import anchor_ids, restore_html_blocks, stash_html_blocks
from .sanitize import MARKERS, replace_regions, sanitize_body_regions, sanitize_html

_HEADING_ID = re.compile(r'<(h[1-6]) id="([^"]*)"')
_HREF = re.compile(r'href="#([^"]*)"')

BODY_CLASS = "pmkb-body"
"""Class of the `<div>` that holds a pre-rendered body region."""

TocToken = dict[str, Any]
"""One heading of a table of contents, as Python-Markdown's `toc` extension gives it: `level`,
`id`, `name` (text, HTML-escaped) and `children`."""


@dataclass(frozen=True)
class FinishedPage:
    """A generated page as finished HTML: what an engine places without converting anything."""

    packed: bytes
    """The HTML, packed (core/packed.py): `html` unpacks it, one page at a time."""
    toc: list[TocToken]
    """Every heading, nested, with the ids the HTML carries."""
    title: str | None
    """The page's first element when it is an H1, as escaped text (themes print it as is)."""
    anchors: list[str]
    """Every `id` and `name` in the HTML (what links to `#anchor` may point at)."""

    @classmethod
    def of(
        cls, html: str, toc: list[TocToken], title: str | None, anchors: list[str]
    ) -> FinishedPage:
        return cls(pack(html), toc, title, anchors)

    @property
    def html(self) -> str:
        return unpack(self.packed)


class _Renderer:
    """One Markdown converter with a site's extensions, and the markers of the generating
    process."""

    def __init__(
        self,
        extensions: Sequence[str],
        configs: Mapping[str, Mapping[str, Any]],
        markers: tuple[str, str] = MARKERS,
    ) -> None:
        self._markdown = markdown.Markdown(
            extensions=list(extensions),
            extension_configs={name: dict(value) for name, value in configs.items()},
        )
        self._markers = markers
        self._extend()

    def _extend(self) -> None:
        """Add to the converter what this kind of renderer needs (nothing by default)."""


class BodyRenderer(_Renderer):
    """Converts body regions with one set of Markdown extensions (a site's)."""

    def body(self, text: str) -> str:
        """One piece of author Markdown as sanitised HTML with safe heading ids."""
        self._markdown.reset()
        return _safe_ids(sanitize_html(self._markdown.convert(text)))

    def page(self, page_markdown: str) -> str:
        """A generated page with each body region replaced by a raw-HTML block of its HTML."""
        return replace_regions(page_markdown, self._block, self._markers)

    def _block(self, region: str) -> str:
        rendered = self.body(region)
        return f'<div class="{BODY_CLASS}">\n{rendered}\n</div>' if rendered.strip() else ""


class _FirstHeading(Treeprocessor):
    """Notes the id of the page's first element when it is an H1 (MkDocs' rule for a title)."""

    first_h1: str | None = None

    def run(self, root: etree.Element) -> None:
        self.first_h1 = None
        for element in root:
            if element.tag == "h1":
                self.first_h1 = element.get("id")
            break


class PageRenderer(_Renderer):
    """Converts whole generated pages with one set of Markdown extensions (a site's, which
    include `toc`: the table of contents comes from it)."""

    def _extend(self) -> None:
        self._first = _FirstHeading(self._markdown)
        # Close to the end, as MkDocs registers its own: after `toc` has set the ids.
        self._markdown.treeprocessors.register(self._first, "pmkb_first_heading", 1)
        self._token = f"pmkb{secrets.token_hex(8)}"

    def finish(self, page_markdown: str) -> FinishedPage:
        """The page (its Markdown; a front matter block is left out) as finished HTML."""
        text, blocks = stash_html_blocks(without_front_matter(page_markdown), self._token)
        self._markdown.reset()
        converted = self._markdown.convert(text)
        converted = restore_html_blocks(converted, blocks, self._token)
        converted = _safe_ids(sanitize_body_regions(converted, self._markers))
        tokens = getattr(self._markdown, "toc_tokens", [])
        toc = [_safe_token(token) for token in tokens]
        title = None
        if self._first.first_h1 is not None:
            title = _title(toc, safe_anchor(self._first.first_h1))
        return FinishedPage.of(converted, toc, title, sorted(anchor_ids([converted])))


_FRONT_MATTER = re.compile(r"-{3}[ \t]*\n(?:.*?\n)?(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)


def without_front_matter(page: str) -> str:
    """A generated page's Markdown after its YAML front matter, as MkDocs splits it off."""
    match = _FRONT_MATTER.match(page)
    return page if match is None else page[match.end() :].lstrip("\n")


def _safe_token(token: Mapping[str, Any]) -> TocToken:
    """A table-of-contents entry with its id made safe as in the HTML (`_safe_ids`)."""
    return {
        "level": token["level"],
        "id": safe_anchor(str(token["id"])),
        "name": str(token["name"]),
        "children": [_safe_token(child) for child in token.get("children", [])],
    }


def _title(toc: list[TocToken], anchor: str) -> str | None:
    for token in toc:
        if token["id"] == anchor:
            return html.escape(html.unescape(token["name"]), quote=True)
        found = _title(token["children"], anchor)
        if found is not None:
            return found
    return None


def without_bodies(page_markdown: str, reason: str, markers: tuple[str, str] = MARKERS) -> str:
    """A generated page with each body region replaced by a notice saying why it is missing."""
    notice = f'<p class="pmkb-muted">Not shown: {html.escape(reason)}.</p>'
    return replace_regions(page_markdown, lambda _: notice, markers)


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
