"""A problem found in a post-mortem, reported as `path:line: field: message`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0, DEL, C1: line breaks, ESC...), Unicode line and paragraph separators
and bidirectional overrides: none may reach a log line as itself."""


def printable(text: str) -> str:
    """`text` with every control character shown as an escape (`\\n`, `\\x1b`, `\\u2028`).

    Paths, keys and values come from authors; escaped, a file cannot start a new log line (a
    GitHub Actions workflow command such as `::add-mask::`), move the cursor or recolour a terminal.
    """
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    shown = repr(match.group(0))[1:-1]  # '\n', '\x1b', '\u2028'...
    return shown if shown.startswith("\\") else f"\\u{ord(match.group(0)):04x}"


MAX_REPORTED = 100
"""Problems of one kind (schema, YAML keys) reported per file; past it, one line says how many
more there are. A file cannot flood a log, or spend seconds describing its own errors."""


class Level(StrEnum):
    """How serious a problem is: errors fail a strict build, warnings are advice."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, located at a file, a line and a front-matter field."""

    path: str
    line: int
    field: str
    message: str
    level: Level = Level.ERROR
    rule: str = "schema"

    def printable(self) -> Problem:
        """This problem with its path, field and message safe to print (see `printable`)."""
        return replace(
            self,
            path=printable(self.path),
            field=printable(self.field),
            message=printable(self.message),
        )

    def format(self) -> str:
        """The one-line form every tool prints: `path:line: field: message`, always one line."""
        shown = self.printable()
        return f"{shown.path}:{shown.line}: {shown.field}: {shown.message}"
