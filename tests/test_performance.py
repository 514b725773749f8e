"""The speed-ups change nothing but speed: same HTML, same lint findings, same analytics."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from unittest import mock

import markdown
import pytest
import yaml
from conftest import EXAMPLE, build_in_process, scaled
from hypothesis import example, given, settings
from hypothesis import strategies as st
from postmortem_kb.core import loader
from postmortem_kb.core.analytics import (
    REPEAT_MATCHES_LISTED,
    REPEAT_WINDOW_MONTHS,
    analyse,
    repeat_matches,
)
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.lint import patterns
from postmortem_kb.core.lint import rules as lint
from postmortem_kb.core.loader import FrontMatterLoader
from postmortem_kb.core.settings import Settings
from postmortem_kb.render.passthrough import (
    BLOCK_TAGS,
    anchor_ids,
    restore_html_blocks,
    stash_html_blocks,
)

EXTENSIONS = ["admonition", "attr_list", "tables", "toc", "pymdownx.superfences"]
TOKEN = "pmkb0123456789abcdef"

PAGES = {
    "blocks": (
        '# T\n\n<div class="card">\n<p>a *b*</p>\n</div>\n\n'
        "## S\n\n<table>\n<tr><td>x</td></tr>\n</table>\n"
    ),
    "blank line inside": (
        "<section>\n<table>\n<tr><td>1</td></tr>\n</table>\n\n</section>\n\nafter *x*\n"
    ),
    "nested same tag": (
        "<div>\n<div>\n<p>in</p>\n</div>\n</div>\n\n<ul>\n<li>a</li>\n</ul>\n<p>next</p>\n"
    ),
    "text after close": "<div>x</div> and *more*\n\npara\n",
    "markdown right after": "<div>x</div>\n*not a block*\n\n<p>ok</p>\n",
    "fence": "```html\n<div>\n\ncode\n</div>\n```\n\n<div>y</div>\n",
    "fence inside block": "<div>\n\n```\n<p>x</p>\n```\n\n</div>\n",
    "longer fence is no closer": "```\nlog\n````\n\n<div>in code</div>\n\n```\n\n<div>y</div>\n",
    "fence never closed": "```\nlog\n\n<div>x</div>\n\n~~~\n<div>y</div>\n~~~\n",
    "comment spanning": "<!-- a\n\n<div>x</div>\n\n-->\n\n<div>z</div>\n",
    "one-line comments": "<!-- start -->\n\n*x*\n\n<!-- end -->\n\n<div>w</div>\n",
    "markdown attribute": '<div markdown="1">\n*x*\n</div>\n\n<div>y</div>\n',
    "inline start": "<span>a</span> *b*\n\n<div>c</div>\n",
    "after a paragraph": "para\n<div>x</div>\n\n<div>y</div>\n",
    "indented": "- item\n\n    <div>x</div>\n\n<div>y</div>\n",
    "unclosed": "<div>\n<p>x</p>\n\nmore *md*\n",
    "autolink": "<https://example.com>\n\n<div>y</div>\n",
    "heading": '<h2 id="h">Title</h2>\n\n<p class="x">&lt;b&gt;</p>\n',
    "section": (
        '## S\n\n<table class="t">\n<tr><td>1</td></tr>\n</table>\n\n<!-- body a -->\n\n'
        "*text*\n\n<!-- /body a -->\n\n## T\n"
    ),
    "comment in a list": "- item\n\n<!-- c -->\n\n  more\n\n    code\n\n<!-- d -->\n",
    "comment then code": "<!-- c -->\n\n    code\n\n<div>x</div>\n",
}


def _html(source: str) -> str:
    return markdown.markdown(source, extensions=EXTENSIONS)


def _through_stash(source: str) -> tuple[str, list[str]]:
    stashed, blocks = stash_html_blocks(source, TOKEN)
    return restore_html_blocks(_html(stashed), blocks, TOKEN), blocks


def _without_blank_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip())


@pytest.mark.parametrize("name", PAGES)
def test_stashing_raw_html_gives_the_html_markdown_gives(name: str) -> None:
    source = PAGES[name]
    result, _ = _through_stash(source)
    assert TOKEN not in result
    assert _without_blank_lines(result) == _without_blank_lines(_html(source))


def test_only_unambiguous_blocks_are_stashed() -> None:
    _, blocks = _through_stash(PAGES["blocks"])
    assert blocks == [
        '<div class="card">\n<p>a *b*</p>\n</div>',
        "<table>\n<tr><td>x</td></tr>\n</table>",
    ]
    assert _through_stash(PAGES["blank line inside"])[1][0].endswith("</section>")
    for name in ("text after close", "markdown right after", "fence inside block", "unclosed"):
        assert _through_stash(PAGES[name])[1] == [], name
    # After a line that may open a raw region (a comment, an indented tag), nothing is stashed.
    for name in ("comment spanning", "indented", "after a paragraph", "markdown attribute"):
        assert _through_stash(PAGES[name])[1] == [], name
    # One-line comments are stashed too; what follows a placeholder with only blank lines
    # between joins it (one placeholder paragraph for Markdown to parse, not several).
    assert _through_stash(PAGES["one-line comments"])[1] == [
        "<!-- start -->",
        "<!-- end -->\n<div>w</div>",
    ]
    assert _through_stash(PAGES["section"])[1] == [
        '<table class="t">\n<tr><td>1</td></tr>\n</table>\n<!-- body a -->',
        "<!-- /body a -->",
    ]


def test_block_tags_are_block_level_for_markdown() -> None:
    assert set(markdown.Markdown().block_level_elements) >= BLOCK_TAGS


def test_anchor_ids_are_collected_unescaped() -> None:
    blocks = ['<tr id="action-ai-1"><td>x</td></tr>', "<h2 id='a&amp;b'>t</h2><a name=\"n\">"]
    assert anchor_ids(blocks) == {"action-ai-1", "a&b", "n"}


def test_built_incident_page_has_its_html_back_and_no_placeholder(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "INC-2025-007.md")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    page = build.page("incidents/inc-2025-007/")
    assert 'class="pmkb-card' in page
    assert 'id="action-ai-1"' in page
    assert "Alert on connection-pool saturation above 80%." in page
    leftovers = [
        path
        for path in build.site.rglob("*.html")
        if re.search(r"pmkb[0-9a-f]{16}x\d+", path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []


# --- the blame lint's cheap pre-check never hides a finding --------------------------------------

BLAME_PHRASES = [
    "human error",
    "Operator mistakes",
    "carelessly",
    "NEGLIGENCE",
    "sloppiness",
    "lazy",
    "idiotic",
    "shouldn't have",
    "should've",
    "shouldhave",
    "ought to have",
    "the fault of",
    "at fault",
    "to blame",
    "blamed",
    "fat-fingered",
    "dropped the ball",
    "Priya forgot",
    "Raman made a big mistake",
    "messed up",
    "didn't bother",
    "Tomás failed to",
    "he broke",
    "she missed",
    "ignored",
    "Priya's mistake",
    "errors by Priya",
    "an oversight of Raman",
    "slip by Tomás",
]
WORDS = ["the", "deploy", "default", "faulty", "users", "was", "made", "by", "of", "Priya", "."]


def test_pre_check_changes_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    authors = ["Priya Raman", "Tomás Ortega"]
    texts = [f"During the rollout {phrase} the config." for phrase in BLAME_PHRASES]
    texts += [f"Priya {phrase}" for phrase in BLAME_PHRASES]
    with_check = [lint.blame_findings(text, authors) for text in texts]
    monkeypatch.setattr(lint, "_may_match", lambda folded, cues: True)
    assert with_check == [lint.blame_findings(text, authors) for text in texts]
    assert sum(bool(found) for found in with_check[: len(BLAME_PHRASES)]) >= 20


@settings(max_examples=scaled(300), deadline=None)
@given(st.lists(st.sampled_from(WORDS + BLAME_PHRASES), max_size=12))
def test_pre_check_agrees_with_every_pattern(parts: list[str]) -> None:
    text = " ".join(parts)
    folded = text.lower() if text.isascii() else None
    for pattern, cues in (
        (patterns.ALWAYS_BLAME, patterns.ALWAYS_CUES),
        (patterns.MISTAKE, patterns.MISTAKE_CUES),
        (patterns.POSSESSIVE, patterns.POSSESSIVE_CUES),
        (patterns.NOUN_BY, patterns.NOUN_BY_CUES),
    ):
        if pattern.search(text):
            assert lint._may_match(folded, cues), (pattern.pattern[:40], text)


# --- analytics: repeats found through the time window equal a scan of every earlier incident ---


def test_repeat_matches_equal_a_full_scan(tmp_path: Path) -> None:
    """Each incident lists its `recurrence_of` and its most recent pattern matches, as a scan of
    every earlier incident finds them."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from generate import generate

    generate(tmp_path / "postmortems", 400, seed=11)
    corpus = load_corpus(tmp_path / "postmortems")
    incidents = list(corpus.incidents)
    facts = analyse(corpus, Settings(reference_date=incidents[-1].model.written)).incidents
    full_scan = [
        repeat_matches(incident, incidents[:index]) for index, incident in enumerate(incidents)
    ]
    expected = []
    for matches in full_scan:
        recent = [m for m in matches if not m.explicit][-REPEAT_MATCHES_LISTED:]
        expected.append(tuple(m for m in matches if m.explicit or m in recent))
    assert [fact.repeats for fact in facts] == expected
    assert any(m.explicit for r in full_scan for m in r)  # recurrence_of links are exercised
    assert any(not m.explicit for r in full_scan for m in r)  # and the 6-month window
    assert any(len(r) > REPEAT_MATCHES_LISTED for r in full_scan)  # and the limit
    assert REPEAT_WINDOW_MONTHS == 6


