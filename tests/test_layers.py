"""The package's layers: what each subpackage may import, read from the source's own imports."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "plugins" / "postmortem_kb"

# Each layer and what it must never import (third-party roots or layers of this package).
FORBIDDEN = {
    "core": {
        "mkdocs",
        "material",
        "jinja2",
        "markupsafe",
        "render",
        "engines",
        "cli",
        "trackers",
        "importers",
    },
    "trackers": {"mkdocs", "material", "jinja2", "markupsafe", "render", "engines", "cli"},
    "render": {"mkdocs", "material", "engines", "cli"},
    "cli": {"mkdocs", "material", "engines"},
    "engines": {"cli"},
    # `postmortem import`: reads documents into the core's schema; no pages, no engine.
    "importers": {"mkdocs", "material", "jinja2", "markupsafe", "render", "engines", "cli"},
}


def imports_of(path: Path, package_root: Path = PACKAGE) -> set[str]:
    """The roots a module imports: third-party top-level names, and this package's layers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = path.relative_to(package_root).with_suffix("").parts
    package = list(parts[:-1])
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {_layer_of(alias.name.split(".")) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                roots.add(_layer_of((node.module or "").split(".")))
                continue
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                roots.add(_layer_of(["postmortem_kb", *base, *node.module.split(".")]))
            else:
                roots |= {_layer_of(["postmortem_kb", *base, a.name]) for a in node.names}
    return roots


def _layer_of(name: list[str]) -> str:
    if name[0] == "postmortem_kb":
        return name[1] if len(name) > 1 else "postmortem_kb"
    return name[0]


def modules_in(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer: str) -> None:
    modules = modules_in(layer)
    assert modules, f"no modules in {layer}/"
    broken = {
        str(path.relative_to(PACKAGE)): sorted(imports_of(path) & FORBIDDEN[layer])
        for path in modules
        if imports_of(path) & FORBIDDEN[layer]
    }
    assert not broken, broken


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check itself: a relative import of the adapter from the core is caught."""
    module = tmp_path / "core" / "probe.py"
    module.parent.mkdir()
    module.write_text("from ..engines.mkdocs import plugin\nfrom . import schema\nimport jinja2\n")
    assert imports_of(module, tmp_path) == {"engines", "core", "jinja2"}


def test_core_and_cli_run_without_mkdocs_loaded() -> None:
    code = (
        "import sys, postmortem_kb.core.corpus, postmortem_kb.render.site, postmortem_kb.cli.main;"
        " bad = sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'material'));"
        " assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_module_says_what_it_owns() -> None:
    missing = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if not (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").strip()
    ]
    assert not missing, f"modules without a docstring: {missing}"


def test_the_readme_layout_lists_every_module_under_its_subpackage() -> None:
    readme = (PACKAGE.parent.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^`([\w/]+)/`:", layout, flags=re.MULTILINE)
    tables = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert {"core", "core/lint", "render", "engines/mkdocs", "cli"} <= set(tables)
    missing = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py"
        and f"| `{path.name}` |" not in tables.get(path.parent.relative_to(PACKAGE).as_posix(), "")
    ]
    assert not missing, f"modules missing from the README's layout tables: {missing}"
