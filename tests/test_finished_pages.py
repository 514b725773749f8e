"""The core finishes every generated page (issue 17): MkDocs places its HTML, table of contents
and title; pages render in worker processes within a time budget and come from a cache across
builds; the site is byte-identical however it was rendered."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REFERENCE_EPOCH, build_in_process, build_site, copy_examples
from payloads import html_payloads
from postmortem_kb.core.packed import Packer, unpack
from postmortem_kb.render import safejson
from postmortem_kb.render.pages import GeneratedPage
from postmortem_kb.render.sanitize import MARKERS
from postmortem_kb.render.workers import Job, PageFinisher, finish_pages
from security_corpus import SCRIPT_BODY, TOC_BODY, post_mortem

MARKS = ("pwned", "pmkb-xss")
CACHE = Path(".cache") / "postmortem-kb" / "pages.sqlite"


def _options(project: Path, **options: object) -> None:
    """Set plugin options in the project's mkdocs.yml."""
    config = project / "mkdocs.yml"
    lines = "".join(f"      {key}: {value}\n" for key, value in options.items())
    text = config.read_text(encoding="utf-8")
    anchor = "      postmortems_dir: postmortems\n"
    assert anchor in text
    config.write_text(text.replace(anchor, anchor + lines), encoding="utf-8")


def _tree(folder: Path) -> dict[str, bytes]:
    files = (path for path in folder.rglob("*") if path.is_file())
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in files}


def _secondary_toc(page: str) -> str:
    """The page's table of contents as the theme prints it (the secondary sidebar)."""
    start = page.index('<nav class="md-nav md-nav--secondary"')
    return page[start : page.index('<div class="md-content"', start)]


BODY = """Summary text.

## Root cause analysis

The pool ran dry.

### Why the pool ran dry

Because of a retry storm.

#### The retry storm in detail

Every client retried at once.
"""


def test_body_headings_are_in_the_table_of_contents_with_the_ids_they_carry(
    project: Path,
) -> None:
    (project / "postmortems" / "INC-2025-101.md").write_text(post_mortem("INC-2025-101", BODY))
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    page = build.page("incidents/inc-2025-101/")
    toc = _secondary_toc(page)
    for anchor, text in (
        ("root-cause-analysis", "Root cause analysis"),
        ("why-the-pool-ran-dry", "Why the pool ran dry"),
        ("the-retry-storm-in-detail", "The retry storm in detail"),
    ):
        assert f'href="#{anchor}"' in toc, anchor
        assert re.search(rf'<h[2-4] id="{anchor}">{text}<a class="headerlink"', page), anchor
    # The title is the page's own (front matter), and the H1 is not repeated in the TOC entries.
    assert "<title>INC-2025-101: " in page


def test_hostile_headings_reach_the_toc_only_with_safe_ids(project: Path) -> None:
    for incident_id, body in (("SEC-2025-001", TOC_BODY), ("SEC-2025-007", SCRIPT_BODY)):
        path = project / "postmortems" / f"{incident_id}.md"
        path.write_text(post_mortem(incident_id, body))
    build = build_in_process(project, strict=False)
    for incident_id in ("sec-2025-001", "sec-2025-007"):
        page = build.page(f"incidents/{incident_id}/")
        assert html_payloads(page, MARKS) == [], incident_id
        for anchor in re.findall(r'href="#([^"]*)"', _secondary_toc(page)):
            assert re.fullmatch(r"[A-Za-z0-9_.:/-]+", anchor), anchor


def test_serial_parallel_and_cached_builds_are_byte_identical(project: Path) -> None:
    """One `mkdocs build` per way of rendering, each in its own process (its own body markers)."""
    copy_examples(project)
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    _options(project, workers=1, cache_dir="false")
    serial = build_site(project)
    assert serial.returncode == 0, serial.log
    assert "0 from the cache" in serial.log and not (project / CACHE).exists()
    reference = _tree(serial.site)
    assert len([p for p in reference if p.startswith("incidents/inc-")]) == 18

    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    _options(project, workers=2)
    cold = build_site(project)
    assert cold.returncode == 0, cold.log
    assert "0 from the cache" in cold.log and (project / CACHE).is_file()
    assert "18 parsed this build, 0 from the file cache" in cold.log
    assert _tree(cold.site) == reference
    warm = build_site(project)
    assert warm.returncode == 0, warm.log
    assert "0 parsed this build, 18 from the file cache" in warm.log  # core/file_cache.py
    [line] = [line for line in warm.log.splitlines() if "from the cache" in line]
    assert line.endswith(" 0 rendered"), line
    assert _tree(warm.site) == reference


