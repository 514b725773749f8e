"""Writing an action item's `status` and `completed` back into front matter, line by line.

Only those lines change: a value is replaced in place (its quotes' absence, spacing and trailing
comment kept), a missing key is inserted after its sibling with the same indentation, and a
`completed` date is removed when an item is no longer done. Before anything is written the new
text is parsed again and must equal the old front matter with exactly those values changed;
the file is then replaced atomically (a temporary file in the same folder, renamed over it), and
not at all if it changed on disk meanwhile.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.loader import LoadError, Path_, parse_document
from ..core.schema import ActionStatus


@dataclass(frozen=True)
class Edit:
    """The new status of one action item and its completion date (None removes `completed`)."""

    status: ActionStatus
    completed: dt.date | None


class EditError(Exception):
    """An item whose lines cannot be edited safely; the message says why."""


_KEY_LINE = (
    r"^(?P<indent>[ \t]*(?:-[ \t]+)?)(?P<key>{key}):(?P<gap>[ \t]*)(?P<value>{value})"
    r"(?P<rest>[ \t]*(?:#.*)?)$"
)
_SCALAR = r"[^\s#'\"{}\[\],&*!|>][^#]*?|'[^'\n]*'|\"[^\"\\\n]*\""


def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(_KEY_LINE.format(key=re.escape(key), value=_SCALAR))


@dataclass
class _Text:
    """A file's text as lines with their own line endings, and its byte-order mark."""

    bom: str
    lines: list[str]
    """Each line without its ending."""
    endings: list[str]

    @classmethod
    def of(cls, raw: bytes) -> _Text:
        text = raw.decode("utf-8")
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix("\ufeff")
        if re.search(r"\r(?!\n)", text):
            raise EditError("the file has lone carriage returns (\\r); save it with \\n or \\r\\n")
        parts = re.split(r"(\r?\n)", text)
        return cls(bom, parts[0::2], [*parts[1::2], ""])

    def render(self) -> str:
        return self.bom + "".join(a + b for a, b in zip(self.lines, self.endings, strict=True))

    def newline(self) -> str:
        return next((e for e in self.endings if e), "\n")


def edit_text(
    raw: bytes, display_path: str, edits: Mapping[int, Edit]
) -> tuple[str, dict[int, str]]:
    """The file's new text with `edits` (by action-item index) applied, and per index the
    reason an edit could not be made (those items are left as they were)."""
    text = _Text.of(raw)
    plain = text.render().removeprefix(text.bom).replace("\r\n", "\n")
    try:
        document = parse_document(plain, Path(display_path), display_path)
    except LoadError as exc:
        raise EditError(exc.problems[0].message) from None
    skipped: dict[int, str] = {}
    # Bottom-up, so that inserting or removing a line leaves the numbers above it valid.
    for index in sorted(edits, reverse=True):
        try:
            _edit_item(text, document.lines, document.data, index, edits[index])
        except EditError as exc:
            skipped[index] = str(exc)
    new_text = text.render()
    expected = _expected(document.data, {i: e for i, e in edits.items() if i not in skipped})
    try:
        reparsed = parse_document(
            new_text.removeprefix(text.bom).replace("\r\n", "\n"), Path(display_path), display_path
        )
    except LoadError:
        reparsed = None
    if reparsed is None or reparsed.data != expected or reparsed.body != document.body:
        raise EditError("the edited front matter did not read back as intended; nothing written")
    return new_text, skipped


def _expected(data: dict[str, Any], edits: Mapping[int, Edit]) -> dict[str, Any]:
    expected = copy.deepcopy(data)
    for index, edit in edits.items():
        item = expected["action_items"][index]
        item["status"] = edit.status.value
        if edit.completed is None:
            item.pop("completed", None)
        else:
            item["completed"] = edit.completed.isoformat()
    return expected


def _edit_item(
    text: _Text, lines: Mapping[Path_, int], data: dict[str, Any], index: int, edit: Edit
) -> None:
    if not isinstance(data["action_items"][index], dict):
        raise EditError("the action item is not a mapping")
    at = ("action_items", index)
    status_at = lines.get((*at, "status"))
    completed_at = lines.get((*at, "completed"))
    # (0-based line, 1 = insert after it / 0 = replace it / -1 = delete it, new lines)
    ops: list[tuple[int, int, list[str]]] = []
    if status_at is not None:
        anchor = status_at - 1
        ops.append((anchor, 0, [_replaced(text, anchor, "status", edit.status.value)]))
        after: list[str] = []
    else:
        priority_at = lines.get((*at, "priority"))
        if priority_at is None:
            raise EditError("no 'priority' line to put 'status' after")
        anchor = priority_at - 1
        _replaced(text, anchor, "priority", None)  # a plain one-line key to align with
        after = [_sibling(text.lines[anchor], "status", edit.status.value)]
    if edit.completed is not None:
        if completed_at is not None:
            line = completed_at - 1
            ops.append((line, 0, [_replaced(text, line, "completed", edit.completed.isoformat())]))
        else:
            after.append(_sibling(text.lines[anchor], "completed", edit.completed.isoformat()))
    elif completed_at is not None:
        _replaced(text, completed_at - 1, "completed", None)
        ops.append((completed_at - 1, -1, []))
    if after:
        ops.append((anchor, 1, after))
    for line, kind, new in sorted(ops, key=lambda op: (op[0], op[1]), reverse=True):
        if kind == 0:
            text.lines[line] = new[0]
        elif kind == -1:
            del text.lines[line], text.endings[line]
        else:
            text.lines[line + 1 : line + 1] = new
            text.endings[line + 1 : line + 1] = [text.newline()] * len(new)


def _replaced(text: _Text, index: int, key: str, value: str | None) -> str:
    """Line `index` with `key`'s value replaced by `value` (None: only check the line)."""
    match = _key_line(key).match(text.lines[index]) if 0 <= index < len(text.lines) else None
    if match is None:
        raise EditError(f"line {index + 1} is not a one-line '{key}: value'; edit it by hand")
    if value is None:
        return text.lines[index]
    gap = match.group("gap") or " "
    quote = match.group("value")[0] if match.group("value")[0] in "'\"" else ""
    return f"{match.group('indent')}{key}:{gap}{quote}{value}{quote}{match.group('rest')}"


def _sibling(line: str, key: str, value: str) -> str:
    """A `key: value` line aligned with the key on `line` (a `- ` list marker becomes spaces)."""
    indent = re.match(r"[ \t]*(?:-[ \t]+)?", line)
    prefix = indent.group(0) if indent else ""
    return f"{re.sub(r'-', ' ', prefix)}{key}: {value}"


def write_atomically(path: Path, original: bytes, text: str) -> None:
    """Replace `path` by `text` (UTF-8) unless its bytes are no longer `original`."""
    if path.read_bytes() != original:
        raise EditError("the file changed on disk while syncing; run sync again")
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
