"""Feedback an author cannot miss: every problem of a file in one pass, one error per misspelt
key, "did you mean" for values, cross-file checks when validating one file, lint by lifecycle."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLE
from postmortem_kb.core.corpus import CorpusLoader
from postmortem_kb.core.options import LintOptions
from postmortem_kb.core.problems import Level
from test_cli import run

TEXT = EXAMPLE.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def mutate(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_one_pass_reports_every_problem_of_a_file(tmp_path: Path) -> None:
    text = mutate(
        TEXT,
        ("\nsummary:", "\nsumary:"),  # a misspelt key
        ("severity: SEV-1", "severity: sev2"),  # misspelt values
        ("kind: mitigation", "kind: mitigaton"),
        ("  - id: AI-2", "  - id: AI-1"),  # a duplicate action-item id
    )
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    corpus = CorpusLoader().load(tmp_path, tmp_path)
    found = {(p.line, p.field): p.message for p in corpus.problems}
    lines = text.split("\n")
    second_ai_1 = [i for i, line in enumerate(lines, 1) if line == "  - id: AI-1"][1]
    by_line = {line: message for (line, _), message in found.items()}
    assert len(found) == 4 and set(by_line) == {
        line_of(text, "sumary:"),
        line_of(text, "severity: sev2"),
        line_of(text, "kind: mitigaton"),
        second_ai_1,
    }
    assert by_line[line_of(text, "sumary:")] == "unknown field; did you mean 'summary'?"
    assert "did you mean 'SEV-2'?" in by_line[line_of(text, "severity: sev2")]
    assert "did you mean 'mitigation'?" in by_line[line_of(text, "kind: mitigaton")]
    assert "'AI-1' is already used by action_items[0]" in by_line[second_ai_1]
    assert not any("required field is missing" in m for m in found.values())


def test_validating_one_file_checks_it_against_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"  # not the configured postmortems_dir
    folder.mkdir()
    (folder / "a.md").write_text(TEXT, encoding="utf-8")
    (folder / "b.md").write_text(TEXT, encoding="utf-8")  # the same id
    result = run(tmp_path, "validate", str(folder / "b.md"))
    assert result.returncode == 1
    assert f"b.md:{line_of(TEXT, 'id: ')}: error: id: duplicate id" in result.stdout
    assert "a.md" in result.stdout  # names the file that has it


BLAME = ("Burn-rate alert fired within 7 minutes.", "Bob forgot to run the migration.")


def blame_levels(tmp_path: Path, status: str, options: dict[str, object]) -> list[Level]:
    text = mutate(TEXT, BLAME, ("status: published", f"status: {status}"))
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    config = LintOptions.model_validate(options).config()
    corpus = CorpusLoader(lint=config).load(tmp_path, tmp_path)
    return [p.level for p in corpus.problems if p.rule == "blame-language"]


def test_blame_is_an_error_once_published_and_configurable(tmp_path: Path) -> None:
    assert blame_levels(tmp_path, "published", {}) == [Level.ERROR]
    assert blame_levels(tmp_path, "draft", {}) == [Level.WARNING]
    assert blame_levels(tmp_path, "in-review", {}) == [Level.WARNING]
    relaxed = {"published": {"blame-language": "warning"}}
    assert blame_levels(tmp_path, "published", relaxed) == [Level.WARNING]
    assert blame_levels(tmp_path, "published", {"rules": {"blame-language": "off"}}) == []