def test_pages_go_to_the_workers_as_they_are_added_and_come_back_in_order() -> None:
    """The build hands each incident page over as soon as it is made (render/site.py `ready`):
    the workers render it while the build makes the others."""
    texts = [f"# Page {n}\n\nText {n} with **bold** and a [link](../{n}/).\n" for n in range(40)]
    serial = finish_pages([Job(t, f"{n}.md") for n, t in enumerate(texts)], ["toc"], {}, workers=1)
    with PageFinisher("finish", ["toc"], {}, expected=len(texts), workers=2) as finisher:
        indexes = [finisher.add(Job(t, f"{n}.md")) for n, t in enumerate(texts)]
        assert finisher.sent == len(texts)  # all with the workers before `result` is asked for
        result = finisher.result()
    assert indexes == list(range(len(texts)))
    assert [page.html for page in result.pages] == [page.html for page in serial.pages]
    assert "<strong>bold</strong>" in result.pages[7].html and "Text 7 " in result.pages[7].html


CRASHER = """
import os
from pathlib import Path

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor


class _Crash(Preprocessor):
    def run(self, lines):
        if any("CRASH-THE-WORKER" in line for line in lines):
            Path(os.environ["CRASHED_FLAG"]).touch()
            os._exit(70)  # gone without an exception, as when a C stack overflows
        return lines


class CrashExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(_Crash(md), "crash", 100)


def makeExtension(**kwargs):
    return CrashExtension(**kwargs)
"""


def test_a_worker_crash_costs_only_the_page_that_caused_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that kills its worker is written without its body; the pages handed over after
    the crash go to new workers, and every other page is rendered in full."""
    (tmp_path / "crash_ext.py").write_text(CRASHER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    flag = tmp_path / "crashed"
    monkeypatch.setenv("CRASHED_FLAG", str(flag))

    def page(n: int) -> str:
        body = "CRASH-THE-WORKER" if n == 4 else f"Body {n}."
        return f"# Page {n}\n\n{MARKERS[0]}\n\n{body}\n\n{MARKERS[1]}\n"

    count = 60
    with PageFinisher("finish", ["crash_ext"], {}, expected=count, workers=2) as finisher:
        for n in range(6):
            finisher.add(Job(page(n), f"{n}.md"))
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists()
        time.sleep(1)  # the pool has seen its worker die: the next chunk finds it broken
        for n in range(6, count):
            finisher.add(Job(page(n), f"{n}.md"))
        result = finisher.result()
    assert result.failures == [
        "4.md: rendering its body crashed the worker process; its page is written without it"
    ]
    assert "Not shown: rendering its body crashed the worker process" in result.pages[4].html
    for n, finished in enumerate(result.pages):
        if n != 4:
            assert f"Body {n}." in finished.html, n


def test_an_edit_renders_only_the_pages_it_changes_and_the_cache_keeps_one_site(
    project: Path,
) -> None:
    copy_examples(project)
    assert build_in_process(project).returncode == 0
    with sqlite3.connect(project / CACHE) as db:
        (entries,) = db.execute("SELECT count(*) FROM pages").fetchone()
    edited = next((project / "postmortems").glob("INC-2025-007*.md"))
    edited.write_text(edited.read_text() + "\nOne more sentence, written later.\n")
    build = build_in_process(project)
    assert build.returncode == 0, build.log
    [line] = [line for line in build.log.splitlines() if "from the cache" in line]
    rendered = int(line.rsplit(" ", 2)[1])
    assert 1 <= rendered <= 3, line  # the incident's page (and pages quoting its text)
    assert "One more sentence, written later." in build.page("incidents/inc-2025-007/")
    with sqlite3.connect(project / CACHE) as db:
        (after,) = db.execute("SELECT count(*) FROM pages").fetchone()
    assert after == entries  # the entry of the old version was dropped


def test_a_damaged_cache_is_rendered_anew(project: Path) -> None:
    copy_examples(project)
    (project / CACHE).parent.mkdir(parents=True)
    (project / CACHE).write_bytes(b"not a database" * 100)
    first = build_in_process(project)
    assert first.returncode == 0, first.log
    second = build_in_process(project)
    assert second.page("incidents/inc-2025-007/") == first.page("incidents/inc-2025-007/")
    assert any(line.endswith(" 0 rendered") for line in second.log.splitlines()), second.log


@pytest.mark.parametrize(
    "text", ["", "plain", "Tomás — ☐ → ✓", "a lone \ud800 surrogate", "x" * 200_000 + "é"]
)
def test_a_generated_page_gives_back_exactly_its_text(text: str) -> None:
    """Pages are held packed (core/packed.py): what is read is what was made, equal pages
    compare equal, and a job takes the page's packed text as it is."""
    page = GeneratedPage("incidents/a.md", text, "postmortems/a.md")
    assert page.content == text and page.is_text
    assert page == GeneratedPage("incidents/a.md", text, "postmortems/a.md")
    assert page != GeneratedPage("incidents/a.md", text + " ", "postmortems/a.md")
    job = Job.of_page(page)
    assert job.packed is page.packed and job.markdown == text
    assert job.source == "postmortems/a.md"
    assert GeneratedPage("data/x.bin", b"\x00\xff").content == b"\x00\xff"


