"""Benchmark of the reader's side: the theme's search (old) against the plugin's (new), in Chromium.

    .venv/bin/python bench/reader.py --sizes 1000          # about 5 minutes on 2 cores

For each N it generates the seeded corpus of `bench/generate.py`, builds the site twice (old:
the repository's mkdocs.yml plus Material's `search` plugin; new: the repository's mkdocs.yml,
which has the plugin's search only), serves each on 127.0.0.1 and, in a fresh headless Chromium
(/usr/bin/chromium) per measurement, opens a guide page and searches: an id, a service, a title
and a lesson phrase. Measured per query: bytes the browser received from navigation until the
first result is shown (Network.loadingFinished, all requests), the time from navigation to that
result, the page's JS heap (CDP Performance.getMetrics, JSHeapUsedSize; Material's worker heap is
not in it) and the peak resident memory of the whole browser (every Chromium process, sampled
every 50 ms). Also measured: what a page view where nobody searches downloads. Writes the figures
to bench/out/reader-<N>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
START = "guide/writing/"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def build(work: Path, corpus: Path, old: bool) -> tuple[Path, float]:
    """Build the site of `corpus` with the old or the new search; its folder and the build's CPU
    time (wall time on a shared machine says more about the neighbours)."""
    project = work / ("old" if old else "new")
    shutil.rmtree(project, ignore_errors=True)
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, project / name)
    (project / "postmortems").symlink_to(corpus.resolve())
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    if old:
        config["plugins"].insert(0, "search")
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1763856000"}
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")],
        check=True,
        env=env,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return project / "site", cpu


def _tree_rss_mb(root_pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total / 1024


class _Sampler:
    """Peak RSS of this process's descendants (the browser), sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()) - _self_rss_mb())
            time.sleep(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _self_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def measure(playwright: Any, url: str, old: bool, query: str | None) -> dict[str, Any]:
    """One fresh browser: open the start page, search `query` (None: only view the page)."""
    sampler = _Sampler()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Performance.enable")
    received = [0]
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(0, received[0] + e["encodedDataLength"]),
    )
    result: dict[str, Any] = {}
    started = time.perf_counter()
    page.goto(url + START, wait_until="load")
    if query is None:
        page.wait_for_load_state("networkidle")
    elif old:
        page.click("input.md-search__input")
        page.wait_for_function(
            "document.querySelector('.md-search-result__meta').textContent.trim()"
            " !== 'Initializing search'",
            timeout=300_000,
        )
        page.fill("input.md-search__input", query)
        page.press("input.md-search__input", "End")
        page.wait_for_selector(".md-search-result__item a", timeout=300_000)
        result["first"] = page.get_attribute(".md-search-result__item a", "href")
    else:
        page.click("input.pmkb-search__input")
        page.fill("input.pmkb-search__input", query)
        page.wait_for_function(
            "q => { const b = document.querySelector('.pmkb-search');"
            " return b.getAttribute('data-query') === q"
            " && b.getAttribute('data-done') === b.getAttribute('data-run'); }",
            arg=query,
            timeout=300_000,
        )
        result["first"] = page.get_attribute(".pmkb-search__result a", "href")
        result["query_ms"] = float(page.get_attribute(".pmkb-search", "data-ms") or "nan")
    elapsed = time.perf_counter() - started
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    page.wait_for_timeout(300)  # let the response counters settle
    browser.close()
    result.update(
        seconds=round(elapsed, 2),
        bytes=received[0],
        js_heap_mb=round(metrics["JSHeapUsedSize"] / 2**20, 1),
        browser_peak_mb=round(sampler.stop(), 0),
    )
    return result


