"""The protocol's eight post-mortem sections, how a body's headings map onto them (ATX or
setext, at whatever level the author starts), and where its fenced code is (as Markdown finds
it, for every check that reads a body)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

SECTIONS: dict[str, str] = {
    "summary": "Executive summary",
    "timeline": "Incident timeline",
    "impact": "Impact assessment",
    "root_cause": "Root cause analysis",
    "factors": "Contributing factors",
    "went": "What went well / what went wrong",
    "actions": "Action items",
    "lessons": "Lessons learned",
}
"""Section key -> heading, in the protocol's order (step 6)."""

_ALIASES: dict[str, str] = {
    "executive summary": "summary",
    "summary": "summary",
    "incident summary": "summary",
    "incident timeline": "timeline",
    "timeline": "timeline",
    "impact": "impact",
    "impact assessment": "impact",
    "root cause": "root_cause",
    "root cause analysis": "root_cause",
    "5 whys": "root_cause",
    "five whys": "root_cause",
    "contributing factors": "factors",
    "what went well / what went wrong": "went",
    "what went well and what went wrong": "went",
    "what went well": "went",
    "what went wrong": "went",
    "where we got lucky": "went",
    "action items": "actions",
    "lessons learned": "lessons",
    "lessons": "lessons",
}

PLACEMENT: dict[str, str] = {
    "background": "summary",
    "overview": "summary",
    "what happened": "summary",
    "attendees": "summary",
    "participants": "summary",
    "responders": "summary",
    "leadup": "timeline",
    "detection": "timeline",
    "response": "timeline",
    "recovery": "timeline",
    "resolution": "timeline",
    "mitigation": "timeline",
    "trigger": "root_cause",
    "fault": "root_cause",
    "root causes": "root_cause",
    "remediation": "actions",
    "follow-up": "actions",
    "follow up": "actions",
    "follow-ups": "actions",
    "corrective actions": "actions",
    "next steps": "actions",
    "insights": "lessons",
    "takeaways": "lessons",
    "key takeaways": "lessons",
}
"""A heading of the author's own -> the section it is shown in (after that section's text, under
its own heading); extended or overridden by the `section_placement` option."""

# Both are matched in "\n" + body: a pattern starting with a literal is searched fast, and a
# match's start is then the offset in the body of the line it is on. Each line is read once:
# a heading's trailing `#`s are stripped in Python (`_heading_text`), not by backtracking.
_HEADING = re.compile(r"\n(#{1,6})[ \t]+([^\n]+)")
_SETEXT = re.compile(r"\n(?=([^\n]+)\n([=-]+)[ \t]*(?:\n|$))")
"""Zero-width after the newline, so that an underline can itself be underlined (overlaps)."""
_FENCE = re.compile(r"\n(`{3,}|~{3,})([^\n]*)")
_NOT_NEWLINE = re.compile(r"[^\n]")


@dataclass
class BodySections:
    """A body split by its `##` headings: narrative per known section, the rest kept in order."""

    narrative: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)
    """(heading, text) of `##` sections that are not one of the eight."""


def _normal(heading: str) -> str:
    return re.sub(r"\s+", " ", heading.strip().lower().replace("&", "and")).rstrip(":")


def section_key(heading: str) -> str | None:
    """The section a heading belongs to, or None for a heading of the author's own."""
    return _ALIASES.get(_normal(heading))


@dataclass(frozen=True)
class Chunk:
    """The text of a body under one `##` heading (or before the first)."""

    heading: str | None
    start: int
    """0-based line of the body where `text` starts."""
    text: str


def _headings(body: str) -> list[tuple[int, int, int, str]]:
    """(start, end, level, text) of every heading outside fenced code, in order: ATX (`## x`)
    and setext (a line of text underlined with `===` or `---`). Offsets are in `body`: the start
    of the heading's first line and the end of its last."""
    fenced, _ = fenced_code(body)
    found: list[tuple[int, int, int, str]] = []
    text = "\n" + body
    for match in _HEADING.finditer(text):
        title = _heading_text(match.group(2))
        found.append((match.start(), match.end() - 1, len(match.group(1)), title))
    atx_ends = {end for _, end, _, _ in found}
    last_end = -1
    for match in _SETEXT.finditer(text):
        if match.start() <= last_end:
            continue  # this line is the underline of the heading just found
        title = match.group(1).strip()
        if not title or match.group(1).startswith((" ", "\t")) or _not_a_paragraph(title):
            continue
        # As Python-Markdown: the underlined line starts a block (after a blank line, the start
        # of the body, or a heading).
        before = match.start()
        if before > 0 and text[before - 1] != "\n" and before - 1 not in atx_ends:
            previous = text[text.rfind("\n", 0, before) + 1 : before]
            if not _is_break(previous):
                continue
        level = 1 if match.group(2).startswith("=") else 2
        line_end = text.find("\n", match.end(1) + 1)
        found.append((match.start(), (len(text) if line_end == -1 else line_end) - 1, level, title))
        last_end = found[-1][1]
        atx_ends.add(last_end)  # a block starts after this heading too
    found.sort()
    inside = _inside(fenced)
    return [h for h in found if not inside(h[0])]


def _is_break(line: str) -> bool:
    """A thematic break (`---`, `***`, `___`), after which Python-Markdown starts a block."""
    marks = line.replace(" ", "")
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(marks) >= 3
        and len(set(marks)) == 1
        and (marks[0] in "-_*")
    )


