"""Validated files kept across builds by content hash (core/file_cache.py, issue 17): a corpus
loaded from the cache is exactly the corpus loading the files again gives, for valid, invalid and
hostile files; an edit re-parses only the file edited; anything that changes the outcome misses
the cache; a damaged or tampered cache is loaded around, never trusted. Files parsed in worker
processes give the same corpus too."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT, build_site, copy_examples
from postmortem_kb.core import corpus as corpus_module
from postmortem_kb.core import processes
from postmortem_kb.core.corpus import Corpus, CorpusLoader
from postmortem_kb.core.file_cache import CACHE_FILE
from postmortem_kb.core.followup import FollowUp
from postmortem_kb.core.lint import LintConfig, LintLevel
from postmortem_kb.core.schema import Severity

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate

BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"


def _facts(corpus: Corpus) -> dict[str, object]:
    """Everything a build reads of a corpus, in comparable form (the fields each model's file
    set included: metrics read which fields were given)."""
    return {
        "files": corpus.files,
        "unbuilt": corpus.unbuilt,
        "problems": [p.format() + f" [{p.level.value} {p.rule}]" for p in corpus.problems],
        "incidents": [
            (
                incident.document,
                incident.model,
                incident.model.model_dump_json(exclude_unset=True),
                incident.metrics,
            )
            for incident in corpus.incidents
        ],
    }


def _corpus_folder(tmp_path: Path) -> Path:
    """The examples, every bad input and 30 generated post-mortems, in one folder."""
    folder = tmp_path / "postmortems"
    shutil.copytree(EXAMPLES, folder)
    for case in BAD_INPUTS.glob("*.md"):
        shutil.copy(case, folder / f"bad_{case.name}")
    generate(folder / "generated", 30, seed=11)
    return folder


def _rows(cache: Path) -> int:
    with sqlite3.connect(cache / CACHE_FILE) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM files").fetchone()
    return int(count)


def test_a_corpus_from_the_cache_is_the_corpus_loading_gives(tmp_path: Path) -> None:
    folder = _corpus_folder(tmp_path)
    follow_up = FollowUp(approval=frozenset({Severity.SEV1}))
    fresh = CorpusLoader(follow_up=follow_up).load(folder, tmp_path)
    assert len(fresh.incidents) >= 45 and len(fresh.unbuilt) >= 40  # both kinds are covered
    assert any(p.rule == "approval" for p in fresh.problems)
    assert any(p.level.value == "warning" for p in fresh.problems)

    cache = tmp_path / "cache"
    first = CorpusLoader(follow_up=follow_up, cache_dir=cache)
    assert _facts(first.load(folder, tmp_path)) == _facts(fresh)
    files = len(fresh.files)
    assert (first.files_parsed, first.files_cached) == (files, 0)

    second = CorpusLoader(follow_up=follow_up, cache_dir=cache)  # a new build
    from_cache = second.load(folder, tmp_path)
    # Files that cannot be read (a refused name, bytes that are not UTF-8) are never cached.
    assert second.files_parsed == 0 and second.files_cached >= files - 2
    assert _facts(from_cache) == _facts(fresh)


def test_an_edit_parses_only_the_edited_file_and_the_cache_keeps_one_corpus(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "postmortems"
    generate(folder, 12, seed=5)
    cache = tmp_path / "cache"
    CorpusLoader(cache_dir=cache).load(folder, tmp_path)
    assert _rows(cache) == 12

    edited, removed = sorted(folder.glob("*.md"))[:2]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text + "\nAn edited line.\n", encoding="utf-8")
    removed.unlink()
    loader = CorpusLoader(cache_dir=cache)
    corpus = loader.load(folder, tmp_path)
    assert (loader.files_parsed, loader.files_cached) == (1, 10)
    assert len(corpus.incidents) == 11
    # Cross-file rules run over every file, cached or not: links to the removed one are errors.
    removed_id = removed.name[: len("INC-2021-00002")]
    assert corpus.problems and all(removed_id in p.message for p in corpus.problems)
    assert sum("An edited line." in i.document.body for i in corpus.incidents) == 1
    assert _rows(cache) == 11  # the removed file's entry and the edited file's old one are gone


def test_settings_that_change_the_outcome_miss_the_cache(tmp_path: Path) -> None:
    folder = shutil.copytree(EXAMPLES, tmp_path / "postmortems")
    cache = tmp_path / "cache"
    CorpusLoader(cache_dir=cache).load(folder, tmp_path)

    loader = CorpusLoader(lint=LintConfig(levels=(("blame", LintLevel.ERROR),)), cache_dir=cache)
    loader.load(folder, tmp_path)
    assert loader.files_cached == 0 and loader.files_parsed == 18
    moved = CorpusLoader(cache_dir=cache)
    moved.load(folder, tmp_path / "postmortems")  # another display path: messages name it
    assert moved.files_cached == 0


def _entries(cache: Path) -> list[tuple[str, bytes]]:
    with sqlite3.connect(cache / CACHE_FILE) as db:
        return [(key, bytes(value)) for key, value in db.execute("SELECT * FROM files")]


def _tamper(cache: Path, key: str, value: bytes) -> None:
    with sqlite3.connect(cache / CACHE_FILE) as db:
        db.execute("UPDATE files SET value = ? WHERE key = ?", (value, key))


def test_entries_are_json_and_a_tampered_or_damaged_entry_is_loaded_again(
    tmp_path: Path,
) -> None:
    folder = shutil.copytree(EXAMPLES, tmp_path / "postmortems")
    cache = tmp_path / "cache"
    fresh = CorpusLoader(cache_dir=cache).load(folder, tmp_path)
    entries = _entries(cache)
    assert len(entries) == 18
    stored = [json.loads(zlib.decompress(value)) for _, value in entries]  # data, not pickle
    assert all(isinstance(entry["model"], str) for entry in stored)

    # A model the schema rejects (a severity that does not exist) and bytes that are no entry.
    (key_a, _), (key_b, _) = entries[:2]
    bad_model = json.loads(stored[0]["model"])
    bad_model["severity"] = "<script>"
    _tamper(
        cache,
        key_a,
        zlib.compress(json.dumps({**stored[0], "model": json.dumps(bad_model)}).encode()),
    )
    _tamper(cache, key_b, b"not an entry")
    loader = CorpusLoader(cache_dir=cache)
    again = loader.load(folder, tmp_path)
    assert (loader.files_parsed, loader.files_cached) == (2, 16)
    assert _facts(again) == _facts(fresh)

    (cache / CACHE_FILE).write_bytes(b"truncated")  # not a database: started again
    loader = CorpusLoader(cache_dir=cache)
    assert _facts(loader.load(folder, tmp_path)) == _facts(fresh)
    assert loader.files_parsed == 18 and _rows(cache) == 18


@pytest.mark.parametrize("cache_dir", ["false", None])
def test_a_build_reports_the_files_it_took_from_the_cache(
    project: Path, cache_dir: str | None
) -> None:
    copy_examples(project)
    if cache_dir is not None:
        config = project / "mkdocs.yml"
        anchor = "      postmortems_dir: postmortems\n"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace(anchor, f"{anchor}      cache_dir: {cache_dir}\n"))
    cold = build_site(project)
    warm = build_site(project)
    assert cold.returncode == warm.returncode == 0, warm.log
    assert "18 parsed this build, 0 from the file cache" in cold.log
    if cache_dir is None:
        assert "0 parsed this build, 18 from the file cache" in warm.log
        assert (project / ".cache" / "postmortem-kb" / CACHE_FILE).is_file()
    else:
        assert "18 parsed this build, 0 from the file cache" in warm.log
        assert not (project / ".cache").exists()


@pytest.mark.parametrize("fresh_from", [10_000, 1], ids=["fork", "forkserver"])
def test_files_parsed_in_worker_processes_give_the_same_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_from: int
) -> None:
    folder = _corpus_folder(tmp_path)
    follow_up = FollowUp(approval=frozenset({Severity.SEV1}))
    serial = CorpusLoader(follow_up=follow_up).load(folder, tmp_path)
    monkeypatch.setattr(corpus_module, "PARALLEL_FROM", 10)
    monkeypatch.setattr(corpus_module, "CHUNK", 25)  # rounds read while the last is parsed
    monkeypatch.setattr(processes, "FRESH_WORKERS_FROM", fresh_from)
    started: list[int] = []
    monkeypatch.setattr(
        corpus_module.ProcessPoolExecutor,
        "__init__",
        _counting(corpus_module.ProcessPoolExecutor.__init__, started),
    )
    loader = CorpusLoader(follow_up=follow_up, workers=2)
    parallel = loader.load(folder, tmp_path)
    assert started == [2]  # one pool of two workers for the whole load
    unreadable = {p.path for p in serial.problems if p.field == "file"}  # never parsed
    assert loader.files_parsed == len(serial.files) - len(unreadable)
    assert _facts(parallel) == _facts(serial)


def test_a_worker_dying_mid_load_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker gone while one round is parsed and the next already sent: both rounds, and
    the rest, are parsed in the build's process; the corpus is the same."""
    folder = _corpus_folder(tmp_path)
    serial = CorpusLoader().load(folder, tmp_path)
    monkeypatch.setattr(corpus_module, "PARALLEL_FROM", 10)
    monkeypatch.setattr(corpus_module, "CHUNK", 25)
    monkeypatch.setattr(processes, "FRESH_WORKERS_FROM", 10_000)  # forked: sees the patch
    files = sorted(folder.rglob("*.md"))
    victim = next(path for path in files[25:] if path.parent.name == "generated")
    assert files.index(victim) < len(files) - 25  # not in the last round
    crashed = tmp_path / "crashed"
    monkeypatch.setenv("VICTIM", str(victim))
    monkeypatch.setenv("CRASHED_FLAG", str(crashed))
    monkeypatch.setattr(corpus_module, "_check_many", _dying_on_victim)
    loader = CorpusLoader(workers=2)
    parallel = loader.load(folder, tmp_path)
    assert crashed.exists()
    unreadable = {p.path for p in serial.problems if p.field == "file"}
    assert loader.files_parsed == len(serial.files) - len(unreadable)
    assert _facts(parallel) == _facts(serial)


