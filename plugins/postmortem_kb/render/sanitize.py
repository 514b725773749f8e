"""The rule for Markdown bodies: what author-written HTML may survive on an incident page.

A body is Markdown and may contain harmless HTML: formatting, lists, tables, images, links,
`<details>`, Material's admonitions and highlighted code. Everything that can run script is
removed: `<script>`, `<style>`, `<iframe>`, `<object>`, forms, every `on*=` event attribute,
`style` (except `text-align` on table cells), and links or images whose URL is not http(s),
mailto or relative (`javascript:`, `data:`, `vbscript:`...). The rule applies to the HTML the
body *renders to*, so it covers Markdown links `[x](javascript:...)`, reference links and
`{attr=list}` attributes as well as raw HTML.

How: `fence_body` wraps each piece of author Markdown in two HTML comments carrying a secret
per-process nonce; after Markdown has rendered the page, `sanitize_body_regions` cleans the HTML
between each pair with nh3 (ammonia's allow-list sanitizer). Authors cannot forge the markers, so
they cannot end a region early; a region left open by broken Markdown is cleaned to the end of
the page. Front-matter values never need this: templates escape them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import nh3

from ..core.anchors import without_heading_attributes
from ..core.open_html import close_open_blocks
from ..core.sections import BodySections

BODY_TAGS: frozenset[str] = frozenset(nh3.ALLOWED_TAGS)
"""Harmless elements (ammonia's default list): formatting, lists, tables, images, links..."""

BODY_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"class", "title", "lang", "dir"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "a": {"href", "hreflang", "title"},
    "details": {"open"},
    # Footnotes (Markdown's `footnotes` extension): the reference and the note link each other.
    "sup": {"id"},
    "li": {"id"},
    "th": {*nh3.ALLOWED_ATTRIBUTES.get("th", set()), "style"},
    "td": {*nh3.ALLOWED_ATTRIBUTES.get("td", set()), "style"},
}
"""Per-tag attributes kept; `id` only on headings (table-of-contents anchors) and on the
`sup`/`li` of footnotes (the targets of their links)."""

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
"""Schemes a link or image may use; relative URLs and `#anchors` are always allowed."""

_CLEANER = nh3.Cleaner(
    tags=set(BODY_TAGS),
    clean_content_tags={"script", "style"},
    attributes=BODY_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    filter_style_properties={"text-align"},
    strip_comments=True,
)

_NONCE = secrets.token_hex(16)
BODY_START = f"<!-- pmkb-body {_NONCE} -->"
BODY_END = f"<!-- /pmkb-body {_NONCE} -->"
MARKERS = (BODY_START, BODY_END)
"""This process's body markers. Another process (a worker) is given them: its own differ."""


FOOTNOTES_MARKER = "///Footnotes Go Here///"
"""Where Markdown's `footnotes` extension puts a page's notes (its default PLACE_MARKER)."""
_FOOTNOTE = re.compile(r"^\[\^[^\]\n]+\]:", re.MULTILINE)


def footnotes_region(body: str) -> str:
    """A fenced spot for a body's footnotes, or nothing when it defines none: the extension
    puts the notes where the marker is, so they are cleaned like the rest of the body instead
    of landing at the end of the page outside every fence."""
    return fence_body(FOOTNOTES_MARKER) if _FOOTNOTE.search(body) else ""


def sanitize_html(html: str) -> str:
    """Clean one HTML fragment under the body rule (also for features rendering body text)."""
    return str(_CLEANER.clean(html))


def fence_body(markdown: str) -> str:
    """Mark a piece of author Markdown so its rendered HTML is cleaned (empty stays empty).

    A raw-HTML block it leaves open is closed at its end (open_html.py), so the page's own
    sections after it still render as Markdown; attribute lists on its headings are text
    (anchors.py), so no author-chosen id or label reaches the table of contents.
    """
    if not markdown.strip():
        return markdown
    text = close_open_blocks(without_heading_attributes(markdown))
    return f"{BODY_START}\n\n{text}\n\n{BODY_END}"


def fence_sections(body: BodySections, escape_heading: Callable[[str], object]) -> BodySections:
    """A body with every narrative fenced and every heading of the author's own escaped.

    Those headings sit outside the fences (they belong to the page's outline), so they are passed
    through `escape_heading` (the page builder's `md_text`): `## <img onerror=...>` or
    `## x {onclick=...}` show as written.
    """
    return BodySections(
        narrative={key: fence_body(text) for key, text in body.narrative.items()},
        extra=[(str(escape_heading(heading)), fence_body(text)) for heading, text in body.extra],
    )


def replace_regions(
    text: str, replace: Callable[[str], str], markers: tuple[str, str] = MARKERS
) -> str:
    """`text` with each fenced region, markers included, replaced by `replace(region)`.

    A region left open (broken Markdown) runs to the end of the text.
    """
    start_marker, end_marker = markers
    if start_marker not in text:
        return text
    out: list[str] = []
    position = 0
    while (start := text.find(start_marker, position)) != -1:
        out.append(text[position:start])
        end = text.find(end_marker, start)
        stop = len(text) if end == -1 else end
        out.append(replace(text[start + len(start_marker) : stop]))
        position = stop if end == -1 else end + len(end_marker)
    out.append(text[position:])
    return "".join(out)


def sanitize_body_regions(html: str, markers: tuple[str, str] = MARKERS) -> str:
    """Clean the HTML between each pair of body markers; drop the markers themselves."""
    return replace_regions(html, sanitize_html, markers)
