"""The blameless lint: each rule on real post-mortem files, the allow-list and the levels."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLE
from postmortem_kb.core.corpus import CorpusLoader
from postmortem_kb.core.lint import (
    RULES,
    LintConfig,
    LintLevel,
    blame_findings,
)
from postmortem_kb.core.options import LintOptions
from postmortem_kb.core.problems import Level, Problem

CLEAN = EXAMPLE.read_text(encoding="utf-8")


def mutate(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def lint_options(options: dict[str, object]) -> LintConfig:
    """The lint configuration of the plugin's `lint:` option (validated by the options model)."""
    return LintOptions.model_validate(options).config()


def lint(tmp_path: Path, text: str, config: LintConfig | None = None) -> list[Problem]:
    folder = tmp_path / "postmortems"
    folder.mkdir(exist_ok=True)
    (folder / "INC-2025-007.md").write_text(text, encoding="utf-8")
    corpus = CorpusLoader(lint=config).load(folder, tmp_path)
    return [p for p in corpus.problems if p.rule in RULES]


def line_of(text: str, needle: str) -> int:
    return text.split("\n").index(next(ln for ln in text.split("\n") if needle in ln)) + 1


def test_the_clean_example_has_no_findings(tmp_path: Path) -> None:
    assert lint(tmp_path, CLEAN) == []


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        (
            "  - Rollback tooling did not cover configuration, only code.",
            "  - It was human error during the rollout.",
            "'human error'",
        ),
        (
            "  - Review the effective configuration, not the template that produces it.",
            "  - The reviewer should have read the rendered values.",
            "'should have'",
        ),
        (
            "    answer: A template default was applied to a service that overrides it.",
            "    answer: Priya forgot to keep the override when she edited the file.",
            "'Priya' is named next to 'forgot'",
        ),
        (
            "  - Burn-rate alert fired within 7 minutes.",
            "  - Alerting worked, but Dave broke the dashboard while debugging.",
            "'Dave' is named next to 'broke'",
        ),
        (
            "    event: Pool ceiling restored to 400; error rate back under 0.1%.",
            "    event: The careless edit was reverted.",
            "'careless'",
        ),
    ],
)
def test_blame_language_in_front_matter(tmp_path: Path, old: str, new: str, phrase: str) -> None:
    text = mutate(CLEAN, (old, new))
    problems = lint(tmp_path, text)
    assert [p.rule for p in problems] == ["blame-language"]
    problem = problems[0]
    assert problem.level is Level.ERROR  # published: blame is an error (lint.published)
    assert problem.line == line_of(text, new.strip(" -"))
    for status in ("draft", "in-review"):  # a warning while the post-mortem is being written
        unpublished = lint(tmp_path, text.replace("status: published", f"status: {status}", 1))
        assert [(p.rule, p.level) for p in unpublished] == [("blame-language", Level.WARNING)]
    assert phrase in problem.message
    assert problem.message.endswith("[blame-language]")


def test_blame_language_in_the_body_reports_the_file_line(tmp_path: Path) -> None:
    text = CLEAN + "\nThe rollout went badly.\nIn the end Tomás Ortega failed to\ncheck the diff.\n"
    problems = lint(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].field == "body"
    assert problems[0].line == line_of(text, "In the end Tomás")
    assert "'Tomás Ortega' is named next to 'failed to'" in problems[0].message
    assert problems[0].format().startswith(f"postmortems/INC-2025-007.md:{problems[0].line}: body:")


def test_an_html_block_left_open_in_a_section_is_reported_once(tmp_path: Path) -> None:
    opened = "<details><summary>Pool settings</summary>"
    text = mutate(CLEAN, ("## Root cause analysis", f"{opened}\n<div>\n\n## Root cause analysis"))
    text += "\n<details>\n\nclosed in its section\n</details>\n"
    problems = lint(tmp_path, text)
    assert [(p.line, p.field, p.rule, p.level) for p in problems] == [
        (line_of(text, opened), "body", "unclosed-html", Level.WARNING)
    ]
    assert "<details> is not closed before the section ends: add </div></details>" in (
        problems[0].message
    )
    off = lint_options({"rules": {"unclosed-html": "off"}})
    assert lint(tmp_path, text, off) == []


def test_a_code_fence_never_closed_is_reported(tmp_path: Path) -> None:
    text = CLEAN + "\n````text\nERROR pool exhausted\n```\n\n## Lessons learned\n\nMore.\n"
    problems = lint(tmp_path, text)
    assert [(p.line, p.field, p.rule) for p in problems] == [
        (line_of(text, "````text"), "body", "unclosed-fence")
    ]
    assert (
        "opened with '````text' is never closed, so it shows as text: end it with a line '````'"
        in (problems[0].message)
    )
    assert lint(tmp_path, text.replace("\n```\n", "\n````\n")) == []


