"""Validation: every problem of every file, as `path:line: field: message`, nothing dropped."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLE, EXAMPLES
from postmortem_kb.core.corpus import CorpusLoader, load_corpus


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def mutate(replacements: dict[str, str]) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_examples_are_valid() -> None:
    corpus = load_corpus(EXAMPLES)
    assert [p.format() for p in corpus.problems] == []
    assert len(corpus.incidents) == len(corpus.files) >= 1


def test_every_problem_of_a_file_is_reported_with_line_and_field(tmp_path: Path) -> None:
    text = mutate(
        {
            "severity: SEV-1": "severity: SEV-4",
            "  sla_breached: true": "  sla_breachd: true",
            "started: 2025-03-04T14:02:00Z": "started: 2025-03-04T14:02:00",
            "    due: 2025-03-07": "    due: 2024-02-30",
            "regulations: [PCI-DSS, SOX]": "regulations: [PCI-DSS, SOXX]",
        }
    )
    write(tmp_path, "bad.md", text)
    lines = text.split("\n")

    def line(prefix: str) -> int:
        return next(i for i, x in enumerate(lines, 1) if x.startswith(prefix))

    corpus = CorpusLoader().load(tmp_path)
    got = {p.field: (p.line, p.message) for p in corpus.problems}
    assert got["severity"][0] == line("severity:")
    assert "SEV-4" in got["severity"][1]
    assert got["impact.sla_breachd"] == (
        line("  sla_breachd"),
        "unknown field; did you mean 'sla_breached'?",
    )
    assert got["started"][0] == line("started:")
    assert "UTC offset" in got["started"][1]
    assert got["action_items[1].due"][0] == line("    due: 2024-02-30")
    assert got["regulations[1]"][0] == line("regulations:")
    assert "unknown regulation 'SOXX'" in got["regulations[1]"][1]
    assert corpus.incidents == []


def test_cross_file_problems_and_valid_files_survive(tmp_path: Path) -> None:
    write(tmp_path, "a.md", EXAMPLE.read_text(encoding="utf-8"))
    write(tmp_path, "b.md", EXAMPLE.read_text(encoding="utf-8"))  # same id
    write(
        tmp_path,
        "c.md",
        mutate(
            {
                "id: INC-2025-007": "id: INC-2025-008\nrelated: [INC-2025-070]",
                "mitigated: 2025-03-04T15:41:00Z": "mitigated: 2025-03-04T14:05:00Z",
            }
        ),
    )
    write(tmp_path, "d.md", "no front matter here\n")
    corpus = CorpusLoader().load(tmp_path)
    formatted = [p.format() for p in corpus.problems]
    assert any(f.startswith("d.md:1: front matter: no front matter") for f in formatted)
    assert any(
        f.startswith("b.md:2: id: duplicate id 'INC-2025-007': already used by") for f in formatted
    )
    assert any(
        f.startswith("c.md:") and "mitigated before the incident was detected" in f
        for f in formatted
    )
    assert [i.id for i in corpus.incidents] == ["INC-2025-007"]


def test_dangling_related_id_gets_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "a.md", EXAMPLE.read_text(encoding="utf-8"))
    write(
        tmp_path,
        "b.md",
        mutate({"id: INC-2025-007": "id: INC-2025-008\nrelated: [INC-2025-070]"}),
    )
    corpus = CorpusLoader().load(tmp_path)
    [problem] = corpus.problems
    assert problem.format() == (
        "b.md:3: related[0]: no post-mortem has id 'INC-2025-070'; did you mean 'INC-2025-008'?"
    )
    assert len(corpus.incidents) == 2  # a dangling link is reported, the page is still built


def test_a_link_to_a_file_with_errors_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "a.md", mutate({"severity: SEV-1": "severity: SEV-9"}))
    write(
        tmp_path, "b.md", mutate({"id: INC-2025-007": "id: INC-2025-008\nrelated: [inc-2025-007]"})
    )
    corpus = CorpusLoader().load(tmp_path)
    assert [p.format() for p in corpus.problems if p.path == "b.md"] == [
        "b.md:3: related[0]: 'inc-2025-007' is a.md, which has errors: fix them to link it"
    ]
    assert [(u.path, u.id) for u in corpus.unbuilt] == [("a.md", "INC-2025-007")]


def test_action_item_state_rules(tmp_path: Path) -> None:
    text = mutate({"    status: done\n    completed: 2025-03-19\n": "    status: done\n"})
    write(tmp_path, "a.md", text)
    [problem] = CorpusLoader().load(tmp_path).problems
    assert problem.field == "action_items[0].status"
    assert "no 'completed' date" in problem.message


def test_priority_aliases_map_to_p_levels(tmp_path: Path) -> None:
    write(tmp_path, "a.md", mutate({"priority: critical": "priority: Long-Term"}))
    [incident] = CorpusLoader().load(tmp_path).incidents
    assert [item.priority.value for item in incident.model.action_items] == ["P1", "P2"]
    write(tmp_path, "a.md", mutate({"priority: critical": "priority: P7"}))
    [problem] = CorpusLoader().load(tmp_path).problems
    assert problem.field == "action_items[1].priority"


def test_loader_parses_only_changed_files(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", EXAMPLE.read_text(encoding="utf-8"))
    write(tmp_path, "b.md", mutate({"id: INC-2025-007": "id: INC-2025-008"}))
    loader = CorpusLoader()
    loader.load(tmp_path)
    assert loader.files_parsed == 2
    loader.load(tmp_path)
    assert loader.files_parsed == 0
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    corpus = loader.load(tmp_path)
    assert loader.files_parsed == 1
    assert len(corpus.incidents) == 2


UNKNOWNS = {
    "severity: SEV-1": "severity: unknown",
    "detected: 2025-03-04T14:09:00Z": "detected: unknown",
}


def test_unknown_is_refused_in_a_published_postmortem_with_line_and_field(tmp_path: Path) -> None:
    write(tmp_path, "a.md", mutate(UNKNOWNS))
    corpus = CorpusLoader().load(tmp_path)
    lines = mutate(UNKNOWNS).split("\n")
    got = {p.field: p for p in corpus.problems}
    assert set(got) == {"severity", "detected"}
    assert got["severity"].line == lines.index("severity: unknown") + 1
    assert "unknown in a published post-mortem" in got["detected"].message
    assert corpus.incidents == []


def test_unknown_is_a_value_in_drafts_and_historical_records(tmp_path: Path) -> None:
    draft = mutate({**UNKNOWNS, "status: published": "status: draft"})
    historical = mutate(
        {
            **UNKNOWNS,
            "id: INC-2025-007": "id: INC-2025-008\nsource:\n  imported_from: old/outage.md\n"
            "  imported_on: 2026-01-05",
        }
    )
    write(tmp_path, "draft.md", draft)
    write(tmp_path, "old.md", historical)
    corpus = CorpusLoader().load(tmp_path)
    assert [p.format() for p in corpus.problems] == []
    by_id = {i.id: i for i in corpus.incidents}
    old = by_id["INC-2025-008"]
    assert old.model.historical and not by_id["INC-2025-007"].model.historical
    assert old.model.detected is None and old.metrics.ttd is None and old.metrics.ttr is None


def test_an_alert_before_the_impact_is_ttd_zero_not_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.md",
        mutate({"detected: 2025-03-04T14:09:00Z": "detected: 2025-03-04T13:57:00Z"}),
    )
    corpus = CorpusLoader().load(tmp_path)
    assert [p.format() for p in corpus.problems] == []
    (incident,) = corpus.incidents
    assert incident.metrics.alert_preceded_impact
    assert incident.metrics.ttd is not None and incident.metrics.ttd.total_seconds() == 0
    # TTR still counts from the alert: 16:00 - 13:57.
    assert incident.metrics.ttr is not None and incident.metrics.ttr.total_seconds() == 123 * 60