# --- the lint looks for blame only around its cues: same findings as a scan of the whole text ---

PUNCTUATION = [",", ".", ";", ":", "(", ")", '"', "\n", "\n\n", "5", "_", "-", "'"]
PUNCTUATION += ["\u2019", "é", "İ"]


@settings(max_examples=scaled(300), deadline=None)
@given(st.lists(st.sampled_from(WORDS + BLAME_PHRASES + PUNCTUATION), min_size=40, max_size=160))
def test_matching_around_cues_finds_what_the_whole_text_gives(parts: list[str]) -> None:
    text = " ".join(parts)
    authors = ["Priya Raman", "Tomás Ortega"]
    around_cues = lint.blame_findings(text, authors)
    with mock.patch.object(lint, "_spans_to_match", lambda text, folded: [(0, len(text))]):
        assert around_cues == lint.blame_findings(text, authors)


def test_matching_around_cues_is_exercised() -> None:
    text = ("The deploy, by default, was fine; " * 20) + "Priya forgot the flag, human error."
    assert len(text) > lint._SHORT_TEXT
    spans = lint._spans_to_match(text, text.lower())
    assert 0 < sum(end - start for start, end in spans) < len(text) // 4
    assert len(lint.blame_findings(text, ["Priya Raman"])) == 2


