"""The authoring lint: blame language, superficial analysis, placeholders, open markup."""

from .config import DEFAULT_LEVELS, PUBLISHED_LEVELS, RULES, LintConfig, LintLevel
from .rules import BlameMatch, blame_findings, is_superficial, lint_document, notices_for, with_lint

__all__ = [
    "DEFAULT_LEVELS",
    "PUBLISHED_LEVELS",
    "RULES",
    "BlameMatch",
    "LintConfig",
    "LintLevel",
    "blame_findings",
    "is_superficial",
    "lint_document",
    "notices_for",
    "with_lint",
]
