"""Planted payloads that a browser would run, found in generated HTML (bad-input and fuzz tests).

A test plants hostile text carrying a marker in post-mortems; the scanner reports each place in
the output where that text became live markup instead of text: an element or event attribute,
a script URL, an embedding element, or script text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcdoc"}
EMBEDDING_TAGS = {"iframe", "object", "embed", "form", "frame", "base", "link"}
JSON_TYPES = {"application/json", "application/ld+json"}


class _PayloadScanner(HTMLParser):
    def __init__(self, marks: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.marks = marks
        marked = "|".join(re.escape(mark) for mark in marks)
        self.raw_markup = re.compile(
            rf"<[a-zA-Z/!][^<>]*(?:{marked})|<(?:script|style|img)\b", re.I
        )
        self.found: list[str] = []
        self._raw: tuple[str, str] | None = None

    def planted(self, text: str) -> bool:
        return any(mark in text for mark in self.marks)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.marks:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            text = value or ""
            scheme = re.sub(r"[\x00-\x20]", "", text).lower()
            if name.startswith("on") and (self.planted(text) or self.planted(name)):
                self.found.append(f"<{tag} {name}={text!r}>")
            if name in URL_ATTRIBUTES and (
                scheme.startswith(("javascript:", "vbscript:"))
                or (scheme.startswith("data:") and (self.planted(text) or "PHN2Zy" in text))
            ):
                self.found.append(f"<{tag} {name}={text!r}>")
            if tag in EMBEDDING_TAGS and self.planted(text):
                self.found.append(f"<{tag} {name}={text!r}>")
        if tag in ("script", "style"):
            self._raw = (tag, dict(attrs).get("type") or "")

    def handle_endtag(self, tag: str) -> None:
        if self._raw and tag == self._raw[0]:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is None:
            return
        tag, kind = self._raw
        if tag == "script" and kind in JSON_TYPES:
            if self.raw_markup.search(data):  # JSON in HTML must escape <, > and &
                self.found.append(f"raw markup in <script type={kind}>: {data[:120]!r}")
        elif self.planted(data):
            self.found.append(f"payload inside <{tag}>: {data[:120]!r}")


def html_payloads(html: str, marks: tuple[str, ...]) -> list[str]:
    """Where text carrying one of `marks` became live markup in `html`."""
    scanner = _PayloadScanner(marks)
    scanner.feed(html)
    scanner.close()
    return scanner.found
