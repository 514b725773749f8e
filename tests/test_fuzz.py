"""Property tests: arbitrary front matter and bodies are reported, never crash, never inject.

Each example goes through the real core (CorpusLoader -> site.build_site -> every generated
file) and the Markdown pages through Python-Markdown with this site's own extensions plus the
body rule (`sanitize_body_regions`), as MkDocs would. No full MkDocs build per example: too slow.
Deterministic (`derandomize=True`) so CI is stable; the whole module runs in well under a minute.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import markdown
import yaml
from conftest import EXAMPLE, ROOT, scaled
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from payloads import html_payloads
from postmortem_kb.core.corpus import CorpusLoader
from postmortem_kb.core.loader import FRONT_MATTER_FIELD, LoadError, parse_document
from postmortem_kb.core.settings import Settings
from postmortem_kb.render.sanitize import fence_body, sanitize_body_regions
from postmortem_kb.render.site import build_site

FUZZ = settings(
    max_examples=scaled(60),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

MARK = "x-pmkb"
HOSTILE = [
    f"<{MARK} onpmkb=1>",
    f"</{MARK}>",
    "<script>pmkb()</script>",
    "<img src=x onpmkb=1>",
    '"><x-pmkb onpmkb="1">',
    "[link](javascript:pmkb())",
    "{onpmkb=1}",
    "</textarea></script>",
    "<!--",
    "-->",
    "```",
    "`",
    "*",
    "_",
    "#",
    "## ",
    "\n",
    "\n\n",
    "&",
    "&lt;",
    "'",
    '"',
    "\\",
    "|",
    ":",
    " - ",
    "---",
    "{{ 7*7 }}",
    "{% raw %}",
]
"""Fragments that break out of HTML, Markdown, YAML, Jinja and JSON contexts if not escaped."""

hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), min_size=1, max_size=8
).map("".join)


def _markdown_config() -> tuple[list[str], dict[str, Any]]:
    """The site's markdown_extensions and their options, read from mkdocs.yml as MkDocs does."""
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    return list(config.markdown_extensions), dict(config.mdx_configs)


EXTENSIONS, EXTENSION_CONFIGS = _markdown_config()


def render_markdown(text: str) -> str:
    """A generated Markdown page as MkDocs renders it: meta stripped, converted, body rule."""
    if text.startswith("---\n"):
        text = text.split("\n---\n", 1)[1]
    html = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS).convert(
        text
    )
    return sanitize_body_regions(html)


def injected(html: str) -> list[str]:
    return html_payloads(html, (MARK, "onpmkb", "pmkb()"))


def check_site(corpus_dir: Path) -> int:
    """Load and render a folder; assert every problem is located and no output is injected."""
    corpus = CorpusLoader().load(corpus_dir, corpus_dir.parent)
    for problem in corpus.problems:
        assert problem.path.endswith(".md") and problem.line >= 1 and problem.field
        assert problem.message.strip()
    pages = build_site(corpus, Settings(reference_date=dt.date(2025, 11, 23)))
    for page in pages:
        content = page.content.decode() if isinstance(page.content, bytes) else page.content
        if page.path.endswith(".md"):
            found = injected(render_markdown(content))
        elif page.path.endswith((".html", ".svg", ".xml")):
            found = injected(content)
        else:
            continue  # standalone data (JSON, CSV) is scanned by test_bad_inputs' site scan
        assert not found, f"{page.path}: {found}"
    return len(corpus.incidents)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "postmortems"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


# --- the loader alone: any text at all ----------------------------------------------------------

yamlish = st.lists(
    st.sampled_from(
        [
            "id: A\n",
            "title: x\n",
            "key: [1, 2\n",
            "a: &x 1\n",
            "b: *x\n",
            "- item\n",
            "  nested: 1\n",
            "\tx: 1\n",
            "!!python/object:os.system\n",
            "? complex\n",
            ": value\n",
            "'quoted\n",
            '"x\\u00e9"\n',
            "{a: {b: {c: [",
            "]]}}\n",
            "---\n",
            "...\n",
            "%YAML 1.1\n",
            "started: 2025-03-04T14:02:00\n",
            "\x07",
            "\ufeff",
            "\r\n",
        ]
    )
    | st.text(max_size=12),
    max_size=25,
).map("".join)


@FUZZ
@given(front=yamlish, body=st.text(max_size=40))
def test_any_front_matter_text_loads_or_is_reported(front: str, body: str) -> None:
    try:
        document = parse_document(f"---\n{front}\n---\n{body}", Path("f.md"), "f.md")
    except LoadError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path == "f.md" and problem.line >= 1
            assert problem.field == FRONT_MATTER_FIELD or problem.field
    else:
        assert isinstance(document.data, dict)


# --- the whole core: generated front matter and bodies ------------------------------------------

BASE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8").split("---\n")[1])
TEXT_FIELDS = [
    ("title",),
    ("summary",),
    ("authors", 0),
    ("timeline", 1, "event"),
    ("whys", 0, "question"),
    ("whys", 2, "answer"),
    ("root_cause", "summary"),
    ("contributing_factors", "change_management", "notes"),
    ("went_well", 0),
    ("went_wrong", 0),
    ("lucky", 0),
    ("lessons_learned", 0),
    ("action_items", 0, "action"),
    ("action_items", 0, "owner"),
    ("action_items", 0, "success_criteria"),
    ("impact", "description"),
]
"""Every free-text field that is rendered somewhere."""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1, 1, 1)),
    hostile_text,
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    if isinstance(target, list) and isinstance(path[-1], int) and path[-1] >= len(target):
        target.append(value)
    else:
        target[path[-1]] = value


@FUZZ
@given(
    texts=st.lists(hostile_text, min_size=len(TEXT_FIELDS), max_size=len(TEXT_FIELDS)),
    body=hostile_text,
    heading=hostile_text,
)
def test_hostile_text_in_every_field_and_the_body_renders_escaped(
    tmp_path: Path, texts: list[str], body: str, heading: str
) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["impact"]["description"] = ""
    for path, text in zip(TEXT_FIELDS, texts, strict=True):
        _set(data, path, text)
    folder = _folder(tmp_path)
    document = (
        f"---\n{yaml.safe_dump(data, allow_unicode=True)}---\n{body}\n\n## {heading}\n\n{body}\n"
    )
    (folder / "a.md").write_text(document, encoding="utf-8")
    event("rendered" if check_site(folder) else "reported")


@FUZZ
@given(
    field=st.sampled_from([*sorted(BASE), "impact", "cost", "unknown_key"]),
    value=values,
    sub=st.sampled_from(["users_affected", "sla_credits", "currency", "x"]),
)
def test_any_value_in_any_field_is_reported_or_rendered(
    tmp_path: Path, field: str, value: object, sub: str
) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data[field] = {sub: value} if field in ("impact", "cost") else value
    folder = _folder(tmp_path)
    front = yaml.safe_dump(data, allow_unicode=True)
    (folder / "a.md").write_text(f"---\n{front}---\nBody.\n", encoding="utf-8")
    event("rendered" if check_site(folder) else "reported")


def test_the_checks_catch_an_injection() -> None:
    assert injected(f"<p><{MARK} onpmkb=1></p>")
    assert injected('<a href="javascript:pmkb()">x</a>')
    hostile_body = f"<{MARK} onpmkb=1>\n\n[x](javascript:pmkb())"
    assert injected(render_markdown(hostile_body))  # not fenced: nothing cleans it
    assert not injected(render_markdown(fence_body(hostile_body)))
