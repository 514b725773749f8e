"""`postmortem sync`: report drift between action items and their trackers; `--write` settles it.

Exit status: 0 nothing to report (or everything reported was written), 1 drift left or items
whose tracker could not be read, 2 usage.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.corpus import Corpus
from ..core.followup import FollowUp
from ..trackers.clients import Client
from ..trackers.drift import ItemReport, compare, tracked_items
from ..trackers.edit import Edit, EditError, edit_text, write_atomically
from ..trackers.links import sites_from


def sync(
    corpus: Corpus,
    follow_up: FollowUp,
    env: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    write: bool = False,
) -> tuple[list[ItemReport], Client]:
    """Read every linked item's tracker state, compare, and (with `write`) edit the files."""
    sites = sites_from(os.environ if env is None else env)
    reports = tracked_items(corpus.incidents, sites)
    client = Client(timeout=timeout)
    states = client.fetch_states(r.ref for r in reports if r.ref is not None)
    compare(reports, states, follow_up)
    if write:
        write_edits(reports)
    return reports, client


def write_edits(reports: list[ItemReport]) -> None:
    """Apply every report's edit, one file at a time; a file is written whole or not at all."""
    by_file: dict[Path, list[ItemReport]] = {}
    for report in reports:
        if report.edit is not None:
            by_file.setdefault(report.incident.document.path, []).append(report)
    for path, file_reports in by_file.items():
        edits: dict[int, Edit] = {r.index: r.edit for r in file_reports if r.edit is not None}
        try:
            original = path.read_bytes()
            text, skipped = edit_text(original, file_reports[0].path, edits)
            if len(skipped) < len(edits):
                write_atomically(path, original, text)
        except (EditError, OSError, UnicodeDecodeError) as exc:
            for report in file_reports:
                report.not_written = str(exc)
            continue
        for report in file_reports:
            report.not_written = skipped.get(report.index)
            report.written = report.not_written is None


def _describe(report: ItemReport) -> str:
    where = report.ref.key if report.ref else str(report.item.tracker)
    return f"{report.path}:{report.line}: {report.incident.id} {report.item.id} ({where})"


def text_lines(reports: list[ItemReport]) -> list[str]:
    """One line per failure, drift and write."""
    lines = []
    for report in reports:
        head = _describe(report)
        if report.failure is not None:
            lines.append(f"{head}: error: {report.failure.message}")
        for drift in report.drifts:
            written = drift.field == "status" and report.written
            mark = "fixed" if written else "drift"
            lines.append(
                f"{head}: {mark}: {drift.field}: file {drift.file!r}, tracker {drift.tracker!r}"
            )
        if report.edit is not None and report.not_written is not None:
            lines.append(f"{head}: not written: {report.not_written}")
    return lines


def summary(reports: list[ItemReport], requests: int) -> dict[str, int]:
    """Counts for the summary line and the JSON document."""
    return {
        "items": len(reports),
        "requests": requests,
        "in_sync": sum(not r.drifts and r.failure is None for r in reports),
        "drift": sum(bool(r.drifts) for r in reports),
        "written": sum(r.written for r in reports),
        "errors": sum(r.failure is not None for r in reports),
    }


def json_document(reports: list[ItemReport], requests: int) -> str:
    """Every report with a tracker link, as one JSON document."""
    items: list[dict[str, Any]] = []
    for r in reports:
        items.append(
            {
                "path": r.path,
                "line": r.line,
                "incident_id": r.incident.id,
                "item_id": r.item.id,
                "tracker": str(r.item.tracker),
                "key": r.ref.key if r.ref else None,
                "error": {"reason": r.failure.reason, "message": r.failure.message}
                if r.failure
                else None,
                "drift": [
                    {"field": d.field, "file": d.file, "tracker": d.tracker} for d in r.drifts
                ],
                "edit": {
                    "status": r.edit.status.value,
                    "completed": r.edit.completed.isoformat() if r.edit.completed else None,
                }
                if r.edit
                else None,
                "written": r.written,
                "not_written": r.not_written,
            }
        )
    document = {"summary": summary(reports, requests), "items": items}
    return json.dumps(document, indent=2, ensure_ascii=False)


def left_to_report(reports: list[ItemReport]) -> bool:
    """True when drift (other than status drift just written) or an error remains."""
    return any(
        r.failure is not None or any(d.field != "status" or not r.written for d in r.drifts)
        for r in reports
    )
