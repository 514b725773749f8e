"""Lifecycle and lint in real builds: draft banners, lint notices, include_drafts, strict."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLE, build_in_process, build_site

SOURCE = EXAMPLE.read_text(encoding="utf-8")
PLUGIN = "      postmortems_dir: postmortems\n"


def configure(project: Path, options: str) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert PLUGIN in text
    config.write_text(text.replace(PLUGIN, PLUGIN + options), encoding="utf-8")


def add(project: Path, incident_id: str, status: str, *replacements: tuple[str, str]) -> None:
    text = SOURCE.replace("id: INC-2025-007", f"id: {incident_id}").replace(
        "status: published", f"status: {status}"
    )
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    (project / "postmortems" / f"{incident_id}.md").write_text(text, encoding="utf-8")


BLAME = ("Burn-rate alert fired within 7 minutes.", "It was human error <b>again</b>.")
SCRIPT_TODO = (
    "  - Review the effective configuration, not the template that produces it.",
    '  - "TODO: <script>alert(1)</script>"',
)


def test_draft_and_in_review_banners_with_escaped_lint_notices(project: Path) -> None:
    configure(project, "      lint:\n        rules:\n          placeholder: warning\n")
    add(project, "INC-2025-007", "published")
    add(project, "INC-2025-008", "draft", BLAME, SCRIPT_TODO)
    add(project, "INC-2025-009", "in-review", BLAME)
    build = build_in_process(project)  # lint warnings do not fail --strict
    assert build.returncode == 0, build.log
    assert "INFO    -  postmortems/INC-2025-008.md:" in build.log

    draft = build.page("incidents/inc-2025-008/")
    assert 'class="pmkb-lifecycle pmkb-lifecycle--draft"' in draft
    assert "<strong>Draft</strong>" in draft
    banner = draft[draft.index("pmkb-lifecycle--draft") : draft.index("pmkb-card")]
    assert "blaming language &#39;human error&#39;" in banner
    assert "[blame-language]" in banner
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in banner
    assert "<script>alert(1)" not in draft
    # The banner comes right after the title, before the summary card.
    assert draft.index("<h1") < draft.index("pmkb-lifecycle--draft") < draft.index("pmkb-card")

    review = build.page("incidents/inc-2025-009/")
    assert "<strong>In review</strong>" in review
    notices = review[review.index("pmkb-lifecycle--in-review") : review.index("pmkb-card")]
    assert "blaming language &#39;human error&#39;" in notices  # every status shows findings

    published = build.page("incidents/inc-2025-007/")
    assert "pmkb-lifecycle" not in published


def test_include_drafts_false_leaves_drafts_out(project: Path) -> None:
    configure(project, "      include_drafts: false\n")
    add(project, "INC-2025-007", "published")
    add(project, "INC-2025-008", "draft", ("title: Checkout", "title: Draft-only checkout"))
    add(project, "INC-2025-009", "in-review")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    assert not (build.site / "incidents" / "inc-2025-008").exists()
    assert (build.site / "incidents" / "inc-2025-009" / "index.html").exists()
    listing = build.page("incidents/")
    assert "INC-2025-007" in listing and "INC-2025-009" in listing
    assert "INC-2025-008" not in listing
    index = build.site / "search-index"
    assert json.loads((index / "meta.json").read_text())["count"] == 2
    assert not any("Draft-only" in f.read_text() for f in index.rglob("*.json"))


def test_a_lint_rule_set_to_error_fails_a_strict_build(project: Path) -> None:
    configure(project, "      lint:\n        rules:\n          blame-language: error\n")
    add(project, "INC-2025-007", "published", BLAME)
    build = build_site(project)
    assert build.returncode != 0
    assert "WARNING -  postmortems/INC-2025-007.md:" in build.log
    assert "blaming language 'human error'" in build.log


def test_bad_lint_options_stop_the_build_with_a_message(project: Path) -> None:
    configure(project, "      lint:\n        rules:\n          no-blame: error\n")
    build = build_site(project)
    assert build.returncode != 0
    assert "mkdocs.yml: plugins.postmortem-kb.lint.rules.no-blame: unknown lint rule" in build.log
    assert "Traceback" not in build.log


def test_links_to_a_left_out_draft_do_not_break_the_build(project: Path) -> None:
    configure(project, "      include_drafts: false\n")
    add(
        project,
        "INC-2025-007",
        "published",
        ("recurrence_prevention:", "related: [INC-2025-008]\nrecurrence_prevention:"),
    )
    add(project, "INC-2025-008", "draft")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    assert "inc-2025-008" not in build.page("incidents/inc-2025-007/")
