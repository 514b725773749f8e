"""The protocol's eight post-mortem sections and how a body's `##` headings map onto them."""

from __future__ import annotations

import re
from collections.abc import Iterator
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

_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


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
    """The lines of a body under one `##` heading (or before the first)."""

    heading: str | None
    start: int
    """0-based line of the body where `lines` start."""
    lines: list[str]
    open_fence: int | None = None
    """0-based line of the body of a code fence never closed (on the last chunk only)."""


def body_chunks(body: str) -> Iterator[Chunk]:
    """Split a Markdown body at level-2 headings outside fenced code blocks."""
    heading: str | None = None
    start = 0
    chunk: list[str] = []
    fence: str | None = None
    fence_line = 0
    for index, line in enumerate(body.split("\n")):
        marker = _FENCE.match(line)
        if marker:
            if fence is None:
                fence, fence_line = marker.group(1), index
            elif marker.group(1).startswith(fence):
                fence = None
        elif fence is None and (match := _HEADING.match(line)):
            yield Chunk(heading, start, chunk)
            heading, start, chunk = match.group(1), index + 1, []
            continue
        chunk.append(line)
    yield Chunk(heading, start, chunk, None if fence is None else fence_line)


def split_body(body: str) -> BodySections:
    """The body's narrative per section of the protocol, and its sections of the author's own."""
    result = BodySections()
    for chunk in body_chunks(body):
        heading = chunk.heading
        text = "\n".join(chunk.lines).strip("\n")
        key = "summary" if heading is None else section_key(heading)
        if key is not None and heading is not None and _normal(heading) != _normal(SECTIONS[key]):
            text = f"### {heading}\n\n{text}"
        if key is None:
            result.extra.append((heading or "", text))
        elif text.strip():
            previous = result.narrative.get(key)
            result.narrative[key] = f"{previous}\n\n{text}" if previous else text
    return result