def test_text_after_a_fence_never_closed_is_prose(tmp_path: Path) -> None:
    text = CLEAN + "\n```\nERROR pool exhausted\n\nIn the end Tomás Ortega failed to\ncheck it.\n"
    problems = lint(tmp_path, text)
    assert sorted(p.rule for p in problems) == ["blame-language", "unclosed-fence"]


def test_blame_words_in_code_are_not_prose(tmp_path: Path) -> None:
    text = CLEAN + "\n```text\nERROR human error budget exceeded\n```\n\nSee `should_have_fired`.\n"
    assert lint(tmp_path, text) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "The deploy failed to start because the image was missing.",
        "Yearly tasks are forgotten by design; automate them.",
        "We keep post-mortems blameless: no blame, only systems.",
        "The consumer's error handler ran after deserialisation.",
        "Monitoring missed the saturation because no metric existed.",
    ],
)
def test_systemic_sentences_are_not_blame(sentence: str) -> None:
    assert blame_findings(sentence, ["Priya Raman"]) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "It was Dave's mistake.",
        "A mistake by @jdoe took the site down.",
        "The on-call engineer missed the page.",
        "He accidentally deleted the table.",
        "Operator error caused the outage.",
        "It was the fault of the release manager.",
    ],
)
def test_blaming_sentences_are_found(sentence: str) -> None:
    assert len(blame_findings(sentence, [])) == 1


def test_allow_list_suppresses_an_allowed_phrase_only(tmp_path: Path) -> None:
    text = mutate(
        CLEAN,
        ("  - Burn-rate alert fired within 7 minutes.", "  - Quartz failed to reschedule."),
        (
            "  - Review the effective configuration, not the template that produces it.",
            "  - It was human error.",
        ),
    )
    assert {p.line for p in lint(tmp_path, text)} == {
        line_of(text, "Quartz"),  # a capitalised word the lint cannot tell from a name
        line_of(text, "human error"),
    }
    config = lint_options({"allow": ["quartz  failed"]})
    problems = lint(tmp_path, text, config)
    assert [p.line for p in problems] == [line_of(text, "human error")]


def test_superficial_analysis_rules(tmp_path: Path) -> None:
    whys_start = CLEAN.index("  - question: Why were no connections")
    whys_end = CLEAN.index("root_cause:")
    text = CLEAN[:whys_start] + CLEAN[whys_end:]  # one Why left
    text = mutate(
        text,
        (
            "  summary: Production configuration changes are reviewed without seeing their"
            " effective values.",
            "  summary: Human error.",
        ),
        ("    owner: team-payments\n", ""),
    )
    problems = {p.rule: p for p in lint(tmp_path, text)}
    assert set(problems) == {
        "few-whys",
        "superficial-root-cause",
        "blame-language",
        "action-owner-due",
    }
    assert problems["few-whys"].message.startswith("only 1 Why:")
    assert problems["few-whys"].line == line_of(text, "whys:")
    assert problems["superficial-root-cause"].field == "root_cause.summary"
    assert problems["superficial-root-cause"].line == line_of(text, "summary: Human error.")
    assert problems["action-owner-due"].field == "action_items[1]"
    assert "AI-2 has no owner" in problems["action-owner-due"].message


def test_missing_root_cause_and_action_items_on_a_sev1(tmp_path: Path) -> None:
    start, end = CLEAN.index("root_cause:"), CLEAN.index("contributing_factors:")
    text = CLEAN[:start] + CLEAN[end:]
    start, end = CLEAN.index("action_items:"), CLEAN.index("recurrence_prevention:")
    text = text.replace(CLEAN[start:end], "")
    problems = {p.rule: p for p in lint(tmp_path, text)}
    assert set(problems) == {"no-root-cause", "no-action-items"}
    assert "SEV-1" in problems["no-action-items"].message
    # A SEV-3 needs no action items; a cancelled item needs no owner.
    sev3 = lint(tmp_path, text.replace("severity: SEV-1", "severity: SEV-3"))
    assert {p.rule for p in sev3} == {"no-root-cause"}
    cancelled = mutate(
        CLEAN,
        ("    owner: team-payments\n", ""),
        ("    priority: critical", "    priority: critical\n    status: cancelled"),
    )
    assert lint(tmp_path, cancelled) == []


def test_levels_turn_rules_off_or_into_errors(tmp_path: Path) -> None:
    text = mutate(CLEAN, ("  - Burn-rate alert fired within 7 minutes.", "  - Careless work."))
    config = lint_options({"rules": {"blame-language": "error"}})
    problems = lint(tmp_path, text, config)
    assert [(p.rule, p.level) for p in problems] == [("blame-language", Level.ERROR)]
    # YAML 1.1 reads a bare `off` as false.
    assert lint(tmp_path, text, lint_options({"rules": {"blame-language": False}})) == []
    assert LintConfig().level("placeholder") is LintLevel.ERROR
    assert LintConfig().level("few-whys") is LintLevel.WARNING
