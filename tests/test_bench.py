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
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "| 20 | " in run.stdout
    assert "a/b" in run.stdout and "c/d" in run.stdout
    assert "Machine: " in results.read_text()
    assert "# old tables" not in results.read_text()  # the tables replaced, the history kept
    assert results.read_text().endswith("\n## Optimisation history\n\n- a step: 2 s -> 1 s\n")
    (raw_file,) = (tmp_path / "out").glob("results-*.json")
    raw = json.loads(raw_file.read_text())
    (result,) = raw["results"]
    for step in ("plugin", "plain", "validate", "parse"):
        assert result[step]["returncode"] == 0
        assert result[step]["wall_s"] > 0 and result[step]["peak_rss_mb"] > 0
    assert result["validate"]["child"] == {
        **result["validate"]["child"],
        "files": 20,
        "valid": 20,
        "problems": 0,
    }
    assert result["parse"]["child"]["files"] == 20
    # Both sites index the 20 incident pages; the plugin's site is the bigger one.
    assert result["plugin"]["search"]["incident_pages"] == 20
    assert result["plain"]["search"]["incident_pages"] == 20
    assert result["plugin"]["site_bytes"] > result["plain"]["site_bytes"]
    size, where = result["plugin"]["largest_page"]
    site = tmp_path / "out" / "work" / "20" / "plugin" / "site"
    assert (site / where / "index.html").stat().st_size == size
    assert max(page.stat().st_size for page in site.rglob("*.html")) == size
    # A serve rebuild after editing one file parses that file only, with the same plugin.
    rebuild = result["rebuild"]["child"]
    assert rebuild["first"]["files_parsed"] == 20
    assert rebuild["rebuild"]["files_parsed"] == 1
    assert rebuild["rebuild"]["same_plugin_instance"] is True
    # Every page is rendered again, unless serve runs with --dirty: then the edited incident
    # and the list and index pages whose generated source changed with it.
    assert rebuild["rebuild"]["pages_rendered"] == rebuild["first"]["pages_rendered"] > 20
    dirty = result["rebuild-dirty"]["child"]
    assert dirty["rebuild"]["files_parsed"] == 1
    assert 1 <= dirty["rebuild"]["pages_rendered"] < dirty["first"]["pages_rendered"] // 2
