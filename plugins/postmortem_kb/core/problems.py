"""A problem found in a post-mortem, reported as `path:line: field: message`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

    def format(self) -> str:
        """The one-line form every tool prints: `path:line: field: message`."""
        return f"{self.path}:{self.line}: {self.field}: {self.message}"
