"""The lint's configuration: every rule id, its level (off, warning, error) and the allow-list."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

RULES: dict[str, str] = {
    "placeholder": "a 'TODO' placeholder (from `postmortem new`) is still in the file",
    "blame-language": "a person named next to a mistake, or blaming words ('human error',"
    " 'careless', 'should have', 'fault of', ...)",
    "no-root-cause": "no root cause with a category",
    "few-whys": "fewer than three Whys",
    "superficial-root-cause": "the root cause is just 'human error', 'code bug' or similar",
    "no-action-items": "a SEV-1 or SEV-2 without action items",
    "action-owner-due": "an action item without an owner or a due date",
    "unclosed-html": "an HTML block in the body (`<details>`, `<div>`, ...) never closed in its"
    " section",
    "unclosed-fence": "a code fence (```) in the body never closed",
}
"""Every lint rule id and what it reports."""


class LintLevel(StrEnum):
    """How a lint rule reports: not at all, as advice, or as an error that fails a build."""

    OFF = "off"
    WARNING = "warning"
    ERROR = "error"


DEFAULT_LEVELS: dict[str, LintLevel] = {rule: LintLevel.WARNING for rule in RULES}
DEFAULT_LEVELS["placeholder"] = LintLevel.ERROR
PUBLISHED_LEVELS: dict[str, LintLevel] = {"blame-language": LintLevel.ERROR}
"""Levels that replace DEFAULT_LEVELS for `status: published` post-mortems: a reviewed
post-mortem does not blame (drafts and in-review ones get the plain level, a warning)."""
MAX_FINDINGS_PER_RULE = 50
"""Findings of one rule reported per file; past it, one line says more are not shown (a
bounded log)."""


@dataclass(frozen=True)
class LintConfig:
    """Which rules run at which level, and phrases that are never reported as blame."""

    levels: tuple[tuple[str, LintLevel], ...] = tuple(DEFAULT_LEVELS.items())
    allow: tuple[str, ...] = ()
    published: tuple[tuple[str, LintLevel], ...] = tuple(PUBLISHED_LEVELS.items())

    def level(self, rule: str, status: object = None) -> LintLevel:
        """The level of `rule` for a post-mortem with this `status` (rules not configured keep
        their default). Lifecycle: a published post-mortem gets its `published` level; a
        draft's placeholders are warnings (a draft may keep them); `off` is off for all."""
        level = dict(self.levels).get(rule, DEFAULT_LEVELS.get(rule, LintLevel.WARNING))
        if level is LintLevel.OFF:
            return level
        if status == "published":
            return dict(self.published).get(rule, level)
        if status == "draft" and rule == "placeholder":
            return LintLevel.WARNING
        return level
