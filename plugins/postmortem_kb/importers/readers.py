"""Source documents read as Markdown: Markdown as it is, HTML exports (Google Docs "Web page",
Confluence) through the standard library's parser, and .docx through python-docx."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
HTML_SUFFIXES = (".html", ".htm")
DOCX_SUFFIXES = (".docx",)


class UnsupportedFormat(ValueError):
    """A file import cannot read (its suffix, or .docx without the `import` extra)."""


def read_as_markdown(path: Path) -> tuple[str, str]:
    """The document as Markdown, and its format: markdown, html or docx."""
    suffix = path.suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n"), "markdown"
    if suffix in HTML_SUFFIXES:
        return html_to_markdown(path.read_text(encoding="utf-8-sig")), "html"
    if suffix in DOCX_SUFFIXES:
        return docx_to_markdown(path), "docx"
    known = ", ".join((*MARKDOWN_SUFFIXES, *HTML_SUFFIXES, *DOCX_SUFFIXES))
    raise UnsupportedFormat(f"cannot import {path.suffix or 'a file without suffix'}: use {known}")


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def pipe_table(rows: list[list[str]]) -> str:
    """Rows of cell texts as a Markdown table, the first row its header."""
    width = max(len(row) for row in rows)
    padded = [[_cell(c) for c in row] + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(padded[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in padded[1:]]
    return "\n".join(lines)


_SKIP = {"script", "style", "head", "title", "noscript"}
_BLOCKS = {"p", "div", "section", "article", "blockquote", "hr", "header", "footer"}


class _HtmlToMarkdown(HTMLParser):
    """Headings, paragraphs, lists (with Confluence task states), tables, links and emphasis."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.line: list[str] = []
        self.skip = 0
        self.lists: list[str] = []
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.heading = 0
        self.href: list[str | None] = []
        self.pre = False
        self.heading_tag = ""
        self.suppress = 0
        """Inside a footnote link: its text ("[1]") is replaced by the Markdown marker."""
        self.items = 0
        """Open <li> elements: block tags inside an item do not break it."""

    def _flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        if self.pre:
            self.out.append(text)
            return
        text = re.sub(r"[ \t\u00a0]+", " ", text).strip()
        if text:
            self.out.append(text)
            self.out.append("")

    def _emit(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        else:
            self.line.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag in _SKIP:
            self.skip += 1
        elif self.skip:
            return
        elif re.fullmatch(r"h[1-6]", tag) or (tag == "p" and "title" in _classes(attr)):
            self._flush()  # Google Docs writes its Title style as <p class="title">
            self.heading = int(tag[1]) if tag != "p" else 1
            self.heading_tag = tag
            self.line.append("#" * self.heading + " ")
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append(tag)
        elif tag == "li":
            self._flush()
            self.items += 1
            indent = "  " * (len(self.lists) - 1)
            bullet = "1." if self.lists and self.lists[-1] == "ol" else "-"
            css = attr.get("class") or ""
            task = ""
            if "data-inline-task-id" in attr or "checked" in css.split():
                task = "[x] " if "checked" in css.split() else "[ ] "
            self.line.append(f"{indent}{bullet} {task}")
        elif tag == "input" and attr.get("type") == "checkbox":
            self._emit("[x] " if "checked" in attr else "[ ] ")
        elif tag == "table":
            self._flush()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
        elif tag in ("strong", "b") and not self.heading:
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "code" and not self.pre:
            self._emit("`")
        elif tag == "pre":
            self._flush()
            self.out.append("```")
            self.pre = True
        elif tag == "a":
            href = attr.get("href") or ""
            note = re.fullmatch(r"#ftnt(_ref)?(\d+)", href)  # Google Docs footnotes
            if note:
                self.suppress += 1
                self._emit(f"[^{note.group(2)}]" + (": " if note.group(1) else ""))
                self.href.append(None)
                return
            keep = href if href and not href.startswith("#") else None
            self.href.append(keep)
            if keep:
                self._emit("[")
        elif tag in _BLOCKS and self.cell is None and not self.items:
            self._flush()
            if tag == "hr":
                self.out += ["---", ""]
        elif tag == "br":
            self._emit(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif self.skip:
            return
        elif re.fullmatch(r"h[1-6]", tag) or (tag == "p" and self.heading_tag == "p"):
            self.heading = 0
            self.heading_tag = ""
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self.out.append("")
        elif tag == "li":
            self.items = max(0, self.items - 1)
            raw = "".join(self.line)
            body = raw.lstrip(" ")
            text = raw[: len(raw) - len(body)] + re.sub(r"[ \t\u00a0]+", " ", body).rstrip()
            self.line = []
            if text.strip(" -1.[]x"):
                self.out.append(text)
        elif tag in ("td", "th") and self.table is not None and self.cell is not None:
            if self.table:
                self.table[-1].append("".join(self.cell))
            self.cell = None
        elif tag == "table" and self.table is not None:
            rows = [row for row in self.table if any(c.strip() for c in row)]
            self.table = None
            if rows:
                self.out += [pipe_table(rows), ""]
        elif tag in ("strong", "b") and not self.heading:
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "code" and not self.pre:
            self._emit("`")
        elif tag == "pre":
            self._flush()
            self.out += ["```", ""]
            self.pre = False
        elif tag == "a" and self.href:
            href = self.href.pop()
            self.suppress = 0
            if href:
                self._emit(f"]({href})")
        elif tag in _BLOCKS and self.cell is None and not self.items:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip or self.suppress:
            return
        self._emit(data if self.pre else data.replace("\n", " "))

    def markdown(self) -> str:
        self._flush()
        text = "\n".join(self.out)
        text = re.sub(r"\*\*(\s*)\*\*", r"\1", text)  # Google Docs splits bold runs
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _classes(attr: dict[str, str | None]) -> list[str]:
    return (attr.get("class") or "").split()


def html_to_markdown(html: str) -> str:
    """An HTML export as Markdown."""
    parser = _HtmlToMarkdown()
    parser.feed(html)
    parser.close()
    return parser.markdown()


_CHECKED = ("☒", "☑", "✅", "[x]", "[X]")
_UNCHECKED = ("☐", "[ ]")


def docx_to_markdown(path: Path) -> str:
    """A Word document's headings, paragraphs, lists and tables, in order, as Markdown."""
    try:
        import docx  # the optional `import` extra
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise UnsupportedFormat(
            "reading .docx needs python-docx: pip install 'postmortem-kb[import]'"
        ) from error
    document: Any = docx.Document(str(path))
    out: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [[cell.text for cell in row.cells] for row in block.rows]
            if rows:
                out += [pipe_table(rows), ""]
            continue
        assert isinstance(block, Paragraph)
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        level = re.fullmatch(r"Heading (\d)", style)
        if style == "Title":
            out += [f"# {text}", ""]
        elif level:
            out += ["#" * int(level.group(1)) + " " + text, ""]
        elif style.startswith("List"):
            for mark in _CHECKED:
                if text.startswith(mark):
                    text = "[x] " + text[len(mark) :].strip()
            for mark in _UNCHECKED:
                if text.startswith(mark):
                    text = "[ ] " + text[len(mark) :].strip()
            out.append(("1. " if "Number" in style else "- ") + text)
        else:
            if out and re.match(r"^(- |1\. )", out[-1]):
                out.append("")
            out += [text, ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
