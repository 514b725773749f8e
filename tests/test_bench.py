"""The benchmark's corpus generator and runner: deterministic, valid, and it runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.regulations import DEFAULT_REGULATIONS
from postmortem_kb.core.schema import RootCauseCategory, Severity

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run as run_module  # noqa: E402
from generate import generate  # noqa: E402


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(tmp_path / "a", 8, seed=3)
    generate(tmp_path / "b", 8, seed=3)
    generate(tmp_path / "c", 8, seed=4)
    first = _contents(tmp_path / "a")
    assert len(first) == 8
    assert first == _contents(tmp_path / "b")
    assert first != _contents(tmp_path / "c")


def test_generated_corpus_is_valid_and_covers_the_vocabularies(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    generate(folder, 20, seed=7)
    corpus = load_corpus(folder)
    assert [p.format() for p in corpus.problems] == []  # no errors and no lint warnings
    assert len(corpus.incidents) == 20
    models = [incident.model for incident in corpus.incidents]
    assert {m.severity for m in models} == set(Severity) - {Severity.UNKNOWN}  # all published
    assert {m.root_cause.category for m in models if m.root_cause} == set(RootCauseCategory)
    assert {code for m in models for code in m.regulations} == {r.code for r in DEFAULT_REGULATIONS}
    assert len({m.started.year for m in models}) >= 4
    assert all(5 <= len(m.action_items) <= 15 for m in models)
    assert all(8 <= len(m.timeline) <= 20 for m in models)
    words = [len(incident.document.body.split()) for incident in corpus.incidents]
    assert all(1000 <= count <= 2300 for count in words), words
    headings = Counter(
        line for incident in corpus.incidents for line in incident.document.body.splitlines()
    )
    assert headings["## Incident timeline"] == 20
    # Every `related` / `recurrence_of` points at a generated incident (no cross-file errors).
    assert sum(len(m.related) for m in models) > 0


def test_run_measures_every_step_and_prints_the_table(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    results.write_text("# old tables\n\n## Optimisation history\n\n- a step: 2 s -> 1 s\n")
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--sizes",
            "20",
            "--out",
            str(tmp_path / "out"),
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "| 20 | " in run.stdout
    assert "a/b" in run.stdout and "c/d" in run.stdout and "warm/cold" in run.stdout
    text = results.read_text()
    assert "Machine: " in text
    assert "# old tables" not in text  # the tables replaced, the history kept
    assert text.endswith("\n## Optimisation history\n\n- a step: 2 s -> 1 s\n")
    # The targets table comes first; no target is at N = 20.
    assert text.index("| target | N | measured | result |") < text.index("| N | (a) plugin")
    assert text.count("| not measured in this run | not measured in this run |") == 6
    (raw_file,) = (tmp_path / "out").glob("results-*.json")
    raw = json.loads(raw_file.read_text())
    (result,) = raw["results"]
    steps = ("plugin", "warm", "plain", "validate", "parse", "properdocs", "render", "zensical")
    for step in steps:
        assert result[step]["returncode"] == 0, step
        assert result[step]["wall_s"] > 0 and result[step]["peak_rss_mb"] > 0
        # The whole process tree holds at least its largest process; Pss counts shared pages
        # once, so the tree's Pss is at most its summed RSS.
        assert result[step]["peak_rss_mb"] >= result[step]["max_rss_one_process_mb"] > 0
        assert 0 < result[step]["tree_pss_sampled_mb"] <= result[step]["tree_rss_sampled_mb"]
    assert result["warm"]["edit_shown"] is True
    assert result["validate"]["child"] == {
        **result["validate"]["child"],
        "files": 20,
        "valid": 20,
        "problems": 0,
    }
    assert result["parse"]["child"]["files"] == 20
    # The plugin's site has its own search index, the plain one Material's; both hold the 20
    # incidents, and the plugin's site is the bigger one.
    assert result["plugin"]["search"]["kind"] == "plugin"
    assert result["plain"]["search"]["kind"] == "material"
    assert result["plugin"]["search"]["incident_pages"] == 20
    assert result["plain"]["search"]["incident_pages"] == 20
    assert result["plugin"]["site_bytes"] > result["plain"]["site_bytes"]
    size, where = result["plugin"]["largest_page"]
    site = tmp_path / "out" / "work" / "20" / "plugin" / "site"
    assert (site / where / "index.html").stat().st_size == size
    assert max(page.stat().st_size for page in site.rglob("*.html")) == size
    # `mkdocs serve` and `serve --dirty` served the edited page with the edit, then stopped;
    # the edited post-mortem is as it was.
    assert result["incident_url"].startswith("incidents/inc-")
    # The engine alone: plain mkdocs-material's `serve --dirty`, the same edit to its copy.
    for name in ("serve", "serve-dirty", "plain-serve-dirty"):
        assert result[name]["reload_s"] > 0 and result[name]["peak_rss_mb"] > 0, name
    edited = tmp_path / "out" / "work" / "20" / "plugin" / "postmortems" / result["edited"]
    assert "written by the benchmark" not in edited.read_text()
    plain_page = tmp_path / "out" / "work" / "20" / "plain" / "docs" / result["incident_url"]
    assert "written by the benchmark" not in plain_page.with_suffix(".md").read_text()
    assert "plain `serve --dirty`:" not in text  # no target at N = 20, so no floor shown
    # Had it been N = 1,000: each target's row shows the engine alone beside the figure.
    rows = run_module.target_table([{**result, "n": 1000}])
    plain_serve = f"plain `serve --dirty`: {result['plain-serve-dirty']['reload_s']:.2f} s"
    assert sum(plain_serve in row for row in rows) == 1
    assert sum("(b) alone: " in row or "(b) + (c): " in row for row in rows) == 1


def test_readme_figures_are_replaced_between_the_markers(tmp_path: Path) -> None:
    from run import README_END, README_START, write_readme

    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nBefore.\n\n{README_START}\nold\n{README_END}\n\nAfter.\n")
    write_readme(readme, "| new |\n")
    assert readme.read_text() == (
        f"# Title\n\nBefore.\n\n{README_START}\n\n| new |\n\n{README_END}\n\nAfter.\n"
    )
