"""Raw-HTML blocks of generated pages carried past Markdown verbatim (it parses them slowly).

Python-Markdown copies a raw HTML block to its output unchanged, but finds where the block ends
by running a pure-Python HTML parser over it, and MkDocs parses it a second time for anchors,
which is costly on the generated pages: they are mostly HTML tables and cards.
`stash_html_blocks` swaps each block that Markdown would copy verbatim for a placeholder
paragraph, and `restore_html_blocks` puts the same text back into the converted HTML. A block
qualifies only when there is no doubt about how Markdown reads it: it starts at the beginning
of a line, after a blank line, with a block-level tag; that tag closes at the end of a line,
followed by a blank line (blank lines inside are fine, as for Markdown); it holds no comment,
script, style, code fence or `markdown` attribute; and it is outside fenced code and before any
fence never closed (`sections.fenced_code`). A comment alone on its line, between blank lines
(sanitize.py's markers), qualifies too. Blocks separated only by blank lines share one
placeholder: Markdown's cost is per block, and a section's table and the marker that opens its
body are two. Anything else is left to Markdown.
"""

from __future__ import annotations

import html
import re

from ..core.sections import fenced_code

BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figure"}
    | {"footer", "form", "header", "hgroup", "main", "nav", "ol", "p", "section", "table", "ul"}
    | {"h1", "h2", "h3", "h4", "h5", "h6"}
)
"""Tags Python-Markdown treats as block-level (checked against it by the tests)."""

_START = re.compile(r"<([a-z][a-z0-9]*)(?=[\s/>])")
_TAG_LINE = re.compile(r"^[ \t]*<[a-zA-Z/!?]")
_COMMENT_LINE = re.compile(r"^<!--(?:(?!--).)*-->$")
_UNSAFE_TEXT = ("<!--", "<![", "<?", "<script", "<style", "<textarea", "```", "~~~")
_MARKDOWN_ATTRIBUTE = re.compile(r"\bmarkdown\s*=")
_ANCHOR = re.compile(r"""<[a-zA-Z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def stash_html_blocks(markdown: str, token: str) -> tuple[str, list[str]]:
    """Replace every unambiguous raw-HTML block (and one-line comment) by a placeholder line,
    consecutive ones by one; return the blocks.

    `token` must be a word that cannot occur in the page (e.g. random letters and digits). From
    the first line starting with a tag that is not such a block (it may open a raw region that
    spans blank lines), the rest of the page is left to Markdown untouched.
    """
    if "<" not in markdown:
        return markdown, []
    lines = markdown.split("\n")
    out: list[str] = []
    blocks: list[str] = []
    code, rest = _code_lines(markdown)
    last_token = -1  # where in `out` the last placeholder is
    index = 0
    count = len(lines)

    def stash(block: str) -> None:
        """A block for a placeholder; one following the last placeholder with only blank lines
        between joins its block (Markdown parses each block, placeholders included, at a cost:
        a section's table and the marker of its body become one)."""
        nonlocal last_token
        if blocks and not any(line.strip() for line in out[last_token + 1 :]):
            del out[last_token + 1 :]
            blocks[-1] += "\n" + block
            return
        blocks.append(block)
        out.append(f"{token}x{len(blocks) - 1}")
        last_token = len(out) - 1

    while index < count:
        line = lines[index]
        if index == rest:  # after a fence never closed: Markdowns differ, so touch nothing
            out.extend(lines[index:])
            break
        last = code.get(index)
        if last is not None:  # a fenced code block, fences included
            out.extend(lines[index : last + 1])
            index = last + 1
            continue
        if _TAG_LINE.match(line):
            alone = index == 0 or not lines[index - 1].strip()
            if (
                alone
                and _COMMENT_LINE.match(line)
                and (index + 1 == count or not lines[index + 1].strip())
            ):
                stash(line)  # a one-line comment (e.g. sanitize.py's markers)
                index += 1
                continue
            end = _block_end(lines, index) if alone else None
            if end is None:
                out.extend(lines[index:])
                break
            stash("\n".join(lines[index:end]))
            index = end
            continue
        out.append(line)
        index += 1
    return "\n".join(out), blocks


def _code_lines(markdown: str) -> tuple[dict[int, int], int | None]:
    """First line -> last line of each fenced code block (sections.fenced_code), and the line of
    a fence never closed."""
    spans, unclosed = fenced_code(markdown)
    code: dict[int, int] = {}
    line = offset = 0
    for start, end in spans:
        line += markdown.count("\n", offset, start)
        code[line] = line + markdown.count("\n", start, end)
        line, offset = code[line], end
    rest = None if unclosed is None else markdown.count("\n", 0, unclosed)
    return code, rest


def _block_end(lines: list[str], start: int) -> int | None:
    """The index after a run of raw-HTML blocks starting at `start`, or None if in doubt."""
    index = start
    count = len(lines)
    while True:
        match = _START.match(lines[index])
        if match is None or match.group(1) not in BLOCK_TAGS:
            return None
        tag = match.group(1)
        opening = re.compile(rf"<{tag}(?=[\s/>])")
        closing = f"</{tag}>"
        depth = 0
        first = index
        while index < count:
            line = lines[index]
            depth += len(opening.findall(line)) - line.count(closing)
            index += 1
            if depth <= 0:
                break
        if depth != 0 or not lines[index - 1].endswith(closing):
            return None
        if _unsafe("\n".join(lines[first:index])):
            return None  # a comment, script, fence... something Markdown may treat apart
        if index == count or not lines[index].strip():
            return index
        # Another block follows on the next line: it must qualify too.


def _unsafe(block: str) -> bool:
    """Whether a block holds something Markdown may read apart from plain HTML.

    Substring tests on the lower-cased text, not a regex of alternatives tried at every
    position.
    """
    text = block.lower()
    if any(marker in text for marker in _UNSAFE_TEXT):
        return True
    return "markdown" in text and _MARKDOWN_ATTRIBUTE.search(text) is not None


def restore_html_blocks(content: str, blocks: list[str], token: str) -> str:
    """Put the stashed blocks back in place of their placeholder paragraphs."""
    if not blocks:
        return content
    return re.sub(
        rf"<p>{re.escape(token)}x(\d+)</p>",
        lambda match: blocks[int(match.group(1))],
        content,
    )


def anchor_ids(blocks: list[str]) -> set[str]:
    """Every `id` (and `name`) attribute value in the blocks, as MkDocs collects them."""
    found: set[str] = set()
    for block in blocks:
        for match in _ANCHOR.finditer(block):
            found.add(html.unescape(match.group(1) or match.group(2) or ""))
    return found
