"""HTML blocks left open in a body: found as Python-Markdown finds them, closed in their section."""

from __future__ import annotations

import markdown
import pytest
from conftest import scaled
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.core.open_html import OpenBlock, close_open_blocks, open_blocks

AFTER = "\n\n## After\n"
"""What the page adds after a body section: Markdown that must still render."""


def renders_after(text: str) -> bool:
    html = markdown.markdown(text + AFTER, extensions=["pymdownx.superfences"])  # as this site
    return "<h2>After</h2>" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Notes:\n\n<div class='note'>\nhello\n\n- a\n", [OpenBlock("div", 2)]),
        ("<details><summary>Logs</summary>\n\n<pre>x</pre>\n", [OpenBlock("details", 0)]),
        ("<div>\n  <section>\n\nText", [OpenBlock("div", 0), OpenBlock("section", 1)]),
        ("<div><img src=x><br>\n\nmore", [OpenBlock("div", 0)]),  # void tags need no end tag
        ("Text\n\n  <div>\nmore", [OpenBlock("div", 2)]),  # up to 3 spaces before
        ("Text\n\n\t<div>\nmore", []),  # a tab is 4 columns: indented code
        ("<div>\n<p>x</p>\n</div>\n", []),
        ("text <div> inside a paragraph\n", []),  # not at a line start: no raw block
        ("    <div>\n", []),  # indented code
        ("```html\n<div>\n```\n", []),  # fenced code
        ("~~~~\n<div>\n~~~\n~~~~\n\nafter", []),  # a shorter fence does not close a longer one
        ("No HTML at all.", []),
    ],
)
def test_open_blocks_are_the_ones_markdown_leaves_open(
    text: str, expected: list[OpenBlock]
) -> None:
    assert open_blocks(text) == expected
    assert renders_after(text) == (not expected)  # Markdown itself agrees
    closed = close_open_blocks(text)
    assert renders_after(closed)
    assert open_blocks(closed) == []
    assert (closed == text) == (not expected)


PIECES = ["<div>", "</div>", "<details>", "<summary>x</summary>", "</details>", "<section>"]
PIECES += ["</section>", "<p>", "</p>", "<span>", "</span>", "<img src=x>", "<hr>", "<!-- c -->"]
PIECES += ["text", "", "  <div>", "\t<div>", "    <div>", "```", "~~~", "`<div>`", "- item"]


@settings(max_examples=scaled(300), deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=10))
def test_markdown_agrees_on_any_mix_of_tags_and_fences(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert renders_after(text) == (not open_blocks(text))
    assert renders_after(close_open_blocks(text))
