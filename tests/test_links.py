"""Links between post-mortems: a relative link to the other file (what works on GitHub) or a
bare incident id leads to its incident page on the site; a broken one is `path:line`."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import EXAMPLE, build_in_process, make_project
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.core.corpus import CorpusLoader

OTHER = "INC-2025-008-cache.md"


def _write(project: Path, extra_body: str) -> None:
    folder = project / "postmortems"
    text = EXAMPLE.read_text(encoding="utf-8")
    (folder / "INC-2025-007-ledger.md").write_text(text + extra_body, encoding="utf-8")
    other = text.replace("id: INC-2025-007", "id: INC-2025-008", 1)
    (folder / OTHER).write_text(other, encoding="utf-8")


BODY = f"""

## Related reading

Same failure as [the cache incident]({OTHER}), see [its timeline](../postmortems/{OTHER}#timeline).
Also INC-2025-008 in prose, but `INC-2025-008` in code stays code, and so does
[INC-2025-008 written as a link](https://tracker.example.com/INC-2025-008).
"""


def test_links_to_other_postmortem_files_and_ids_reach_their_pages(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    _write(project, BODY)
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    page = build.page("incidents/inc-2025-007/")
    section = page.split('id="related-reading"', 1)[1].split('id="related-incidents"', 1)[0]

    def linked(href: str, text: str) -> bool:
        return (
            re.search(rf'<a href="{re.escape(href)}"[^>]*>{re.escape(text)}</a>', section)
            is not None
        )

    assert linked("../inc-2025-008/", "the cache incident")
    assert linked("../inc-2025-008/#timeline", "its timeline")
    assert linked("../inc-2025-008/", "INC-2025-008")
    assert "<code>INC-2025-008</code>" in section
    assert linked("https://tracker.example.com/INC-2025-008", "INC-2025-008 written as a link")
    assert OTHER not in section


def test_links_after_a_fenced_code_block_land_where_they_were_written() -> None:
    from postmortem_kb.core.links import rewrite_links

    body = (
        "## Root cause\n\n```text\nlong log line 2026-01-01T10:00:00Z gw 413\n```\n\n"
        "## Action items\n\nAI-4 was cancelled.\n\n`related` links INC-2024-018: the same.\n"
    )
    out = rewrite_links(body, Path("x.md"), lambda _: None, lambda ref: f"../{ref.lower()}/")
    assert out == body.replace("links INC-2024-018:", "links [INC-2024-018](../inc-2024-018/):")


def test_a_broken_link_to_a_postmortem_is_reported_with_its_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    _write(project, "\n\nSee [the old one](INC-2024-001-gone.md) and [docs](../docs/x.md).\n")
    corpus = CorpusLoader().load(project / "postmortems")
    text = (project / "postmortems" / "INC-2025-007-ledger.md").read_text(encoding="utf-8")
    line = (
        text.split("\n").index("See [the old one](INC-2024-001-gone.md) and [docs](../docs/x.md).")
        + 1
    )
    assert [p.format() for p in corpus.problems] == [
        f"INC-2025-007-ledger.md:{line}: body: link to 'INC-2024-001-gone.md': no such"
        " post-mortem file"
    ]
    assert build_in_process(project).returncode == 1


def test_finding_links_is_linear_in_hostile_lines() -> None:
    import time
    from pathlib import Path as P

    from postmortem_kb.core.links import rewrite_links

    def took(body: str) -> float:
        start = time.perf_counter()
        rewrite_links(body, P("/x/a.md"), lambda _: "p/", lambda _: "q/")
        return time.perf_counter() - start

    for unit in ("[", "](", "<", "[a](", "](x.md ", "`", "``a", "A-1", "A-1a", "[A-1](", " A-1-"):
        small, large = took(unit * 20_000), took(unit * 80_000)
        assert large < max(0.05, small * 12), (unit, small, large)  # 4x input: ~4x time


# The scanners are written so the regex engine skips to the characters they can start at; each
# must find exactly what its plain form (below) finds.
PLAIN_FORMS = {
    "_CODE_SPAN": r"`+[^`\n]*`+",
    "_LINK_SPAN": r"!?\[[^\[\]\n]*\](?:\([^()\n]*\)|\[[^\[\]\n]*\])?|<[^<>\n]*>",
    "_BARE_ID": r"(?<![\w/.#\[-])[A-Z][A-Z0-9]*-\d[\w-]*\d(?![\w\]-]|\.md)",
}


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="AZa1-0_/.#[]()<>!`\n é", max_size=60))
def test_link_scanners_find_what_their_plain_forms_find(text: str) -> None:
    from postmortem_kb.core import links

    for name, plain in PLAIN_FORMS.items():
        found = [m.span() for m in getattr(links, name).finditer(text)]
        assert found == [m.span() for m in re.finditer(plain, text)], name


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="AIaz19-_ .#é\n", max_size=60))
def test_incident_ids_in_text_are_found_as_their_plain_form_finds_them(text: str) -> None:
    """pages._INCIDENT_REF (ids in action items and other front-matter text) finds what its plain
    form finds, and each id it finds is among the words looked up first (pages._WORDS)."""
    from postmortem_kb.render import pages

    plain = r"(?<![\w-])([A-Za-z][\w-]*)(?: (AI-\d+))?"
    found = [(m.span(), m.groups()) for m in pages._INCIDENT_REF.finditer(text)]
    assert found == [(m.span(), m.groups()) for m in re.finditer(plain, text)]
    words = set(pages._WORDS.findall(text))
    assert all(groups[0] in words for _, groups in found)