def run(count: int, out: Path) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from generate import generate

    work = out / "reader" / str(count)
    corpus = work / "postmortems"
    if not corpus.is_dir() or len(list(corpus.glob("*.md"))) != count:
        shutil.rmtree(corpus, ignore_errors=True)
        generate(corpus, count)
    sys.path.insert(0, str(ROOT / "plugins"))
    from postmortem_kb.core.corpus import load_corpus

    incidents = load_corpus(corpus).incidents
    target = incidents[len(incidents) // 2]
    lesson_of = next(i for i in incidents[len(incidents) // 3 :] if i.model.lessons_learned)
    queries = {
        "id": target.id,
        "service": target.model.services[0],
        "title": target.model.title,
        "lesson": lesson_of.model.lessons_learned[0],
    }
    figures: dict[str, Any] = {"count": count, "queries": queries, "expected": {}}
    lesson = queries["lesson"]
    figures["expected"] = {  # the incidents a right first result is one of
        "id": [target.key],
        "service": [i.key for i in incidents if queries["service"] in i.model.services],
        "title": [i.key for i in incidents if i.model.title == target.model.title],
        "lesson": [i.key for i in incidents if lesson in i.model.lessons_learned],
    }
    from playwright.sync_api import sync_playwright

    for old in (True, False):
        name = "old" if old else "new"
        site, build_cpu_s = build(work, corpus, old)
        index = site / ("search/search_index.json" if old else "search-index")
        size = (
            index.stat().st_size
            if old
            else sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
        )
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(_Quiet, directory=str(site))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        side: dict[str, Any] = {"build_cpu_s": round(build_cpu_s, 1), "index_bytes": size}
        with sync_playwright() as playwright:
            side["view"] = measure(playwright, url, old, None)
            for kind, query in queries.items():
                side[kind] = measure(playwright, url, old, query)
                print(name, kind, side[kind], flush=True)
        server.shutdown()
        figures[name] = side
    (out / f"reader-{count}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def table(figures: dict[str, Any]) -> str:
    """The Markdown table of one size: old and new side by side, per query."""
    n = f"{figures['count']:,}"
    lines = [
        "| N | query | first result right (old / new) | bytes until first result (old / new)"
        " | beyond a page view | navigation → first result (old / new)"
        " | page JS heap MB (old / new)"
        " | browser RSS MB, all processes (old / new) |",
        "| ---: | --- | :---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("view", "id", "service", "title", "lesson"):
        old, new = figures["old"][kind], figures["new"][kind]
        label = "page view, no search" if kind == "view" else kind
        expected = figures["expected"].get(kind)
        right = " / ".join(
            "n/a"
            if expected is None
            else ("yes" if any(f"/incidents/{key}/" in side["first"] for key in expected) else "no")
            for side in (old, new)
        )
        search = [
            side["bytes"] - figures[name]["view"]["bytes"]
            for side, name in ((old, "old"), (new, "new"))
        ]
        lines.append(
            f"| {n} | {label} | {right} | {old['bytes'] / 1e6:.2f} MB / {new['bytes'] / 1e6:.2f} MB"
            f" | {search[0] / 1e6:.2f} MB / {search[1] / 1e6:.2f} MB"
            f" | {old['seconds']} s / {new['seconds']} s"
            f" | {old['js_heap_mb']} / {new['js_heap_mb']}"
            f" | {old['browser_peak_mb']:.0f} / {new['browser_peak_mb']:.0f} |"
        )
    old, new = figures["old"], figures["new"]
    lines.append(
        f"\nBuild {old.get('build_cpu_s', '?')} s CPU (old) / {new.get('build_cpu_s', '?')} s CPU"
        " (new); index"
        f" {old['index_bytes'] / 1e6:.1f} MB (old, one file) / {new['index_bytes'] / 1e6:.1f} MB"
        " (new, in files fetched on demand)."
    )
    return "\n".join(lines)


def index_build(count: int, out: Path) -> dict[str, Any]:
    """The search index alone for the corpus of `count` (generated if missing): CPU time, the
    growth of peak RSS over the loaded corpus, files and bytes written."""
    import datetime as dt
    import resource

    sys.path.insert(0, str(HERE))
    from generate import generate

    corpus_dir = out / "reader" / str(count) / "postmortems"
    if not corpus_dir.is_dir() or len(list(corpus_dir.glob("*.md"))) != count:
        shutil.rmtree(corpus_dir, ignore_errors=True)
        generate(corpus_dir, count)
    from postmortem_kb.core.corpus import load_corpus
    from postmortem_kb.core.settings import Settings
    from postmortem_kb.render.search_index import search_index_files

    corpus = load_corpus(corpus_dir)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    target = out / "reader" / str(count) / "index-only"
    shutil.rmtree(target, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    files = written = 0
    for path, text in search_index_files(corpus, Settings(reference_date=dt.date(2025, 11, 23))):
        file = target / path
        file.parent.mkdir(parents=True, exist_ok=True)
        written += file.write_bytes(text.encode("utf-8"))
        files += 1
    figures = {
        "count": count,
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "rss_before_mb": round(before),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "files": files,
        "bytes": written,
    }
    print(json.dumps(figures))
    return figures


def new_side_on_index(count: int, out: Path, pages_of: int = 1000) -> dict[str, Any]:
    """The new search at `count` without building that site (its MkDocs build is the slow
    part, measured by bench/run.py): the built new site of `pages_of` incidents with its
    search index replaced by the index-only build of `count` (run `--index-only` first).
    Results link to pages that site lacks; the search itself is the one of `count`."""
    from postmortem_kb.core.corpus import load_corpus

    site = out / "reader" / f"{count}-on-{pages_of}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(out / "reader" / str(pages_of) / "new" / "site", site)
    shutil.rmtree(site / "search-index")
    shutil.copytree(
        out / "reader" / str(count) / "index-only" / "search-index", site / "search-index"
    )
    incidents = load_corpus(out / "reader" / str(count) / "postmortems").incidents
    target = incidents[len(incidents) // 2]
    lesson = next(i for i in incidents[len(incidents) // 3 :] if i.model.lessons_learned)
    queries = {
        "id": target.id,
        "service": target.model.services[0],
        "title": target.model.title,
        "lesson": lesson.model.lessons_learned[0],
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    from playwright.sync_api import sync_playwright

    figures: dict[str, Any] = {"count": count, "queries": queries}
    with sync_playwright() as playwright:
        figures["view"] = measure(playwright, url, False, None)
        for kind, query in queries.items():
            figures[kind] = measure(playwright, url, False, query)
    server.shutdown()
    figures["right"] = {
        "id": f"/incidents/{target.key}/" in figures["id"]["first"],
        "title": any(
            f"/incidents/{i.key}/" in figures["title"]["first"]
            for i in incidents
            if i.model.title == target.model.title
        ),
        "lesson": any(
            f"/incidents/{i.key}/" in figures["lesson"]["first"]
            for i in incidents
            if queries["lesson"] in i.model.lessons_learned
        ),
    }
    print(json.dumps(figures, indent=2))
    (out / f"reader-{count}-new-only.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--table-only", action="store_true", help="print the table of a run")
    parser.add_argument(
        "--index-only", action="store_true", help="time the search index alone (no site)"
    )
    parser.add_argument(
        "--new-on-index",
        action="store_true",
        help="measure the new search of the --index-only index inside the 1,000 site",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for size in args.sizes.split(","):
        if args.index_only:
            index_build(int(size), args.out)
            continue
        if args.new_on_index:
            new_side_on_index(int(size), args.out)
            continue
        if args.table_only:
            figures = json.loads((args.out / f"reader-{size}.json").read_text())
        else:
            figures = run(int(size), args.out)
        print(table(figures))


if __name__ == "__main__":
    main()