def _not_a_paragraph(line: str) -> bool:
    """A line an underline does not make a heading: Python-Markdown reads ATX headings (and
    indented code) before setext ones, and everything else that starts a block after them."""
    return line.lstrip(" ").startswith("#")


def _inside(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """A test of whether an offset (visited in increasing order) is inside one of the spans."""
    state = {"i": 0}

    def test(offset: int) -> bool:
        while state["i"] < len(spans) and spans[state["i"]][1] <= offset:
            state["i"] += 1
        return state["i"] < len(spans) and spans[state["i"]][0] <= offset

    return test


def section_level(headings: list[tuple[int, int, int, str]]) -> int:
    """The level of the body's section headings: the highest one used, unless a single heading
    of that level opens the body (a document title), then the next one."""
    levels = [h[2] for h in headings]
    if not levels:
        return 2
    top = min(levels)
    if levels.count(top) == 1 and levels[0] == top and len(set(levels)) > 1:
        return min(level for level in levels if level != top)
    return top


def body_chunks(body: str) -> Iterator[Chunk]:
    """Split a Markdown body at its section headings (see `section_level`) outside fenced code."""
    headings = _headings(body)
    level = section_level(headings)
    heading: str | None = None
    position = line = 0
    for start, end, depth, title in headings:
        if depth > level:
            continue
        if depth < level:  # a document title above the sections: dropped from the text
            yield Chunk(heading, line, body[position : max(position, start - 1)])
            line += body.count("\n", position, end) + 1
            heading, position = None, end + 1
            continue
        yield Chunk(heading, line, body[position : max(position, start - 1)])
        line += body.count("\n", position, end) + 1
        heading, position = title, end + 1
    yield Chunk(heading, line, body[position:])


def _heading_text(rest: str) -> str:
    """An ATX heading's text: the rest of its line without closing `#`s and trailing blanks.

    (A regex ending in `(.+?)[ \t#]*$` took time quadratic in a line of ` # # #...`.)
    """
    return rest.rstrip(" \t#") or rest[:1]


def open_fence_line(body: str) -> int | None:
    """The 0-based line of a code fence the body never closes, if any."""
    _, start = fenced_code(body)
    return None if start is None else body.count("\n", 0, start)


def fenced_code(body: str) -> tuple[list[tuple[int, int]], int | None]:
    """The fenced code blocks of a body as pymdownx.superfences finds them, and a fence never
    closed.

    Blocks are (start, end) offsets, fences included, in order. A fence opens at the start of a
    line (three or more backticks or tildes, then an optional info string) and is closed by the
    same fence alone on a line. A fence never closed is no code block, and nothing after it is
    one either: the rest of the body is text.
    """
    blocks: list[tuple[int, int]] = []
    opening: re.Match[str] | None = None
    for match in _FENCE.finditer("\n" + body):
        if opening is None:
            opening = match
        elif match.group(1) == opening.group(1) and not match.group(2).strip():
            blocks.append((opening.start(), match.end() - 1))
            opening = None
    return blocks, None if opening is None else opening.start()


def without_fenced_code(text: str, *, keep_offsets: bool = False) -> str:
    """`text` with its fenced code blocks blanked, line breaks kept (for checks of the prose and
    the raw HTML, which Markdown looks for once code is set aside). `keep_offsets`: every other
    character of a block becomes a space, so every offset in the text stays where it was."""
    blocks, _ = fenced_code(text)
    if not blocks:
        return text
    out: list[str] = []
    position = 0
    for start, end in blocks:
        code = text[start:end]
        blank = _NOT_NEWLINE.sub(" ", code) if keep_offsets else "\n" * code.count("\n")
        out += [text[position:start], blank]
        position = end
    out.append(text[position:])
    return "".join(out)


def split_body(body: str, placement: Mapping[str, str] | None = None) -> BodySections:
    """The body's narrative per section of the protocol, and its sections of the author's own:
    those named in `PLACEMENT` (or `placement`) are shown in the section they belong to."""
    placed = {**PLACEMENT, **{_normal(k): v for k, v in (placement or {}).items()}}
    result = BodySections()
    for chunk in body_chunks(body):
        heading = chunk.heading
        text = chunk.text.strip("\n")
        key = "summary" if heading is None else section_key(heading)
        if key is None and heading is not None:
            key = placed.get(_normal(heading))
        if key is not None and heading is not None and _normal(heading) != _normal(SECTIONS[key]):
            text = f"### {heading}\n\n{text}"
        if key is None:
            result.extra.append((heading or "", text))
        elif text.strip():
            previous = result.narrative.get(key)
            result.narrative[key] = f"{previous}\n\n{text}" if previous else text
    return result


def code_spans(line: str) -> list[tuple[int, int]]:
    """The inline code spans of one line, as (start, end) offsets, backticks included.

    A run of n backticks opens a span that the next run of exactly n backticks closes; a run
    with no such partner is text. One pass over the runs (linear time, whatever the line).
    """
    runs: list[tuple[int, int]] = []
    position = line.find("`")
    while position != -1:
        end = position + 1
        while end < len(line) and line[end] == "`":
            end += 1
        runs.append((position, end))
        position = line.find("`", end)
    partner: list[int | None] = [None] * len(runs)
    later: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        partner[index] = later.get(length)
        later[length] = index
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        closing = partner[index]
        if closing is None:
            index += 1
            continue
        spans.append((runs[index][0], runs[closing][1]))
        index = closing + 1
    return spans
