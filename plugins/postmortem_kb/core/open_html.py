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
_OPENER = re.compile(r"<[a-zA-Z/!?]")
MAX_OPENERS = 8
MAX_TAG_LENGTH = 1024
"""The longest start tag (with its attributes) this module finds."""
MAX_FAILED_SCANS = 1000
"""Start tags that turn out not to end, after which every `<` of the text is text."""
_CLOSERS = (("<?", re.compile(r"\?>")), ("<![", re.compile(r"\]\s*\]\s*>")))
"""Openers that need their own closer (processing instructions, CDATA): one after the last
closer of its kind cannot end."""
"""Tag openers (`<a`, `</`, `<!`, `<?`) allowed between two `>` before they count as text."""


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
        self.failed_scans = 0
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

    def check_for_whole_start_tag(self, i: int) -> int:
        """Where the start tag at `i` ends (-1: it does not), in bounded time.

        The parser scans from a `<` to where its tag could end (past `>` in quoted values) and,
        when that fails, moves on by one character and scans again: thousands of `<a x='>' `
        took minutes. So a scan looks at most MAX_TAG_LENGTH characters ahead, and after
        MAX_FAILED_SCANS failures every further `<` is text.
        """
        if self.failed_scans >= MAX_FAILED_SCANS:
            return -1
        rawdata = self.rawdata
        if len(rawdata) - i <= MAX_TAG_LENGTH:
            end = int(super().check_for_whole_start_tag(i))
        else:
            self.rawdata = rawdata[i : i + MAX_TAG_LENGTH]
            try:
                end = int(super().check_for_whole_start_tag(0))
            finally:
                self.rawdata = rawdata
            end = end + i if end >= 0 else end
        self.failed_scans += end < 0
        return end


def open_blocks(text: str) -> list[OpenBlock]:
    """The non-void tags of raw-HTML blocks `text` leaves open, outermost first.

    Fenced code is skipped, as Markdown sets it aside before it looks for raw HTML.
    """
    if "<" not in text or not _TAG_AT_LINE_START.search(text):
        return []  # most bodies: no line starts with a tag, so no raw block can start
    parser = _Extractor(markdown.Markdown())
    # Tabs are expanded first and fenced code is set aside, as Markdown does.
    parser.feed(_without_runaway_tags(without_fenced_code(text.expandtabs(4))))
    parser.close()
    return [
        OpenBlock(tag, line)
        for tag, line in zip(parser.stack, parser.lines, strict=True)
        if tag not in VOID_TAGS
    ]


def _without_runaway_tags(text: str) -> str:
    """`text` with the `<` of tags that cannot end blanked, so the parser sees the same tags in
    linear time.

    Python's HTML parser scans from each `<` to where its tag could end, and when that scan
    fails it moves on by one character: thousands of `<a ` (or `<a b`) took minutes. A `<` after
    the last `>` can never end a tag, comment or declaration (all need a `>`); more than
    MAX_OPENERS openers with no `>` between them are broken markup, not HTML Markdown keeps.
    """
    blank: list[int] = []
    segment: list[int] = []
    segment_end = -2  # the `>` that ends the current segment (-1: none left)
    for match in _OPENER.finditer(text):
        start = match.start()
        if start > segment_end and segment_end != -1:
            if len(segment) > MAX_OPENERS:
                blank += segment
            segment = []
            segment_end = text.find(">", start)
        segment.append(start)
    if segment and (segment_end == -1 or len(segment) > MAX_OPENERS):
        blank += segment
    for opener, closer in _CLOSERS:
        if opener in text:
            last = max((match.end() for match in closer.finditer(text)), default=0)
            position = text.find(opener, last)
            while position != -1:
                blank.append(position)
                position = text.find(opener, position + 1)
    if not blank:
        return text
    characters = list(text)
    for position in blank:
        characters[position] = " "
    return "".join(characters)


def closing_tags(blocks: list[OpenBlock]) -> str:
    """The end tags that close `blocks`, innermost first."""
    return "".join(f"</{block.tag}>" for block in reversed(blocks))


def close_open_blocks(text: str) -> str:
    """`text` with the raw-HTML blocks it leaves open closed after its last line."""
    closing = closing_tags(open_blocks(text))
    return f"{text}\n{closing}" if closing else text
