"""Hostile and broken post-mortems: one real site with every bad case and some valid files.

The corpus is `tests/bad_inputs/` (expectations in its `expected.yaml`), plus a few cases written
here as bytes. One strict `mkdocs build` runs over all of them; each case's error is looked up in
its log, the valid files are counted against the incident pages, and every file of the built site
is scanned for the script payloads planted in every rendered field.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, Build, build_site, make_project
from payloads import html_payloads
from postmortem_kb.core.loader import read_document

CASES = Path(__file__).resolve().parent / "bad_inputs"
MANIFEST = yaml.safe_load((CASES / "expected.yaml").read_text(encoding="utf-8"))
EXPECTED: dict[str, dict[str, object]] = {**MANIFEST["cases"], **MANIFEST["generated"]}
MARK = "pmkb-xss"
"""Every planted payload carries this marker."""

CUSTOM_REGULATION = """\
      regulations:
        XSS-REG:
          name: "Reg <script>alert('pmkb-xss')</script>"
          requirement: "Notify <img src=x onerror=alert('pmkb-xss')> within 3 days"
          notification_days: 3
          industries: [fintech]
"""


def _with_id(text: str, new_id: str) -> str:
    return text.replace("id: INC-2025-007", f"id: {new_id}", 1)


def _generated_cases() -> dict[str, bytes]:
    """Cases whose bytes do not belong in git: encodings, line endings, sizes."""
    example = EXAMPLE.read_text(encoding="utf-8")
    head, _, _ = example.partition("\ntitle:")
    return {
        "non_utf8.md": (head + "\ntitle: Caf\xe9 outage\n---\n").encode("latin-1"),
        "control_character.md": (head + "\ntitle: bell \x07 rang\n---\n").encode(),
        "huge_body.md": _with_id(example, "GEN-HUGE").encode() + b"x" * (5 * 1024 * 1024),
        "deeper_nesting.md": b"---\nwent_well: " + b"[" * 200_000 + b"]" * 200_000 + b"\n---\n",
        "bom.md": b"\xef\xbb\xbf" + _with_id(example, "GEN-BOM").encode(),
        "crlf.md": _with_id(example, "GEN-CRLF").replace("\n", "\r\n").encode(),
    }


VALID_EXTRAS = {
    "valid.md": EXAMPLE.read_text(encoding="utf-8"),
    "valid_second.md": _with_id(EXAMPLE.read_text(encoding="utf-8"), "VALID-002"),
}
"""Well-formed post-mortems that must keep rendering next to the bad ones."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Every case in one strict `mkdocs build`, as a subprocess: its exit status and output are
    what these tests check."""
    project = make_project(tmp_path_factory.mktemp("bad-inputs"))
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    anchor = "      postmortems_dir: postmortems\n"
    assert anchor in config, "mkdocs.yml no longer sets postmortems_dir; update this test"
    (project / "mkdocs.yml").write_text(config.replace(anchor, anchor + CUSTOM_REGULATION, 1))
    folder = project / "postmortems"
    for case in MANIFEST["cases"]:
        shutil.copy(CASES / case, folder / case)
    for name, content in _generated_cases().items():
        (folder / name).write_bytes(content)
    for name, text in VALID_EXTRAS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return build_site(project)


def test_manifest_and_corpus_agree() -> None:
    on_disk = {p.name for p in CASES.glob("*.md")}
    assert on_disk == set(MANIFEST["cases"])
    assert set(MANIFEST["generated"]) == set(_generated_cases())


def test_strict_build_fails_cleanly(site: Build) -> None:
    assert site.returncode != 0
    assert "Traceback" not in site.log
    assert "Aborted with" in site.log and "in strict mode" in site.log


@pytest.mark.parametrize("case", sorted(c for c, e in EXPECTED.items() if "line" in e))
def test_case_reports_file_line_and_field(site: Build, case: str) -> None:
    expected = EXPECTED[case]
    prefix = f"WARNING -  postmortems/{case}:{expected['line']}: {expected['field']}: "
    lines = [line for line in site.log.splitlines() if line.startswith(prefix)]
    assert lines, f"no error {prefix!r} in the log:\n" + _log_of(site, case)
    assert any(str(expected["message"]) in line for line in lines), "\n".join(lines)


def _log_of(site: Build, case: str) -> str:
    return "\n".join(line for line in site.log.splitlines() if f"/{case}:" in line)


def test_alias_bomb_is_reported_once(site: Build) -> None:
    assert len(re.findall(r"alias_bomb\.md:\d+: ", site.log)) == 1


def test_every_valid_file_renders_and_no_invalid_one_does(site: Build) -> None:
    folder = site.site.parent / "postmortems"
    rendering = [name for name, e in EXPECTED.items() if e.get("renders")] + list(VALID_EXTRAS)
    expected = {str(read_document(folder / n, n).data["id"]).lower() for n in rendering}
    pages = {p.parent.name for p in (site.site / "incidents").glob("*/index.html")}
    assert pages == expected
    total_inputs = len(MANIFEST["cases"]) + len(MANIFEST["generated"]) + len(VALID_EXTRAS)
    assert len(list(folder.glob("*.md"))) == total_inputs


def test_bom_and_crlf_files_render_like_any_other(site: Build) -> None:
    for slug in ("gen-bom", "gen-crlf"):
        html = site.page(f"incidents/{slug}/")
        assert "Checkout unavailable for 2 hours" in html
        assert "<p>The payments database connection pool was reduced tenfold" in html
        assert "<p>Fishbone notes here.</p>" in html
        assert "\r" not in html


# --- nothing injected ---------------------------------------------------------------------------

RAW_TAG = re.compile(
    rf"<[a-zA-Z/!][^<>]*{MARK}|<(script|style)\b[^>]*>[^<]*{MARK}|<script>alert\(", re.IGNORECASE
)
"""A planted payload in raw, unescaped form in a text file (JSON, JS, XML source...)."""


def html_injections(text: str) -> list[str]:
    return html_payloads(text, (MARK,))


def xml_injections(text: str) -> list[str]:
    """Raw payloads in the XML source, and in feed fields that readers render as HTML."""
    found = raw_injections(text)
    for element in ET.fromstring(text.encode()).iter():
        local = element.tag.rsplit("}", 1)[-1]
        if element.text and (local == "description" or element.get("type") in ("html", "xhtml")):
            found += [f"<{local}> (HTML): {hit}" for hit in html_injections(element.text)]
    return found


def raw_injections(text: str) -> list[str]:
    """Raw payloads in a text file, each with the text before it (which names the field)."""
    return [repr(text[max(0, m.start() - 50) : m.end()]) for m in RAW_TAG.finditer(text)]


def injections(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix in (".html", ".htm", ".svg"):
        return html_injections(text)
    if path.suffix in (".xml", ".rss", ".atom"):
        return xml_injections(text)
    return raw_injections(text)


SKIPPED_SUFFIXES = {".gz", ".png", ".jpg", ".ico", ".woff", ".woff2", ".csv"}
"""Binary files, and CSV: a spreadsheet download whose cells are the authors' text, verbatim."""