def test_only_values_with_cues_are_linted_and_findings_are_unchanged(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("summary: ", "summary: Priya forgot it, human error. ", 1)
    (tmp_path / "INC-1.md").write_text(text, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    found = [p for p in corpus.problems if p.rule == "blame-language"]
    assert any(p.field == "summary" for p in found)
    with mock.patch.object(lint, "_with_cues", lambda values: values):
        assert [p for p in load_corpus(tmp_path).problems if p.rule == "blame-language"] == found


# --- the nesting check is skipped only when a count bounds the depth ------------------------------

YAML_PIECES = [
    "- ",
    "? ",
    ": ",
    "a: ",
    "b:",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "\n",
    " ",
    "  ",
    "x",
    "- - ",
]


def _real_depth(text: str) -> int:
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=FrontMatterLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return deepest


def _indentless_chain(levels: int) -> str:
    """A mapping whose value is a sequence in the same column, and so on: 2 levels per column."""
    lines = []
    for level in range(levels // 2):
        lines.append(" " * (2 * level) + "- k:" if level else "k:")
    return "\n".join(lines) + "\n" + " " * (2 * (levels // 2)) + "- end\n"


@settings(max_examples=scaled(500), deadline=None)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=40))
@example(["a: ", "[", "? ", "[", "? "])  # a flow sequence's pair is a mapping without a brace
def test_depth_bound_is_never_below_the_real_depth(parts: list[str]) -> None:
    text = "".join(parts)
    bound = loader.depth_bound(text)
    assert bound is None or _real_depth(text) <= bound


def test_depth_bound_on_deep_block_and_flow_nesting() -> None:
    for levels in range(2, 80, 3):
        text = _indentless_chain(levels)
        assert _real_depth(text) <= loader.depth_bound(text)  # type: ignore[operator]
    nested: object = "leaf"
    for level in range(40):
        nested = {"k": nested} if level % 2 else [nested]
    for style in (False, True, None):
        text = yaml.safe_dump({"root": nested}, default_flow_style=style, indent=2)
        assert _real_depth(text) <= loader.depth_bound(text)  # type: ignore[operator]
    for deep in (_indentless_chain(40), "a: " + "[b: " * 17 + "c" + "]" * 17):
        with pytest.raises(loader.LoadError, match="nested more than 32 levels deep"):
            loader.load_yaml(deep, "x.md")


def _load_outcome(text: str) -> object:
    try:
        return loader.load_yaml(text, "x.md", first_line=2)
    except loader.LoadError as exc:
        return exc.problems


@settings(max_examples=scaled(300), deadline=None)
@given(st.lists(st.sampled_from([*YAML_PIECES, "&a ", "*a", "*b", '"', "!!python/x ", "\t"])))
def test_skipping_the_nesting_check_changes_no_outcome(parts: list[str]) -> None:
    text = "".join(parts)
    outcome = _load_outcome(text)
    with mock.patch.object(loader, "_may_be_deep", lambda text: True):
        assert outcome == _load_outcome(text)


_SEGMENT = st.sampled_from(["a", "b", "incidents", "inc-1", "x.json", "index.html"])


@given(
    dest=st.lists(_SEGMENT, max_size=4).map("/".join),
    folder=st.booleans(),
    base=st.lists(_SEGMENT, max_size=4).map(lambda parts: "".join(f"{p}/" for p in parts)),
)
def test_relative_urls_match_posixpath_relpath(dest: str, folder: bool, base: str) -> None:
    import posixpath

    from postmortem_kb.render.paths import relative_url

    dest = dest + "/" if folder and dest else dest
    expected = posixpath.relpath(dest or ".", base.rstrip("/") or ".")
    if dest.endswith("/") or not dest:
        expected = "./" if expected == "." else expected + "/"
    assert relative_url(dest, base) == expected
