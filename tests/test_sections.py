"""How a body splits into its sections (ATX or setext, at the level the author uses), fenced
code respected."""

from __future__ import annotations

import html
import itertools
import re

import markdown
from conftest import scaled
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.core.sections import (
    body_chunks,
    open_fence_line,
    section_level,
    split_body,
)

LINES = ["## Impact", "## Lessons learned ##", "```", "````py", "~~~", "  ```", "    ```", "text"]
LINES += ["", "### Sub", "##nospace", " ## indented", "<div>"]


@settings(max_examples=scaled(400), deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=20), st.sampled_from(["", "\n"]))
def test_chunks_are_the_body_between_its_headings(lines: list[str], end: str) -> None:
    body = "\n".join(lines) + end
    rows = body.split("\n")
    chunks = list(body_chunks(body))
    assert chunks[0].heading is None and chunks[0].start == 0
    for chunk in chunks:
        count = len(chunk.text.split("\n"))
        if chunk.text:  # (an empty text may be no line at all)
            assert "\n".join(rows[chunk.start : chunk.start + count]) == chunk.text
        if chunk.heading is not None:
            assert rows[chunk.start - 1].lstrip("#").strip(" #") == chunk.heading
    # Between two headings, every line is in the chunk.
    for chunk, following in itertools.pairwise(chunks):
        assert chunk.start + len(chunk.text.split("\n")) >= following.start - 1


def test_headings_in_fenced_code_do_not_split() -> None:
    body = (
        "Intro\n\n````md\n## Not a section\n```\nstill code\n````\n\n## Impact assessment\n\nBig."
    )
    chunks = list(body_chunks(body))
    assert [(c.heading, c.start) for c in chunks] == [(None, 0), ("Impact assessment", 9)]
    assert "## Not a section" in chunks[0].text
    assert split_body(body).narrative["impact"] == "Big."
    assert open_fence_line(body) is None


def test_a_fence_never_closed_is_text_and_so_is_every_fence_after_it() -> None:
    body = "Intro\n\n```\nlog\n\n## Impact assessment\n\n~~~\n## Lessons learned\n~~~\n"
    assert open_fence_line(body) == 2
    assert [c.heading for c in body_chunks(body)] == [None, "Impact assessment", "Lessons learned"]


def test_a_fence_is_closed_by_the_same_fence_alone_on_a_line() -> None:
    body = "````md\n## a\n```\n## b\n````py\n## c\n````  \n## d\n"
    assert [c.heading for c in body_chunks(body)] == [None, "d"]


FENCED_BODY = ["## A", "## B ##", "## What went well", "### C", "```", "````", "~~~", "```py"]
FENCED_BODY += ["text", "", "> quote", "- item", "# T", "Setext\n======", "Other\n------", "---"]


@settings(max_examples=scaled(300), deadline=None)
@given(st.lists(st.sampled_from(FENCED_BODY), min_size=1, max_size=12))
def test_sections_start_where_markdown_renders_a_heading_of_the_section_level(
    lines: list[str],
) -> None:
    body = "\n".join(lines)
    rendered = markdown.markdown(body, extensions=["pymdownx.superfences"])  # as this site
    # A heading inside a quote or a list item is no section of the page.
    rendered = re.sub(r"<(blockquote|ul|ol)>.*?</\1>", "", rendered, flags=re.DOTALL)
    found = [(int(n), html.unescape(h)) for n, h in re.findall(r"<h([1-6])>(.*?)</h\1>", rendered)]
    level = section_level([(0, 0, n, h) for n, h in found])
    expected = [h for n, h in found if n == level]
    assert [c.heading for c in body_chunks(body) if c.heading is not None] == expected


def test_setext_headings_and_any_starting_level_are_sections() -> None:
    body = (
        "Outage of the resolver\n======================\n\nIntro.\n\nRoot cause\n----------\n\n"
        "The EDNS default.\n\nRemediation\n-----------\n\nRolled back.\n"
    )
    sections = split_body(body)
    assert sections.narrative["summary"] == "Intro."
    assert "The EDNS default." in sections.narrative["root_cause"]
    # An author's own section is shown in the section it belongs to, under its heading.
    assert sections.narrative["actions"] == "### Remediation\n\nRolled back."
    assert sections.extra == []
    deep = split_body("### Timeline\n\n10:00 up\n\n### Attendees\n\nA, B\n")
    assert deep.narrative["timeline"] == "### Timeline\n\n10:00 up"
    assert deep.narrative["summary"] == "### Attendees\n\nA, B"
    mine = split_body("## Customer comms\n\nSent.\n", {"Customer comms": "impact"})
    assert mine.narrative["impact"] == "### Customer comms\n\nSent."