def test_a_damaged_cache_entry_is_rendered_anew(project: Path) -> None:
    """Entries hold each page's HTML packed as the build holds it, with a checksum: an entry
    whose bytes changed on disk is not placed, the page is rendered again."""
    copy_examples(project)
    first = build_in_process(project)
    assert first.returncode == 0, first.log
    with sqlite3.connect(project / CACHE) as db:
        rows = db.execute("SELECT rowid, value FROM pages").fetchall()
        rowid, value = max(rows, key=lambda row: len(row[1]))
        damaged = value[:-40] + bytes(b ^ 0x55 for b in value[-40:])
        db.execute("UPDATE pages SET value = ? WHERE rowid = ?", (damaged, rowid))
    second = build_in_process(project)
    assert second.returncode == 0, second.log
    assert any(line.endswith(" 1 rendered") for line in second.log.splitlines()), second.log
    assert _tree(second.site) == _tree(first.site)


HOOKS = """
def on_page_content(html, page, **kwargs):
    if page.file.src_uri == "incidents/inc-2025-007.md":
        return html.replace("</h1>", "</h1><p>Added by a hook.</p>", 1)
    return html


def on_page_context(context, page, **kwargs):
    if page.file.src_uri == "incidents/inc-2024-018.md":
        with open("content-read-by-a-hook.html", "w", encoding="utf-8") as out:
            out.write(page.content)
    return context
"""


@pytest.mark.parametrize(
    "pieces",
    [[], [""], ["Tomás — ☐ → ✓", "a lone \ud800 surrogate"], ["ab" * 50_000, "é" * 70_000, "z"]],
)
def test_text_packed_as_it_is_written_gives_back_exactly_that_text(pieces: list[str]) -> None:
    """A large export is packed as it is encoded (core/packed.py `Packer`), never held whole."""
    out = Packer()
    for piece in pieces:
        out.write(piece)
    page = GeneratedPage.packed_text("data/incidents.json", out.packed())
    assert page.content == "".join(pieces) and page.is_text


def test_json_written_in_pieces_is_the_safe_json_of_the_whole() -> None:
    data = {
        "rows": [{"n": n, "text": f"<script>&{n}</script> — é", "none": None} for n in range(9000)]
    }
    out = Packer()
    safejson.dump(data, out, indent=2)
    text = unpack(out.packed())
    assert text == safejson.dumps(data, indent=2)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


def test_other_plugins_read_and_change_finished_pages_as_text(project: Path) -> None:
    """Finished pages are held packed between MkDocs' conversion and writing: another plugin
    (here MkDocs hooks) still reads each page's whole HTML and keeps what it changes."""
    copy_examples(project)
    plain = build_in_process(project)
    before = plain.page("incidents/inc-2025-007/")
    (project / "hooks.py").write_text(HOOKS, encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "hooks:\n  - hooks.py\n")
    hooked = build_in_process(project)
    assert hooked.returncode == 0, hooked.log
    page = hooked.page("incidents/inc-2025-007/")
    assert "<p>Added by a hook.</p>" in page
    assert page.replace("<p>Added by a hook.</p>", "", 1) == before
    read = (project / "content-read-by-a-hook.html").read_text(encoding="utf-8")
    assert len(read) > 5000 and read in hooked.page("incidents/inc-2024-018/")


