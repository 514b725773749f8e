"""Import on disk: read a source file, map it, check the result as validation would, write it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..core.loader import LoadError, parse_document
from ..core.regulations import RegulationRegistry
from ..core.validation import validate_document
from .mapping import Imported, import_text
from .readers import read_as_markdown


@dataclass(frozen=True)
class FileImport:
    """One source file's import: the mapping, the file text and where it goes (None: not
    written, `imported.failure` or `problems` say why)."""

    imported: Imported
    text: str
    target: Path | None
    problems: tuple[str, ...] = ()


def render_file(imported: Imported) -> str:
    """The post-mortem file of an import: YAML front matter, then the body."""
    assert imported.data is not None
    front = yaml.safe_dump(imported.data, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n\n{imported.body}"


def import_file(
    source: Path,
    out_dir: Path,
    *,
    imported_on: dt.date,
    zone: str | None = None,
    incident_id: str | None = None,
    registry: RegulationRegistry | None = None,
    shown_as: str | None = None,
) -> FileImport:
    """Import one file into `out_dir` as `<id>.md`, unless it fails, would not validate, or
    the target exists (an import never overwrites)."""
    markdown, fmt = read_as_markdown(source)
    imported = import_text(
        markdown,
        source=shown_as or source.name,
        stem=source.stem,
        imported_on=imported_on,
        fmt=fmt,
        zone=zone,
        incident_id=incident_id,
    )
    if imported.data is None:
        return FileImport(imported, "", None)
    text = render_file(imported)
    target = out_dir / f"{imported.data['id']}.md"
    try:
        document = parse_document(text, target, target.name)
    except LoadError as error:
        return FileImport(imported, text, None, (str(error),))
    _, problems = validate_document(document, registry)
    if problems:
        return FileImport(imported, text, None, tuple(p.format() for p in problems))
    if target.exists():
        return FileImport(imported, text, None, (f"{target} exists: not overwritten",))
    out_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return FileImport(imported, text, target)
