"""Benchmark: the plugin's build against plain mkdocs-material, cold and warm, `mkdocs serve`,
validation against parsing, and the other engines; checked against issue 17's targets.

    python3 dev.py bench                         # N = 100, 1,000 and 10,000 (takes long)
    python3 dev.py bench --sizes 100,1000        # a quicker run
    .venv/bin/python bench/run.py --help         # the same, without dev.py

For each N it generates a seeded synthetic corpus (`bench/generate.py`) and two projects: the
plugin project, with this repository's mkdocs.yml (its theme, extensions, nav and plugins:
`tags` and `postmortem-kb`, no theme `search`), and a plain mkdocs-material project of the same
Markdown bodies with Material's default `search`, incident pages out of the nav. Each step runs
in a fresh process:

- (a) `mkdocs build` of the plugin project, cold (the plugin's cache folder deleted first), and
  (a-warm) the same again after appending a sentence to one post-mortem, cache kept;
- (b) `mkdocs build` of the plain project;
- (c) the core's validation of the corpus (`CorpusLoader`, what `postmortem validate` runs) and
  (d) the parse floor: every front matter loaded with PyYAML's C loader;
- (e) `mkdocs serve` (and `serve --dirty`) of the plugin project: seconds from appending a
  sentence to one post-mortem until its page is served with it;
- (f) ProperDocs building the plugin project, and (g) `postmortem render` then Zensical building
  the rendered tree.

Wall time, CPU time and peak memory come from a wrapper process for each step; memory is the
summed RSS of the step's whole process tree, sampled every 0.1 s. It prints Markdown tables (the
targets first), writes them to `bench/results.md` (keeping that file's hand-written
"Optimisation history" section) and, with `--readme`, into README.md's Performance section, and
the raw figures as JSON to `bench/out/`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE_EPOCH = "1763856000"  # 2025-11-23: a fixed "today" so every run renders the same
PACKAGES = (
    *("mkdocs", "mkdocs-material", "properdocs", "zensical"),
    *("pydantic", "pyyaml", "jinja2", "markdown", "lunr"),
)


# --- child-process tasks ----------------------------------------------------------------------


PROC = Path("/proc")
SAMPLE_S = 0.1
"""How often the memory of a measured process tree is sampled."""
PSS_EVERY = 10
"""Pss is sampled every PSS_EVERY samples: reading it walks every page of a process (about 20 %
of a core for a 3 GB build sampled every 0.1 s, taken from the build it measures)."""


def _proc_kib(pid: int, name: str, field: str) -> int:
    """A `field:` line of /proc/PID/`name`, in KiB; 0 when the process is gone or unreadable."""
    try:
        text = (PROC / str(pid) / name).read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _rss_kib(pid: int) -> int:
    """A process's resident set (VmRSS) in KiB; 0 when it is gone or a zombie."""
    return _proc_kib(pid, "status", "VmRSS")


def _pss_kib(pid: int) -> int:
    """A process's proportional set (Pss) in KiB: pages it shares with other processes, such as
    forked workers, counted by share."""
    return _proc_kib(pid, "smaps_rollup", "Pss")


