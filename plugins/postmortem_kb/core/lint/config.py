"""The lint's configuration: every rule id, its level (off, warning, error) and the allow-list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

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


class LintConfigError(ValueError):
    """A lint configuration that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class LintConfig:
    """Which rules run at which level, and phrases that are never reported as blame."""

    levels: tuple[tuple[str, LintLevel], ...] = tuple(DEFAULT_LEVELS.items())
    allow: tuple[str, ...] = ()

    def level(self, rule: str) -> LintLevel:
        """The level of `rule` (rules not configured keep their default)."""
        return dict(self.levels).get(rule, DEFAULT_LEVELS.get(rule, LintLevel.WARNING))

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None) -> LintConfig:
        """Read `{rules: {rule-id: off|warning|error}, allow: [phrase, ...]}`.

        YAML 1.1 reads a bare `off` as false, so false (and true, for 'warning') are accepted too.
        """
        if not options:
            return cls()
        if not isinstance(options, Mapping):
            raise LintConfigError("lint: expected a mapping with 'rules' and/or 'allow'")
        unknown = sorted(set(options) - {"rules", "allow"})
        if unknown:
            raise LintConfigError(f"lint: unknown option(s) {', '.join(unknown)}; use rules, allow")
        levels = dict(DEFAULT_LEVELS)
        rules = options.get("rules") or {}
        if not isinstance(rules, Mapping):
            raise LintConfigError("lint.rules: expected a mapping of rule id to off|warning|error")
        for rule, value in rules.items():
            if rule not in RULES:
                raise LintConfigError(
                    f"lint.rules: unknown rule {rule!r}; rules: {', '.join(RULES)}"
                )
            levels[rule] = _parse_level(rule, value)
        allow = options.get("allow") or []
        if isinstance(allow, str) or not isinstance(allow, Sequence):
            raise LintConfigError("lint.allow: expected a list of phrases")
        phrases = []
        for phrase in allow:
            if not isinstance(phrase, str) or not phrase.strip():
                raise LintConfigError(f"lint.allow: {phrase!r} is not a phrase")
            phrases.append(" ".join(phrase.split()))
        return cls(tuple(levels.items()), tuple(phrases))


def _parse_level(rule: str, value: Any) -> LintLevel:
    if value is False:
        return LintLevel.OFF
    if value is True:
        return LintLevel.WARNING
    try:
        return LintLevel(str(value).strip().lower())
    except ValueError:
        raise LintConfigError(
            f"lint.rules.{rule}: {value!r} is not a level; use off, warning or error"
        ) from None
