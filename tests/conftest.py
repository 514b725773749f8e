"""Shared fixtures: real example files and real MkDocs builds in temporary folders."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import settings

CI = os.environ.get("CI") == "true"
"""CI sets CI=true: the full Hypothesis profile runs there, a smaller one locally."""
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile("ci" if CI else "dev")


def scaled(examples: int) -> int:
    """A test's example count as written for CI, scaled to the loaded profile (all in CI)."""
    return max(1, examples * settings().max_examples // 100)


ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "postmortems"
REFERENCE_EPOCH = "1763856000"  # 2025-11-23, so overdue/open states are stable in tests
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE = FIXTURES / "valid.md"
"""A valid post-mortem the tests mutate; independent of the example corpus."""


@dataclass
class Build:
    """The outcome of one `mkdocs build` run."""

    returncode: int
    log: str
    site: Path

    def page(self, url_path: str) -> str:
        """The HTML of a built page, by its URL path (e.g. 'incidents/inc-2025-007/')."""
        path = self.site / url_path
        if url_path.endswith("/") or not url_path:
            path = path / "index.html"
        return path.read_text(encoding="utf-8")


def make_project(folder: Path) -> Path:
    """Copy this repository's site project (config, docs, overrides) into `folder`, with an
    empty `postmortems/`; for module-scoped fixtures (`tmp_path_factory.mktemp(...)`)."""
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    (folder / "postmortems").mkdir()
    return folder


def with_edit_links(project: Path) -> None:
    """Give the project's mkdocs.yml a repository (the example has none), so pages have edit
    links to check."""
    config = project / "mkdocs.yml"
    edit = "repo_url: https://git.example.org/kb\nedit_uri: edit/main/docs/\n"
    config.write_text(edit + config.read_text(encoding="utf-8"), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this repository's site project (config, docs, overrides) with no post-mortems."""
    return make_project(tmp_path)


def copy_examples(project: Path) -> list[Path]:
    """Copy every example post-mortem into the project; return the copies."""
    copies = []
    for source in sorted(EXAMPLES.glob("*.md")):
        target = project / "postmortems" / source.name
        shutil.copy(source, target)
        copies.append(target)
    return copies


def build_site(project: Path, *, strict: bool = True) -> Build:
    """Run a real `mkdocs build` on `project` in a subprocess."""
    command = [sys.executable, "-m", "mkdocs", "build", "-f", str(project / "mkdocs.yml")]
    if strict:
        command.append("--strict")
    env = {**os.environ, "SOURCE_DATE_EPOCH": REFERENCE_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=project)
    return Build(result.returncode, result.stdout + result.stderr, project / "site")


class _Lines(logging.Handler):
    """Log records formatted as `mkdocs build` prints them (`WARNING -  message`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)-8s-  %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def build_in_process(project: Path, *, strict: bool = True) -> Build:
    """The build `build_site` runs, through MkDocs' Python API in this process: no interpreter
    start and no imports per build. For sites a test only reads; a test of the exit status or
    of what `mkdocs build` prints uses `build_site`."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import Abort, MkDocsException

    # MkDocs keeps plugins that have `on_startup` for the whole process (for serve's rebuilds);
    # a `mkdocs build` starts with none.
    MkDocsConfig.plugins.plugin_cache.clear()

    handler = _Lines()
    logger = logging.getLogger("mkdocs")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)  # as the command line sets it
    logger.propagate = False
    logger.addHandler(handler)
    env = {"SOURCE_DATE_EPOCH": REFERENCE_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    returncode = 0
    try:
        with mock.patch.dict(os.environ, env), contextlib.chdir(project):
            config = load_config(str(project / "mkdocs.yml"), strict=True if strict else None)
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build(config)
            finally:
                config.plugins.on_shutdown()
    except Abort as exc:
        handler.lines.append(exc.format_message())
        returncode = 1
    except MkDocsException as exc:
        handler.lines.append(f"Error: {exc.format_message()}")
        returncode = 1
    except Exception:
        handler.lines.append(traceback.format_exc())
        returncode = 1
    finally:
        MkDocsConfig.plugins.plugin_cache.clear()
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    return Build(returncode, "\n".join(handler.lines) + "\n", project / "site")


def search_index_docs(site: Path) -> list[dict[str, Any]]:
    """The incidents in a built site's search index (render/search_index.py), newest first."""
    folder = site / "search-index"
    count = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["count"]
    return [
        json.loads((folder / "d" / f"{n}.json").read_text(encoding="utf-8")) for n in range(count)
    ]