def _children_listed(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc/PID/task/*/children (CONFIG_PROC_CHILDREN)."""
    found = []
    for path in (PROC / str(pid) / "task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in path.read_text().split()]
    return found


def _children_scanned() -> dict[int, list[int]]:
    """Parent id -> child ids of every process, from each /proc/PID/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])  # after "(comm)": state, then ppid
        children.setdefault(parent, []).append(int(entry.name))
    return children


def tree_kib(root: int, with_pss: bool = True) -> tuple[int, int]:
    """Summed VmRSS and summed Pss (0 unless `with_pss`) of `root` and all its descendants, in KiB.
    The RSS sum counts pages shared between them (as between forked workers) in each; the Pss
    sum counts them once, which is what the tree needs of the machine's memory."""
    listed = (PROC / "self" / "task" / str(os.getpid()) / "children").exists()
    scanned = {} if listed else _children_scanned()
    rss = pss = 0
    stack, seen = [root], set()
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.add(pid)
            rss += _rss_kib(pid)
            pss += _pss_kib(pid) if with_pss else 0
            stack += _children_listed(pid) if listed else scanned.get(pid, [])
    return rss, pss


class TreeMemory:
    """The peak summed RSS and the peak summed Pss of a process tree, sampled every SAMPLE_S
    seconds in a thread while the block runs (Linux only: elsewhere both stay 0)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self.peak_pss_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            rss, pss = tree_kib(self.pid, with_pss=self.samples % PSS_EVERY == 0)
            self.peak_kib = max(self.peak_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.samples += 1
            if self._stop.wait(SAMPLE_S):
                return

    def __enter__(self) -> TreeMemory:
        if PROC.joinpath("self", "status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def task_measure(command: list[str], log: Path) -> dict[str, Any]:
    """Run `command` once: its wall and CPU time, the peak RSS of its whole process tree
    (sampled; never below the largest single process) and of its largest single process."""
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=out, text=True)
        with TreeMemory(process.pid) as memory:
            stdout, _ = process.communicate()
    wall = time.perf_counter() - started
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux, bytes on macOS
    largest = usage.ru_maxrss * scale / 2**20
    report: dict[str, Any] = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": max(memory.peak_kib / 1024, largest),
        "tree_rss_sampled_mb": memory.peak_kib / 1024,
        "tree_pss_sampled_mb": memory.peak_pss_kib / 1024,
        "tree_rss_samples": memory.samples,
        "max_rss_one_process_mb": largest,
        "returncode": process.returncode,
    }
    last = stdout.strip().splitlines()[-1:] if stdout.strip() else []
    if last and last[0].startswith("{"):
        report["child"] = json.loads(last[0])
    return report


def task_validate(folder: Path) -> dict[str, Any]:
    """(c) Load and validate every post-mortem with the core, as `postmortem validate` does."""
    started = time.perf_counter()
    from postmortem_kb.core.corpus import CorpusLoader

    imported = time.perf_counter()
    corpus = CorpusLoader().load(folder, folder.parent)
    done = time.perf_counter()
    return {
        "import_s": imported - started,
        "work_s": done - imported,
        "files": len(corpus.files),
        "valid": len(corpus.incidents),
        "problems": len(corpus.problems),
    }


def task_parse(folder: Path) -> dict[str, Any]:
    """(d) The parse floor: read every file and load its front matter with LibYAML, nothing else."""
    started = time.perf_counter()
    import yaml

    imported = time.perf_counter()
    loaded = 0
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        front, _, _body = text[4:].partition("\n---\n")
        if isinstance(yaml.load(front, Loader=yaml.CSafeLoader), dict):
            loaded += 1
    done = time.perf_counter()
    return {"import_s": imported - started, "work_s": done - imported, "files": loaded}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "validate": task_validate,
    "parse": task_parse,
}


def child_main(argv: list[str]) -> None:
    """`run.py _measure LOG -- CMD...` or `run.py _task NAME ARGS...` (used by the benchmark)."""
    if argv[0] == "_measure":
        print(json.dumps(task_measure(argv[3:], Path(argv[1]))))
    else:
        print(json.dumps(TASKS[argv[1]](*(Path(a) for a in argv[2:]))))


# --- project setup ----------------------------------------------------------------------------


PLUGIN = "postmortem-kb"


def _plugin_config() -> dict[str, Any]:
    """The repository's mkdocs.yml as the plugin project's: its theme, extensions, navigation and
    plugin list (no theme `search`: the plugin has its own), the plugin reading `postmortems/`."""
    import yaml

    config: dict[str, Any] = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    plugins: list[Any] = []
    for entry in config.get("plugins", []):
        if isinstance(entry, dict) and PLUGIN in entry:
            entry = {PLUGIN: {**(entry[PLUGIN] or {}), "postmortems_dir": "postmortems"}}
        plugins.append(entry)
    if not any(isinstance(entry, dict) and PLUGIN in entry for entry in plugins):
        plugins.append({PLUGIN: {"postmortems_dir": "postmortems"}})
    return {**config, "docs_dir": "docs", "site_dir": "site", "plugins": plugins}


def _plain_config(plugin_config: dict[str, Any]) -> dict[str, Any]:
    """A plain mkdocs-material site: the same theme and extensions, Material's default `search`,
    the hand-written pages and the incident list in the nav, the incident pages out of it."""
    guides = [
        entry
        for section in plugin_config.get("nav", [])
        for title, value in section.items()
        if title == "Guide" and isinstance(value, list)
        for entry in value
    ]
    return {
        "site_name": plugin_config.get("site_name", "Post-mortems"),
        "docs_dir": "docs",
        "site_dir": "site",
        "theme": plugin_config["theme"],
        "plugins": ["search"],
        "markdown_extensions": plugin_config.get("markdown_extensions", []),
        "nav": [{"Home": "index.md"}, {"Incidents": "incidents/index.md"}, {"Guide": guides}],
        "not_in_nav": "/incidents/inc-*.md\n",
    }


def _write_config(path: Path, config: dict[str, Any]) -> None:
    import yaml

    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def prepare(work: Path, count: int, seed: int) -> tuple[Path, Path]:
    """The plugin project and the plain project of one corpus size (the corpus regenerated when
    stale, the two mkdocs.yml written anew from the repository's every time)."""
    sys.path.insert(0, str(HERE))
    from generate import generate

    stamp = f"{count}:{seed}:{(HERE / 'generate.py').stat().st_mtime_ns}"
    plugin_dir, plain_dir = work / "plugin", work / "plain"
    corpus = plugin_dir / "postmortems"
    if not (work / ".stamp").exists() or (work / ".stamp").read_text() != stamp:
        shutil.rmtree(work, ignore_errors=True)
        for project in (plugin_dir, plain_dir):
            shutil.copytree(ROOT / "docs", project / "docs")
            shutil.copytree(ROOT / "overrides", project / "overrides")
        _plain_pages(plain_dir / "docs", generate(corpus, count, seed))
        (work / ".stamp").write_text(stamp)
    plugin_config = _plugin_config()
    _write_config(plugin_dir / "mkdocs.yml", plugin_config)
    _write_config(plain_dir / "mkdocs.yml", _plain_config(plugin_config))
    return plugin_dir, plain_dir


def _plain_pages(docs: Path, paths: list[Path]) -> None:
    """The plain site: each body as a page with its title, a home page and a list of incidents."""
    (docs / "incidents").mkdir(parents=True)
    links = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        front, _, body = text[4:].partition("\n---\n")
        head = dict(line.split(": ", 1) for line in front.splitlines()[:2])
        slug = head["id"].lower()
        title = json.loads(head["title"])
        (docs / "incidents" / f"{slug}.md").write_text(
            f"# {head['id']}: {title}\n\n{body}", encoding="utf-8"
        )
        links.append(f"- [{head['id']}]({slug}.md) {title}")
    (docs / "incidents" / "index.md").write_text(
        "# All incidents\n\n" + "\n".join(links) + "\n", encoding="utf-8"
    )
    (docs / "index.md").write_text("# Post-mortems\n\n[All incidents](incidents/index.md)\n")


# --- measuring --------------------------------------------------------------------------------


ENV = {**os.environ, "SOURCE_DATE_EPOCH": REFERENCE_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
"""Every measured command's environment: a fixed "today", no MkDocs 2 notice."""


def measure(
    command: Sequence[object], log: Path, cwd: Path | None = None, required: bool = True
) -> dict[str, Any]:
    """Run `command` under a fresh wrapper process; its wall time, peak RSS and child report.
    A failure ends the benchmark, or with `required=False` is reported as `failed`."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "_measure", str(log), "--"]
    result = subprocess.run(
        [*wrapper, *(str(c) for c in command)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if report["returncode"]:
        tail = log.read_text(errors="replace")[-2000:]
        message = f"benchmark step failed: {' '.join(map(str, command))}\n{tail}"
        if required:
            raise SystemExit(message)
        print(message, flush=True)
        report["failed"] = True
    return report


def forget_cache(project: Path) -> None:
    """Delete the plugin's cache folder (its `cache_dir` option, `.cache/postmortem-kb` by default,
    relative to mkdocs.yml), so that the next build starts cold. Harmless if there is none."""
    shutil.rmtree(project / ".cache", ignore_errors=True)


EDIT = "One more sentence written by the benchmark"
"""Appended, with a unique mark, to one post-mortem's body for the warm build and serve."""


def edit_sentence() -> str:
    """A sentence no page holds yet: found in a page, it shows that page was rebuilt."""
    return f"{EDIT} (mark {uuid.uuid4().hex})."


def incident_page(site: Path, postmortem: Path) -> str:
    """The URL path of a post-mortem's page in a built site (`incidents/<id lower-cased>/`)."""
    match = re.search(r"(?m)^id: *(\S+)", postmortem.read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit(f"{postmortem.name}: no id in its front matter")
    url = f"incidents/{match.group(1).lower()}/"
    if not (site / url / "index.html").is_file():
        raise SystemExit(f"{postmortem.name}: its page is not at {url} in {site}")
    return url


def folder_bytes(folder: Path) -> int:
    """Total size of the files under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def largest_page(site: Path) -> tuple[int, str]:
    """Size and URL path of the biggest HTML page: what a browser may have to load at once."""
    size, path = max((p.stat().st_size, p) for p in site.rglob("*.html"))
    return size, path.relative_to(site).as_posix().removesuffix("index.html")


def search_index(site: Path) -> dict[str, Any]:
    """Size of the site's search index and what it holds per incident: the plugin's own
    (`search-index/`, many small files a search fetches a few of) or Material's (one file every
    page view downloads)."""
    own = site / "search-index"
    if own.is_dir():
        sizes = [p.stat().st_size for p in own.rglob("*") if p.is_file()]
        incidents = len(list((own / "d").glob("*.json")))
        return {
            "kind": "plugin",
            "bytes": sum(sizes),
            "incident_pages": incidents,
            "files": len(sizes),
            "largest_file_kb": max(sizes, default=0) / 1024,
            "per_incident_mean_kb": sum(sizes) / max(incidents, 1) / 1024,
        }
    path = site / "search" / "search_index.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    per_incident: dict[str, int] = {}
    for doc in data.get("docs", []):
        location = doc.get("location", "")
        if location.startswith("incidents/inc-"):
            page = location.split("#", 1)[0]
            size = len(json.dumps(doc, ensure_ascii=False).encode())
            per_incident[page] = per_incident.get(page, 0) + size
    sizes = sorted(per_incident.values()) or [0]
    return {
        "kind": "material",
        "bytes": path.stat().st_size,
        "incident_pages": len(per_incident),
        "files": 1,
        "largest_file_kb": path.stat().st_size / 1024,
        "per_incident_mean_kb": sum(sizes) / len(sizes) / 1024,
        "per_incident_max_kb": sizes[-1] / 1024,
    }


SERVE_STARTUP_S = 3600.0
"""How long `mkdocs serve` may take to build the site before it answers."""
POLL_S = 0.05


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _poll(
    url: str, server: subprocess.Popen[bytes], timeout: float, wanted: str = ""
) -> str | None:
    """The page at `url` once it answers (and holds `wanted`), polled every POLL_S seconds;
    None when `timeout` passes or the server exits first."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                page: str = response.read().decode("utf-8", errors="replace")
            if wanted in page:
                return page
        except (OSError, http.client.HTTPException):
            pass  # not up yet, or the page is being rebuilt (404)
        time.sleep(POLL_S)
    return None


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group: Ctrl-C first (MkDocs then deletes its temporary
    site), then SIGKILL for anything left."""
    if not hasattr(os, "killpg"):
        server.kill()
        server.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # workers the server left behind


def serve_reload(
    project: Path, edited: Path, url: str, log: Path, dirty: bool, timeout: float
) -> dict[str, Any]:
    """(e) `mkdocs serve [--dirty]` in `project`: once the first build is served, append a
    sentence to `edited` and time from the write until its page (`url`) is served with it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"]
    command += ["-f", str(project / "mkdocs.yml"), *(["--dirty"] if dirty else [])]
    scratch = log.with_suffix(".tmp")  # MkDocs serves from a temporary folder: ours, removed
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    report: dict[str, Any] = {"dirty": dirty, "timeout_s": timeout}
    original, sentence = edited.read_bytes(), edit_sentence()
    started = time.perf_counter()
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=project,
            env={**ENV, "TMPDIR": str(scratch)},
            start_new_session=True,
        )
        try:
            with TreeMemory(server.pid) as memory:
                up = _poll(base, server, SERVE_STARTUP_S) is not None
                page = _poll(base + url, server, 60) if up else None
                report["startup_s"] = time.perf_counter() - started
                if page is not None:
                    written = time.perf_counter()
                    edited.write_bytes(original + f"\n{sentence}\n".encode())
                    page = _poll(base + url, server, timeout, sentence)
                    done = time.perf_counter()
                    if page is not None:
                        report["reload_s"] = done - written
                    elif server.poll() is None:
                        report["timed_out"] = True
            report["peak_rss_mb"] = memory.peak_kib / 1024
            report["peak_pss_mb"] = memory.peak_pss_kib / 1024
            if "reload_s" not in report and "timed_out" not in report:
                report["failed"] = f"the server did not serve {url} (exit {server.poll()})"
        finally:
            _stop(server)
            edited.write_bytes(original)
            shutil.rmtree(scratch, ignore_errors=True)
    if "failed" in report:
        print(f"serve failed: {report['failed']}\n{log.read_text(errors='replace')[-2000:]}")
    return report


def run_size(
    count: int,
    out: Path,
    seed: int,
    serve: dict[str, bool],
    timeout: float,
    *,
    engines: bool = True,
) -> dict[str, Any]:
    """Every measurement for one corpus size."""
    work = out / "work" / str(count)
    started = time.perf_counter()
    plugin_dir, plain_dir = prepare(work, count, seed)
    print(f"N={count}: corpus ready in {time.perf_counter() - started:.1f} s", flush=True)
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--clean", "-f"]
    config = plugin_dir / "mkdocs.yml"
    corpus = plugin_dir / "postmortems"
    edited = sorted(corpus.glob("*.md"))[count // 2]
    result: dict[str, Any] = {"n": count, "edited": edited.name}

    def step(name: str, command: Sequence[object], cwd: Path, **options: Any) -> dict[str, Any]:
        report = measure(command, work / f"{name}.log", cwd, **options)
        result[name] = report
        print(f"N={count}: {name:10} {_cell(report):>22}", flush=True)
        return report

    # (a) cold: no cache from an earlier build; (a-warm) one post-mortem edited, cache kept.
    forget_cache(plugin_dir)
    step("plugin", [*mkdocs, config], plugin_dir)
    site = plugin_dir / "site"
    result["incident_url"] = url = incident_page(site, edited)
    result["plugin"].update(
        site_bytes=folder_bytes(site), largest_page=largest_page(site), search=search_index(site)
    )
    original, sentence = edited.read_bytes(), edit_sentence()
    try:
        edited.write_bytes(original + f"\n{sentence}\n".encode())
        step("warm", [*mkdocs, config], plugin_dir)
        result["warm"]["edit_shown"] = sentence in (site / url / "index.html").read_text("utf-8")
    finally:
        edited.write_bytes(original)

    # (e) serve: edit to reloaded page, as `mkdocs serve` and `mkdocs serve --dirty` (cache kept).
    for name, wanted in serve.items():
        if wanted:
            dirty = name == "serve-dirty"
            report = serve_reload(plugin_dir, edited, url, work / f"{name}.log", dirty, timeout)
            result[name] = report
            print(f"N={count}: {name:10} {_serve_cell(report):>22}", flush=True)

    step("plain", [*mkdocs, plain_dir / "mkdocs.yml"], plain_dir)
    site = plain_dir / "site"
    result["plain"].update(
        site_bytes=folder_bytes(site), largest_page=largest_page(site), search=search_index(site)
    )
    if serve.get("serve-dirty"):
        # The engine's own floor for (e): plain mkdocs-material's `serve --dirty`, same edit.
        plain_edited = plain_dir / "docs" / f"{url.rstrip('/')}.md"
        log = work / "plain-serve-dirty.log"
        report = serve_reload(plain_dir, plain_edited, url, log, True, timeout)
        result["plain-serve-dirty"] = report
        print(f"N={count}: plain serve --dirty {_serve_cell(report):>12}", flush=True)
    step("validate", [sys.executable, __file__, "_task", "validate", corpus], plugin_dir)
    step("parse", [sys.executable, __file__, "_task", "parse", corpus], plugin_dir)

    # (f) ProperDocs runs the same plugin on the same project; (g) Zensical builds the tree
    # `postmortem render` writes (with its engine config). Each starts cold, as (a) does.
    if not engines:
        return result
    forget_cache(plugin_dir)
    properdocs = [sys.executable, "-m", "properdocs", "build", "--clean", "-f", config]
    properdocs_site = plugin_dir / "site-properdocs"  # (a)'s site stays as measured
    step("properdocs", [*properdocs, "-d", properdocs_site], plugin_dir, required=False)
    shutil.rmtree(properdocs_site, ignore_errors=True)
    forget_cache(plugin_dir)
    rendered = plugin_dir / "rendered"
    shutil.rmtree(rendered, ignore_errors=True)
    render = [sys.executable, "-m", "postmortem_kb.cli.main", "-f", config, "render"]
    render += ["--out", rendered / "docs", "--engine-config", rendered / "mkdocs.yml"]
    if not step("render", render, plugin_dir, required=False).get("failed"):
        zensical = [sys.executable, "-m", "zensical", "build", "--clean"]
        step("zensical", zensical, rendered, required=False)

    return result


# --- reporting --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Cores, memory, load, OS, Python and library versions of this run."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f"{kib / 2**20:.0f} GiB"
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    try:
        import yaml

        libyaml = bool(yaml.__with_libyaml__)
    except ImportError:
        libyaml = False
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cores": os.cpu_count(),
        "memory": memory,
        "load_average": [round(x, 2) for x in load],
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "packages": versions,
        "libyaml": libyaml,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _cell(step: dict[str, Any] | None) -> str:
    """A step's wall time and peak memory (of its process tree)."""
    if step is None:
        return "not run"
    if step.get("failed"):
        return "failed"
    return f"{step['wall_s']:.1f} s · {step['peak_rss_mb']:.0f} MB"


def _serve_cell(report: dict[str, Any]) -> str:
    """Seconds from the edit to the page served with it, or why there is no figure."""
    if "reload_s" in report:
        return f"{report['reload_s']:.2f} s"
    if report.get("timed_out"):
        return f"timed out (> {report['timeout_s']:.0f} s)"
    return "failed"


def _mb(value: float) -> str:
    return f"{value / 2**20:.1f}"


NOT_MEASURED = "not measured in this run"


def _cold_ratio(r: dict[str, Any]) -> tuple[float | None, str]:
    a, b = r["plugin"], r["plain"]
    ratio = a["wall_s"] / b["wall_s"]
    return ratio, f"{ratio:.2f}x ({a['wall_s']:.1f} s / {b['wall_s']:.1f} s)"


def _warm_share(r: dict[str, Any]) -> tuple[float | None, str]:
    a, w = r["plugin"], r["warm"]
    share = w["wall_s"] / a["wall_s"]
    return share, f"{share:.0%} ({w['wall_s']:.1f} s / {a['wall_s']:.1f} s)"


def _serve_seconds(r: dict[str, Any]) -> tuple[float | None, str] | None:
    """`python3 dev.py serve`'s figure: `mkdocs serve --dirty`."""
    report = r.get("serve-dirty")
    if report is None:
        return None
    return report.get("reload_s"), _serve_cell(report)


def _cold_peak(r: dict[str, Any]) -> tuple[float | None, str]:
    """What the build needs of the machine's memory at its peak: the tree's summed Pss (pages
    processes share counted once), never below its largest process's RSS. In GB (10^9 bytes);
    the tables' MB are MiB, so 1.5 GB is 1,431 MB."""
    a = r["plugin"]
    pss, largest = a.get("tree_pss_sampled_mb", 0.0), a["max_rss_one_process_mb"]
    mb = max(pss, largest)
    gb = mb * 2**20 / 1e9
    return gb, (
        f"{gb:.2f} GB (Pss of the tree {pss:.0f} MB; largest process {largest:.0f} MB;"
        f" RSS summed over the tree {a['peak_rss_mb']:.0f} MB)"
    )


def _cold_floor(r: dict[str, Any]) -> str:
    b, c = r["plain"]["wall_s"], r["validate"]["wall_s"]
    return f"(b) + (c): {(b + c) / b:.2f}x ({b:.1f} s + {c:.1f} s)"


def _warm_floor(r: dict[str, Any]) -> str:
    a, b = r["plugin"]["wall_s"], r["plain"]["wall_s"]
    return f"(b) alone: {b / a:.0%} of (a) ({b:.1f} s)"


def _serve_floor(r: dict[str, Any]) -> str:
    report = r.get("plain-serve-dirty")
    return "not run" if report is None else f"plain `serve --dirty`: {_serve_cell(report)}"


def _peak_floor(r: dict[str, Any]) -> str:
    b = r["plain"]
    pss = b.get("tree_pss_sampled_mb")
    shown = f"{b['peak_rss_mb']:.0f} MB"
    return f"(b): {shown}" + ("" if pss is None else f", Pss {pss:.0f} MB")


Figure = Callable[[dict[str, Any]], tuple[float | None, str] | None]
TARGETS: list[tuple[str, int, float, Figure, Callable[[dict[str, Any]], str]]] = [
    ("(a) cold build ≤ 1.3x (b) plain mkdocs-material, wall", 1000, 1.3, _cold_ratio, _cold_floor),
    (
        "(a) cold build ≤ 1.3x (b) plain mkdocs-material, wall",
        10000,
        1.3,
        _cold_ratio,
        _cold_floor,
    ),
    (
        "(a-warm) build after editing 1 file ≤ 15 % of (a) cold",
        10000,
        0.15,
        _warm_share,
        _warm_floor,
    ),
    (
        "`dev.py serve` (`--dirty`): edit → page served with it ≤ 1 s",
        1000,
        1.0,
        _serve_seconds,
        _serve_floor,
    ),
    (
        "`dev.py serve` (`--dirty`): edit → page served with it ≤ 3 s",
        10000,
        3.0,
        _serve_seconds,
        _serve_floor,
    ),
    ("peak memory of (a), whole process tree (Pss) ≤ 1.5 GB", 10000, 1.5, _cold_peak, _peak_floor),
]
"""Issue 17's targets: what, at which N, the limit, the figure (value in the limit's unit, and
as shown; None when that size or step did not run) and the same step without the plugin."""

FLOORS_NOTE = (
    "The last column is the engine alone, on the same bodies: (b) + (c) is a plain build plus"
    " loading and validating every post-mortem once, in one process; a build that renders every"
    " page with the theme (every MkDocs build but `--dirty`) cannot take less than (b); plain"
    " `serve --dirty` is mkdocs-material's own preview of the same edit, with no plugin; (b)'s"
    " peak memory is MkDocs holding the same pages. Pss counts pages that processes share once."
)


def target_table(results: list[dict[str, Any]]) -> list[str]:
    """One row per target: the figure measured in this run and whether it meets the target."""
    by_n = {r["n"]: r for r in results}
    lines = [
        "| target | N | measured | result | the engine alone |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for label, n, limit, figure, floor in TARGETS:
        found = figure(by_n[n]) if n in by_n else None
        if found is None:
            shown, verdict, alone = NOT_MEASURED, NOT_MEASURED, ""
        else:
            value, shown = found
            verdict = "met" if value is not None and value <= limit else "not met"
            alone = floor(by_n[n])
        lines.append(f"| {label} | {n:,} | {shown} | {verdict} | {alone} |")
    return [*lines, "", FLOORS_NOTE]


def table(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    """The results as Markdown: targets, timings, engines, sizes, scaling, and the machine."""
    sizes = sorted(r["n"] for r in results)
    missing = sorted({n for _, n, _, _, _ in TARGETS} - set(sizes))
    lines = [
        f"Sizes run: {', '.join(f'{n:,}' for n in sizes)}."
        + (
            f" **A quick run**: the targets at {' and '.join(f'{n:,}' for n in missing)}"
            " are not measured."
            if missing
            else ""
        ),
        "",
        *target_table(results),
        "",
        "| N | (a) plugin build, cold | (b) plain build | a/b (CPU)"
        " | (a-warm) plugin build, warm | warm/cold | (c) validate | (d) parse floor"
        " | c/d work (process) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        a, w, b, c, d = r["plugin"], r["warm"], r["plain"], r["validate"], r["parse"]
        cw, dw = c["child"]["work_s"], d["child"]["work_s"]
        shown = "" if w.get("edit_shown", True) else " (edit not shown!)"
        lines.append(
            f"| {r['n']:,} | {_cell(a)} | {_cell(b)}"
            f" | {a['wall_s'] / b['wall_s']:.2f} ({a['cpu_s'] / b['cpu_s']:.2f})"
            f" | {_cell(w)}{shown} | {w['wall_s'] / a['wall_s']:.0%}"
            f" | {_cell(c)} | {_cell(d)} | {cw / dw:.2f} ({c['wall_s'] / d['wall_s']:.2f}) |"
        )
    served = [r for r in results if "serve" in r or "serve-dirty" in r]
    if served:
        lines += [
            "",
            "| N | (e) `mkdocs serve`: first build served | edit → page served with it"
            " | peak MB | `serve --dirty`: first build served | edit → page served with it"
            " | peak MB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
    for r in served:
        cells = []
        for name in ("serve", "serve-dirty"):
            report = r.get(name)
            if report is None:
                cells += ["not run"] * 3
                continue
            startup = report.get("startup_s")
            cells += [
                "" if startup is None else f"{startup:.1f} s",
                _serve_cell(report),
                f"{report['peak_rss_mb']:.0f}" if "peak_rss_mb" in report else "",
            ]
        lines.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| N | MkDocs (a) | ProperDocs (f) | Zensical from the rendered tree (g):"
        " `postmortem render` | `zensical build` | render + build |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        render, zensical = r.get("render"), r.get("zensical")
        both = "not run"
        if render and zensical and not (render.get("failed") or zensical.get("failed")):
            wall = render["wall_s"] + zensical["wall_s"]
            peak = max(render["peak_rss_mb"], zensical["peak_rss_mb"])
            both = f"{wall:.1f} s · {peak:.0f} MB"
        elif render or zensical:
            both = "failed"
        lines.append(
            f"| {r['n']:,} | {_cell(r['plugin'])} | {_cell(r.get('properdocs'))}"
            f" | {_cell(render)} | {_cell(zensical)} | {both} |"
        )
    lines += [
        "",
        "| N | site MB (a / b) | largest page MB (a) | search index MB (a / b)"
        " | (a) plugin's index: files, largest KB | index KB per incident: (a) mean"
        " | (b) mean / max |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        a, b = r["plugin"], r["plain"]
        sa, sb = a["search"], b["search"]
        largest, where = a["largest_page"]
        lines.append(
            f"| {r['n']:,} | {_mb(a['site_bytes'])} / {_mb(b['site_bytes'])}"
            f" | {_mb(largest)} (`{where}`)"
            f" | {_mb(sa['bytes'])} / {_mb(sb['bytes'])}"
            f" | {sa['files']:,}, {sa['largest_file_kb']:.0f}"
            f" | {sa['per_incident_mean_kb']:.1f}"
            f" | {sb['per_incident_mean_kb']:.1f} / {sb.get('per_incident_max_kb', 0):.1f} |"
        )
    by_n = {r["n"]: r for r in results}
    pairs = [(n, n * 10) for n in sorted(by_n) if n * 10 in by_n]
    if pairs:
        lines += [
            "",
            "| scaling | step | time ratio | peak RSS ratio |",
            "| --- | --- | ---: | ---: |",
        ]
        for small, large in pairs:
            for step in ("plugin", "warm", "plain", "validate", "parse"):
                s, g = by_n[small][step], by_n[large][step]
                lines.append(
                    f"| {small:,} → {large:,} | {step} | {g['wall_s'] / s['wall_s']:.1f}"
                    f" | {g['peak_rss_mb'] / s['peak_rss_mb']:.1f} |"
                )
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    lines += [
        "",
        "Times are wall-clock seconds (CPU in the a/b brackets). Peak MB is the resident memory of"
        " the step's whole process tree, summed over its processes and sampled every 0.1 s (pages"
        " that forked workers share are counted in each); the JSON also has the largest single"
        " process (`max_rss_one_process_mb`). (a) and the engines start with no plugin cache.",
        "",
        f"Machine: {info['cores']} cores, {info['memory']} RAM, {info['platform']}"
        f" ({info['processor']}), Python {info['python']}; {packages}"
        f"; LibYAML {'yes' if info['libyaml'] else 'no'}. Load average at start"
        f" {info['load_average'][0]} (a shared machine: timings vary between runs)."
        f" Run {info['date']}.",
    ]
    return "\n".join(lines) + "\n"


HISTORY_HEADING = "## Optimisation history"
README = ROOT / "README.md"
README_START = "<!-- bench/run.py --readme writes the figures from here -->"
README_END = "<!-- ... to here -->"


def write_readme(path: Path, text: str) -> None:
    """Replace the figures between the README's two markers with `text`."""
    readme = path.read_text(encoding="utf-8")
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path.name}: no {README_START!r} ... {README_END!r} markers")
    start += len(README_START)
    path.write_text(f"{readme[:start]}\n\n{text}\n{readme[end:]}", encoding="utf-8")


def kept_history(results: Path) -> str:
    """The hand-written history section of an earlier `results.md` (kept when it is rewritten)."""
    if not results.exists():
        return ""
    text = results.read_text(encoding="utf-8")
    start = text.find(HISTORY_HEADING)
    return "" if start < 0 else "\n" + text[start:]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("_measure", "_task"):
        child_main(argv)
        return
    parser = argparse.ArgumentParser(description="Benchmark the postmortem-kb plugin.")
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated corpus sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out", help="work folder and JSON")
    parser.add_argument("--results", type=Path, default=HERE / "results.md")
    parser.add_argument(
        "--serve-up-to",
        type=int,
        default=1000,
        help="measure `mkdocs serve` (edit to reloaded page) for sizes up to this",
    )
    parser.add_argument(
        "--serve-dirty-up-to",
        type=int,
        default=10_000,
        help="... and `mkdocs serve --dirty` (what `dev.py serve` runs) for sizes up to this",
    )
    parser.add_argument(
        "--engines-up-to",
        type=int,
        default=1000,
        help="build with ProperDocs and Zensical (from the rendered tree) for sizes up to this",
    )
    parser.add_argument(
        "--serve-timeout",
        type=float,
        default=600.0,
        help="seconds to wait for the edited page before reporting 'timed out'",
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="also write the figures into README.md's Performance section (between its markers)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    info = machine()
    out = args.out.resolve()
    results = [
        run_size(
            n,
            out,
            args.seed,
            {"serve": n <= args.serve_up_to, "serve-dirty": n <= args.serve_dirty_up_to},
            args.serve_timeout,
            engines=n <= args.engines_up_to,
        )
        for n in sizes
    ]
    text = table(results, info)
    print()
    print(text, end="")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    raw = {"machine": info, "seed": args.seed, "results": results}
    (args.out / f"results-{stamp}.json").write_text(json.dumps(raw, indent=2))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    history = kept_history(args.results)
    command = " ".join(["python3 dev.py bench", *(a for a in argv if a != "--readme")])
    text = f"Produced by `{command}` (see `bench/run.py`). {text}"
    args.results.write_text(f"# Benchmark results\n\n{text}{history}", encoding="utf-8")
    print(f"\nwrote {args.results} and {args.out / f'results-{stamp}.json'}")
    if args.readme:
        write_readme(README, text)
        print(f"wrote the figures into {README}")


if __name__ == "__main__":
    main()
