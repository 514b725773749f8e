"""Shared fixtures: real example files and real MkDocs builds in temporary folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this repository's site project (config, docs, overrides) with no post-mortems."""
    for name in ("docs", "overrides"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "postmortems").mkdir()
    return tmp_path


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