_CHECK_MANY = corpus_module._check_many


def _dying_on_victim(todo: list[Any]) -> Any:
    """`_check_many`, whose worker dies on the file named by $VICTIM (a forked worker)."""
    if any(str(path) == os.environ["VICTIM"] for path, _, _ in todo):
        Path(os.environ["CRASHED_FLAG"]).touch()
        os._exit(70)
    return _CHECK_MANY(todo)


def _counting(init: Any, started: list[int]) -> Any:
    def counted(self: Any, max_workers: int, *args: Any, **kwargs: Any) -> None:
        started.append(max_workers)
        init(self, max_workers, *args, **kwargs)

    return counted


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_started_afresh_fork_from_a_server_that_imported_the_package_once() -> None:
    """processes.PRELOADED: the fork server imports the package (and pydantic, Markdown, nh3
    with it) before it forks a worker, so a worker started afresh imports none of it again."""
    pool = processes.start_pool(2, processes.FRESH_WORKERS_FROM, processes._ready, ())
    assert pool is not None
    try:
        parents = {pool.submit(os.getppid).result() for _ in range(8)}
    finally:
        pool.shutdown()
    assert len(parents) == 1 and os.getpid() not in parents  # one server, not this process
    maps = Path(f"/proc/{parents.pop()}/maps").read_text(encoding="utf-8")
    for library in ("pydantic_core", "nh3", "_yaml"):  # C extensions the package loads
        assert library in maps, library


def _priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities")
@pytest.mark.parametrize("tasks", [2, processes.FRESH_WORKERS_FROM])
def test_workers_run_below_the_build_which_waits_for_them(tasks: int) -> None:
    """processes.WORKER_NICENESS: the build's own process (which makes the pages workers
    finish, then runs the theme) wins a core from its workers, whether they are forked from it
    or started afresh."""
    pool = processes.start_pool(2, tasks, processes._ready, ())
    assert pool is not None
    try:
        priorities = {pool.submit(_priority).result() for _ in range(4)}
    finally:
        pool.shutdown()
    assert priorities == {min(19, _priority() + processes.WORKER_NICENESS)}
