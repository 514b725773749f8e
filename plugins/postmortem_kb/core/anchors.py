"""Heading anchors authors cannot set: attribute lists on body headings neutralised, ids safe.

A body's headings feed the page's table of contents, which themes print outside the sanitised
page body (MkDocs: `page.toc`, printed unescaped). Python-Markdown's `attr_list` lets an author
give a heading any id or TOC label (`### x {id='"><img onerror=...>'}`), so before any engine
sees a body, `without_heading_attributes` escapes the `{` of every attribute list on a heading
line: it shows as the text written, and the engine derives the id from the heading's words.
`safe_anchor` is the one rule for an id that reaches a page: `[A-Za-z0-9_.:/-]` (no quote,
space, `<`, `>`, `&` or `%`), else reduced to a slug.
"""

from __future__ import annotations

import re

from .sections import code_spans, fenced_code

_SAFE_ANCHOR = re.compile(r"[A-Za-z0-9_.:/-]+")
_NOT_ANCHOR = re.compile(r"[^a-z0-9_]+")
_SETEXT_UNDERLINE = re.compile(r"(?:=+|-+)[ \t]*")


def safe_anchor(anchor: str) -> str:
    """`anchor` when it is already `[A-Za-z0-9_.:/-]+` (Material's tags use `tag:process` and
    `<listing>/slug`), else a lower-case slug of it (never empty)."""
    if _SAFE_ANCHOR.fullmatch(anchor):
        return anchor
    return _NOT_ANCHOR.sub("-", anchor.lower()).strip("-") or "section"


def _content_start(line: str) -> int:
    """Where a line's content starts after indentation and block quote or list markers."""
    position, length = 0, len(line)
    while position < length:
        character = line[position]
        if character in " \t>":
            position += 1
        elif character in "-*+" and line[position + 1 : position + 2] in (" ", "\t"):
            position += 2
        elif character.isdigit():
            digits = position
            while digits < length and line[digits].isdigit():
                digits += 1
            if line[digits : digits + 1] in (".", ")") and line[digits + 1 : digits + 2] in (
                " ",
                "\t",
            ):
                position = digits + 2
            else:
                break
        else:
            break
    return position


def _is_atx_heading(line: str, start: int) -> bool:
    hashes = start
    while hashes < len(line) and line[hashes] == "#":
        hashes += 1
    return 1 <= hashes - start <= 6 and line[hashes : hashes + 1] in ("", " ", "\t")


def _escape_braces(line: str) -> str:
    """`line` with every `{` that is not already escaped and not in inline code escaped."""
    if "{" not in line:
        return line
    spans = code_spans(line) if "`" in line else []
    out: list[str] = []
    span_index = 0
    backslashes = 0
    for position, character in enumerate(line):
        while span_index < len(spans) and spans[span_index][1] <= position:
            span_index += 1
        in_code = span_index < len(spans) and spans[span_index][0] <= position
        if character == "{" and not in_code and backslashes % 2 == 0:
            out.append("\\")
        out.append(character)
        backslashes = backslashes + 1 if character == "\\" else 0
    return "".join(out)


def without_heading_attributes(markdown: str) -> str:
    """Author Markdown with the attribute lists of its headings (ATX and setext, also in lists
    and block quotes) turned into text: no author-chosen id or TOC label reaches a page.

    Fenced code is left alone. Linear time: one pass over the lines, one over each heading.
    """
    if "{" not in markdown:
        return markdown
    lines = markdown.split("\n")
    blocks, _ = fenced_code(markdown)
    offset = 0
    block_index = 0
    for number, line in enumerate(lines):
        line_start = offset
        offset += len(line) + 1
        if "{" not in line:
            continue
        while block_index < len(blocks) and blocks[block_index][1] < line_start:
            block_index += 1
        if block_index < len(blocks) and blocks[block_index][0] <= line_start:
            continue  # inside fenced code
        start = _content_start(line)
        following = lines[number + 1] if number + 1 < len(lines) else ""
        underline = following[_content_start(following) :] if following else ""
        if _is_atx_heading(line, start) or (
            line[start:].strip() and _SETEXT_UNDERLINE.fullmatch(underline)
        ):
            lines[number] = _escape_braces(line)
    return "\n".join(lines)
