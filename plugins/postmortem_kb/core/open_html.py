"""Raw-HTML blocks that author Markdown leaves open, found the way Python-Markdown finds them.

Python-Markdown copies a block that starts with a block-level tag at the beginning of a line
verbatim until that tag is closed. When it never is (`<details>` without `</details>`), the rest
of the page is copied as HTML: every heading, list and table the page adds after it shows as
Markdown source. `close_open_blocks` closes such blocks at the end of their piece of Markdown, so
a mistake stays inside its own section; the lint's `unclosed-html` rule reports the line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import markdown
from markdown.htmlparser import HTMLExtractor

from .sections import without_fenced_code

VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
"""Elements without a closing tag (HTML's void elements)."""

_TAG_AT_LINE_START = re.compile(r"^[ \t]{0,3}<[a-zA-Z]", re.MULTILINE)


@dataclass(frozen=True)
class OpenBlock:
    """A tag of a raw-HTML block still open at the end of the Markdown."""

    tag: str
    line: int
    """0-based line of its start tag."""


class _Extractor(HTMLExtractor):
    """Markdown's own raw-HTML block finder, remembering where each open tag started."""

    def __init__(self, md: markdown.Markdown) -> None:
        self.lines: list[int] = []
        super().__init__(md)

    # Typed as in Markdown's stubs, which narrow HTMLParser's `attrs` (and ignore it there too).
    def handle_starttag(  # type: ignore[override]
        self, tag: str, attrs: Sequence[tuple[str, str]]
    ) -> None:
        depth = len(self.stack)
        super().handle_starttag(tag, attrs)
        if len(self.stack) > depth:
            self.lines.append(self.getpos()[0] - 1)

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        del self.lines[len(self.stack) :]


def open_blocks(text: str) -> list[OpenBlock]:
    """The non-void tags of raw-HTML blocks `text` leaves open, outermost first.

    Fenced code is skipped, as Markdown sets it aside before it looks for raw HTML.
    """
    if "<" not in text or not _TAG_AT_LINE_START.search(text):
        return []  # most bodies: no line starts with a tag, so no raw block can start
    parser = _Extractor(markdown.Markdown())
    parser.feed(without_fenced_code(text.expandtabs(4)))  # tabs expanded first, as Markdown does
    parser.close()
    return [
        OpenBlock(tag, line)
        for tag, line in zip(parser.stack, parser.lines, strict=True)
        if tag not in VOID_TAGS
    ]


def closing_tags(blocks: list[OpenBlock]) -> str:
    """The end tags that close `blocks`, innermost first."""
    return "".join(f"</{block.tag}>" for block in reversed(blocks))


def close_open_blocks(text: str) -> str:
    """`text` with the raw-HTML blocks it leaves open closed after its last line."""
    closing = closing_tags(open_blocks(text))
    return f"{text}\n{closing}" if closing else text
