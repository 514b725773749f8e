"""What a search indexer parses of a generated page: the same words in far less HTML.

Material's search plugin runs a pure-Python HTML parser over the whole content of every page.
It drops what sits in a `data-search-exclude` element, and of every other element it keeps the
text, plus the markup of a few tags (paragraphs, lists, code, headings start sections). On an
incident page the generated blocks (summary card, timeline, tables) are mostly markup: parsing
them costs more than parsing the author's text. `SearchView.hide` gives each raw-HTML block the
page generator made a stand-in while the indexer runs: nothing for an excluded block, its bare
text for a block with no markup the index keeps; any other block stays as it is. `show` puts the
blocks back. Stand-ins are fenced by comments, which the parser ignores.
"""

from __future__ import annotations

import re

_EXCLUDED = re.compile(r"<[a-z][a-z0-9]*\s[^>]*?\bdata-search-exclude\b[^>]*>")
_STRUCTURE = re.compile(
    r"<(?:p|code|pre|li|ol|ul|sub|sup|h[1-6]|script|style|object)[\s/>]"
    r"|data-search-|linenodiv",
    re.IGNORECASE,
)
"""What the indexer treats apart: kept tags, sections, skipped content, exclusions."""
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_SPACE = re.compile(r"\s+")


def stand_in(block: str) -> str | None:
    """What the indexer may parse instead of a raw-HTML block (None: the block itself)."""
    if _EXCLUDED.match(block):
        return ""
    if _STRUCTURE.search(block):
        return None
    return _SPACE.sub(" ", _TAG.sub("", block)).strip()


class SearchView:
    """Swaps a page's generated blocks for their stand-ins, and back."""

    def __init__(self, token: str) -> None:
        self.token = token
        """A word that cannot occur in a page (it fences the stand-ins)."""
        word = re.escape(token)
        self._fenced = re.compile(rf"<!-- {word} (\d+) -->.*?<!-- /{word} \1 -->", re.DOTALL)

    def hide(self, content: str, blocks: list[str]) -> tuple[str, list[str]]:
        """The content to index, and the blocks taken out of it (in the order of `show`)."""
        held: list[str] = []
        for block in blocks:
            text = stand_in(block)
            if text is None or block not in content:
                continue
            index = len(held)
            content = content.replace(block, f"{self._open(index)}{text}{self._close(index)}", 1)
            held.append(block)
        return content, held

    def show(self, content: str, held: list[str]) -> str:
        """The content with every held block back in place of its stand-in."""
        if not held:
            return content
        # One pass over the page (a find and a slice per block copied the page each time).
        # A stand-in whose fences another plugin removed stays as it is.
        return self._fenced.sub(lambda match: held[int(match.group(1))], content)

    def _open(self, index: int) -> str:
        return f"<!-- {self.token} {index} -->"

    def _close(self, index: int) -> str:
        return f"<!-- /{self.token} {index} -->"