def test_no_payload_survives_anywhere_in_the_site(site: Build) -> None:
    scanned = 0
    hits: list[str] = []
    for path in sorted(site.site.rglob("*")):
        if not path.is_file() or path.suffix in SKIPPED_SUFFIXES:
            continue
        scanned += 1
        hits += [f"{path.relative_to(site.site)}: {hit}" for hit in injections(path)]
    assert scanned > 20
    assert not hits, "unescaped payloads:\n" + "\n".join(hits)


def test_the_scanner_finds_what_it_looks_for() -> None:
    assert html_injections("<p><img src=x onerror=\"alert('pmkb-xss')\"></p>")
    assert html_injections("<a href=' jav&#x09;ascript:alert(1)'>x</a>")
    assert html_injections("<script>alert('pmkb-xss')</script>")
    assert html_injections('<script type="application/json">{"t": "<b title=pmkb-xss>"}</script>')
    assert not html_injections("<p>&lt;img src=x onerror=alert('pmkb-xss')&gt;</p>")
    assert not html_injections('<meta content="&quot; onmouseover=&quot;pmkb-xss">')
    assert not html_injections('<script type="application/json">{"t":"\\u003cb pmkb-xss"}</script>')
    escaped_once = "&lt;script&gt;alert('pmkb-xss')&lt;/script&gt;"
    assert xml_injections(f"<rss><description>{escaped_once}</description></rss>")
    assert not xml_injections("<feed><title>&lt;script&gt;alert('pmkb-xss')</title></feed>")


FIELD_PAYLOADS = {
    "title": "Checkout &lt;script&gt;",
    "summary": "Summary &lt;/textarea&gt;",
    "authors": "Eve &lt;script&gt;",
    "timeline event": "Event &lt;script&gt;",
    "why question": "Why &lt;script&gt;",
    "why answer": "Because &lt;img",
    "root cause summary": "Root &lt;script&gt;",
    "factor notes": "Notes &lt;script&gt;",
    "went well": "Well &lt;script&gt;",
    "went wrong": "Wrong &lt;img",
    "lucky": "Lucky &lt;svg",
    "lessons": "Lesson &lt;script&gt;",
    "action": "Action &lt;script&gt;",
    "owner": "&lt;img src=x onerror=",
    "success criteria": "Criteria &lt;script&gt;",
    "dependencies": "Dep &lt;script&gt;",
    "impact description": "Impact &lt;script&gt;",
    "own body heading": "&lt;img src=x onerror=alert(&#39;pmkb-xss&#39;)&gt; Heading of my own",
    "body paragraph": "Body paragraph",
}


@pytest.mark.parametrize("field", FIELD_PAYLOADS)
def test_payload_fields_are_shown_escaped(site: Build, field: str) -> None:
    html = site.page("incidents/xss-001/")
    assert FIELD_PAYLOADS[field] in html.replace("&#x27;", "&#39;")


def _article(html: str) -> str:
    return html[html.index("<article") : html.index("</article>")]


def test_body_keeps_harmless_markup_and_loses_script(site: Build) -> None:
    article = _article(site.page("incidents/xss-002/"))
    assert (
        '<a href="https://example.com/runbook" rel="noopener noreferrer">safe link</a>' in article
    )
    kept = '<details open=""><summary>Kept: details</summary><p>Harmless text</p></details>'
    assert kept in article
    assert "<code>&lt;script&gt;alert('pmkb-xss')&lt;/script&gt;</code>" in article
    assert ">raw javascript link</a>" in article and ">markdown javascript link</a>" in article
    body = article.split('<h2 id="executive-summary"')[1]
    assert not re.findall(r"<(script|style|iframe|form|input|object|svg|math)\b", body)
    assert not re.findall(r"<[^<>]*\s(on[a-z]+|style)=[^<>]*>", body)
    assert not re.findall(r"(href|src)=\"\s*(?!https?:|mailto:)[a-zA-Z][\w+.-]*:", body)
    assert not html_injections(article)


def test_unclosed_body_html_is_closed_within_the_body(site: Build) -> None:
    article = _article(site.page("incidents/xss-003/"))
    assert "onmouseover" not in article
    assert "Opening a div that never closes" in article
