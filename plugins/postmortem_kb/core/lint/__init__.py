"""The authoring lint: blame language, superficial analysis, placeholders, open markup."""

from .config import RULES, LintConfig, LintConfigError, LintLevel
from .rules import BlameMatch, blame_findings, is_superficial, lint_document, notices_for, with_lint

__all__ = [
    "RULES",
    "BlameMatch",
    "LintConfig",
    "LintConfigError",
    "LintLevel",
    "blame_findings",
    "is_superficial",
    "lint_document",
    "notices_for",
    "with_lint",
]
