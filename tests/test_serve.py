"""`mkdocs serve` rebuilds, run in process as serve runs them: one plugin across builds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import REFERENCE_EPOCH, copy_examples
from mkdocs.commands.build import build
from mkdocs.config import load_config


def _page_of(post_mortem: Path) -> str:
    """The site path of a post-mortem's page (from its id)."""
    front = post_mortem.read_text(encoding="utf-8").split("---\n", 2)[1]
    return f"incidents/{yaml.safe_load(front)['id'].lower()}/"


def _serve_builds(project: Path, *, dirty: bool) -> tuple[object, object]:
    """A config and plugin set up as `mkdocs serve [--dirty]` does before its first build."""
    config = load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(project / "site"))
    config.plugins.on_startup(command="serve", dirty=dirty)
    return config, config.plugins["postmortem-kb"]


def test_dirty_rebuild_renders_only_pages_whose_source_changed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", REFERENCE_EPOCH)
    monkeypatch.chdir(project)
    files = copy_examples(project)
    config, plugin = _serve_builds(project, dirty=True)
    build(config, dirty=True)  # type: ignore[arg-type]
    site = project / "site"
    edited, untouched = files[0], files[1]
    edited_page, untouched_page = (site / _page_of(path) / "index.html" for path in files[:2])
    assert edited_page.is_file() and untouched_page.is_file()
    for page in (edited_page, untouched_page):
        os.utime(page, (1, 1))  # so a rewrite shows in the mtime

    edited.write_text(
        edited.read_text(encoding="utf-8") + "\nA sentence added while serving.\n",
        encoding="utf-8",
    )
    # serve loads the config again for every rebuild; MkDocs keeps plugins with on_startup.
    again = load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(site))
    assert again.plugins["postmortem-kb"] is plugin
    build(again, dirty=True)

    assert "A sentence added while serving." in edited_page.read_text(encoding="utf-8")
    assert edited_page.stat().st_mtime > 1
    assert untouched_page.stat().st_mtime == 1  # same generated source: not rendered again
    # Material keeps the index of the pages it did not rebuild.
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {_page_of(edited), _page_of(untouched)} <= locations