@pytest.mark.parametrize(
    ("workers", "body"),
    [(1, "[" * 6000), (2, "[" * 6000), (2, "- " * 2000 + "x")],
    ids=["slow-serial", "slow-workers", "too-deep-workers"],
)
def test_the_time_budget_protects_mkdocs_build(project: Path, workers: int, body: str) -> None:
    """Python-Markdown takes seconds on 6,000 `[` and recurses too deep on 2,000 list markers:
    the page is written without its body, the warning names the file, `--strict` fails."""
    copy_examples(project)
    _options(project, workers=workers, render_budget=1)
    slow = project / "postmortems" / "SEC-2025-050.md"
    slow.write_text(post_mortem("SEC-2025-050", f"Before.\n\n{body}\n"))
    started = time.monotonic()
    build = build_site(project)
    assert time.monotonic() - started < 60
    assert build.returncode == 1
    warnings = [line for line in build.log.splitlines() if "SEC-2025-050.md" in line]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING"), build.log
    page = build.page("incidents/sec-2025-050/")
    assert "Not shown:" in page and "[[[[[[[[" not in page
    assert "Not shown:" not in build.page("incidents/inc-2025-007/")
    # A page written without its body is not cached: the next build reports it again.
    again = build_site(project)
    assert any("SEC-2025-050.md" in line for line in again.log.splitlines()), again.log


SPAWNED = """
import multiprocessing, sys
multiprocessing.set_start_method(sys.argv[1], force=True)
from postmortem_kb.render.sanitize import fence_body
from postmortem_kb.render.workers import Job, finish_pages
page = "# T\\n\\n" + fence_body(sys.stdin.read())
result = finish_pages([Job(page, "a.md"), Job(page, "b.md")], ["toc"], {}, workers=2)
print(result.pages[0].html)
"""


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_workers_started_afresh_clean_bodies_with_the_pages_markers(method: str) -> None:
    """A worker that does not share the build's memory has body markers of its own; it is given
    the build's, so a `<script>` in a body is still cleaned."""
    result = subprocess.run(
        [sys.executable, "-c", SPAWNED, method],
        input=SCRIPT_BODY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "<h1" in result.stdout
    assert html_payloads(result.stdout, MARKS) == [] and "<script" not in result.stdout


def test_background_work_runs_in_a_thread_and_its_failure_reaches_wait() -> None:
    import threading

    from postmortem_kb.render.workers import Background

    seen: list[tuple[str, int]] = []
    release = threading.Event()

    def task(name: str) -> None:
        release.wait(10)
        seen.append((name, threading.get_ident()))

    started = Background(task, "thread")
    seen.append(("caller", threading.get_ident()))  # the task is waiting: the caller goes on
    release.set()
    started.wait()
    assert [name for name, _ in seen] == ["caller", "thread"]
    assert seen[1][1] != seen[0][1]

    def failing() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        Background(failing).wait()


UNGUARDED = """import logging
import sys

import postmortem_kb.core.processes as processes
from mkdocs.commands.build import build
from mkdocs.config import load_config

logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(message)s")
processes.FRESH_WORKERS_FROM = 1  # every pool starts afresh, as for 500 pages and more
build(load_config(config_file={config!r}))
print("built")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no fork")
def test_a_script_that_builds_without_a_main_guard_gets_every_page_with_its_body(
    project: Path,
) -> None:
    """Workers started afresh import the main module again, so a script that builds at module
    level breaks their pool (processes.start_pool): the build falls back to forked workers
    once, says so once, and every page keeps its body."""
    copy_examples(project)
    _options(project, workers=2, cache_dir="false")
    script = project / "unguarded.py"
    script.write_text(UNGUARDED.format(config=str(project / "mkdocs.yml")), encoding="utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": REFERENCE_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=project
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert result.stdout.rstrip().endswith("built"), log[-3000:]
    notices = [line for line in log.splitlines() if "could not start" in line]
    assert len(notices) == 1 and "started by forkserver" in notices[0], notices
    assert "written without" not in log and "crashed" not in log
    [source] = [
        p for p in (project / "postmortems").glob("*.md") if "id: INC-2024-018" in p.read_text()
    ]
    headings = re.findall(r"(?m)^## (.+)$", source.read_text(encoding="utf-8"))
    page = (project / "site" / "incidents" / "inc-2024-018" / "index.html").read_text("utf-8")
    assert headings and all(heading in page for heading in headings), headings
