"""A Markdown document as import reads it: headings (ATX and setext, any level), paragraphs,
lists (with checkboxes), pipe tables and fenced code, each with its lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(?:\[([ xX])\]\s+)?(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass
class Item:
    """One list item: its text (continuation lines joined) and checkbox state, if any."""

    text: str
    checked: bool | None
    depth: int


@dataclass
class Block:
    """A heading, paragraph, list, table or code block, with its lines [start, end)."""

    kind: str
    start: int
    end: int
    text: str = ""
    level: int = 0
    items: list[Item] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    core = line.strip()
    core = core[1:] if core.startswith("|") else core
    core = core[:-1] if core.endswith("|") and not core.endswith("\\|") else core
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", core)]


def parse(lines: list[str]) -> list[Block]:
    """The blocks of a Markdown document, in order."""
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            j = i + 1
            while j < n and not lines[j].strip().startswith(fence.group(1)):
                j += 1
            blocks.append(Block("code", i, min(j + 1, n), "\n".join(lines[i : j + 1])))
            i = j + 1
            continue
        atx = _ATX.match(line)
        if atx:
            blocks.append(Block("heading", i, i + 1, atx.group(2).strip(), len(atx.group(1))))
            i += 1
            continue
        if "|" in line and i + 1 < n and _TABLE_RULE.match(lines[i + 1]):
            j = i + 2
            rows = [_cells(line)]
            while j < n and "|" in lines[j] and lines[j].strip():
                rows.append(_cells(lines[j]))
                j += 1
            blocks.append(Block("table", i, j, rows=rows))
            i = j
            continue
        if _ITEM.match(line):
            j = i
            items: list[Item] = []
            while j < n:
                match = _ITEM.match(lines[j])
                if match:
                    checked = None if match.group(3) is None else match.group(3) != " "
                    items.append(Item(match.group(4).strip(), checked, len(match.group(1))))
                elif lines[j].strip() and lines[j].startswith((" ", "\t")) and items:
                    items[-1].text += " " + lines[j].strip()
                elif not lines[j].strip() and j + 1 < n and _ITEM.match(lines[j + 1]):
                    pass
                else:
                    break
                j += 1
            blocks.append(Block("list", i, j, items=items))
            i = j
            continue
        if _SETEXT.match(line):  # an underline with no text above it: a thematic break
            blocks.append(Block("rule", i, i + 1, line.strip()))
            i += 1
            continue
        j = i
        while (
            j < n and lines[j].strip() and not _ATX.match(lines[j]) and not _FENCE.match(lines[j])
        ):
            setext = _SETEXT.match(lines[j])
            if setext and j > i:
                break
            if j > i and _ITEM.match(lines[j]):
                break
            j += 1
        setext = _SETEXT.match(lines[j]) if j < n and j > i else None
        if setext and j == i + 1 and not _ITEM.match(lines[i]):
            level = 1 if setext.group(1).startswith("=") else 2
            blocks.append(Block("heading", i, j + 1, lines[i].strip(), level))
            i = j + 1
            continue
        if setext and j > i + 1:
            # A multi-line paragraph underlined: CommonMark makes all of it the heading; authors
            # mean the last line. Keep the earlier lines as a paragraph.
            blocks.append(Block("para", i, j - 1, " ".join(x.strip() for x in lines[i : j - 1])))
            level = 1 if setext.group(1).startswith("=") else 2
            blocks.append(Block("heading", j - 1, j + 1, lines[j - 1].strip(), level))
            i = j + 1
            continue
        blocks.append(Block("para", i, j, "\n".join(x.strip() for x in lines[i:j])))
        i = j
    return blocks
