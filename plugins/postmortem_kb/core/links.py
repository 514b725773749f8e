"""Links between post-mortems in their bodies: relative links to another post-mortem's file
(what works on GitHub) and bare incident ids, found, checked and pointed at incident pages."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .problems import Problem
from .sections import without_fenced_code

_LINK = re.compile(r"\]\([ \t]*<?([^()\s<>]+)>?(?:[ \t]+\"[^\"\n]*\")?[ \t]*\)")
"""An inline link's target: `[text](target)` or `[text](<target> "title")`."""
_CODE_SPAN = re.compile(r"``*[^`\n]*`+")
"""A code span. Written to start with one literal backtick (`` `+ `` is the same), so the regex
engine skips to each backtick instead of trying every position."""


@dataclass(frozen=True)
class BodyLink:
    """A relative link to a Markdown file in a body: where it is and where it points."""

    start: int
    end: int
    """Offsets of the target in the body."""
    target: str
    path: str
    """The file it points at, normalised (absolute when the document's path is)."""
    fragment: str


def _prose(body: str) -> str:
    """The body with fenced code and code spans blanked, every offset kept (line breaks stay)."""
    text = without_fenced_code(body, keep_offsets=True)
    if "`" not in text:
        return text
    return _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)


def markdown_links(body: str, source: Path) -> Iterator[BodyLink]:
    """Relative links to `.md` files in a body outside code, resolved against `source`'s folder."""
    return _links_in(_prose(body), source)


def _links_in(prose: str, source: Path) -> Iterator[BodyLink]:
    """`markdown_links` of a body whose code is blanked (`_prose`)."""
    for match in _LINK.finditer(prose):
        target = match.group(1)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^/|^#", target):
            continue  # a URL, a site-absolute path or an anchor: not a file link
        file, _, fragment = target.partition("#")
        if not file.lower().endswith(".md"):
            continue
        path = os.path.normpath(os.path.join(source.parent, file))
        yield BodyLink(match.start(1), match.end(1), target, path, fragment)


def _folders(paths: Sequence[Path]) -> set[str]:
    return {os.path.normpath(p.parent) for p in paths}


def link_problems(
    documents: Sequence[tuple[Path, str, str, int]],
    valid: Mapping[str, object],
    all_files: Sequence[Path],
    links_of: Callable[[str, Path], Iterable[BodyLink]] = markdown_links,
) -> list[Problem]:
    """A relative link into a post-mortems folder that names no file there, or a file that
    gives no incident page, as `path:line`. `documents` are (path, display path, body, first
    body line); `valid` is keyed by the normalised path of each file that has a page;
    `links_of` gives a body's links (`markdown_links`, or a loader's memo of it)."""
    files = {os.path.normpath(p) for p in all_files}
    folders = _folders(all_files)
    problems: list[Problem] = []
    for path, display, body, body_line in documents:
        for link in links_of(body, path):
            if link.path in valid or os.path.dirname(link.path) not in folders:
                continue
            line = body_line + body.count("\n", 0, link.start)
            if link.path in files:
                message = f"link to {link.target!r}: that post-mortem has errors, so no page"
            else:
                message = f"link to {link.target!r}: no such post-mortem file"
            problems.append(Problem(display, line, "body", message))
    return problems


def rewrite_links(
    body: str,
    source: Path,
    page_of: Callable[[str], str | None],
    id_page: Callable[[str], str | None],
) -> str:
    """The body with each relative link to a post-mortem file pointed at its incident page
    (`page_of(normalised path)`, its fragment kept) and each bare incident id that names an
    incident (`id_page(id)`) made a link to it; code and existing links are left alone."""
    edits: list[tuple[int, int, str]] = []
    prose = _prose(body)
    for link in _links_in(prose, source):
        page = page_of(link.path)
        if page is not None:
            edits.append(
                (link.start, link.end, page + (f"#{link.fragment}" if link.fragment else ""))
            )
    if "[" in prose or "<" in prose:
        prose = _LINK_SPAN.sub(lambda m: " " * len(m.group(0)), prose)
    for match in _BARE_ID.finditer(prose):
        page = id_page(match.group(0))
        if page is not None:
            edits.append((match.start(), match.end(), f"[{match.group(0)}]({page})"))
    if not edits:
        return body
    edits.sort()
    out: list[str] = []
    position = 0
    for start, end, text in edits:
        if start < position:
            continue
        out += [body[position:start], text]
        position = end
    out.append(body[position:])
    return "".join(out)


_TARGET = r"(?:\([^()\n]*\)|\[[^\[\]\n]*\])?"
_LINK_SPAN = re.compile(rf"!\[[^\[\]\n]*\]{_TARGET}|\[[^\[\]\n]*\]{_TARGET}|<[^<>\n]*>")
"""Links, images, reference links and autolinks/HTML tags: ids inside them stay as written.
No class may cross its own opening character, so each start scans only to the next one: linear
in a line of `[[[[` or `](](`. Each alternative starts with a literal character, so the regex
engine skips to the next `!`, `[` or `<` instead of trying every position."""
_BARE_ID = re.compile(r"[A-Z](?<![\w/.#\[-].)[A-Z0-9]*-\d[\w-]*\d(?![\w\]-]|\.md)")
"""An incident id written in prose (`INC-2025-014`): capitals, a dash, digits, not right after
a word character, `/`, `.`, `#`, `[` or `-`. That test looks back from after the first capital,
so the regex engine skips to each capital instead of testing every position."""
