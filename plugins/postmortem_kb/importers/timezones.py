"""The time-zone abbreviations import resolves, and the ones it refuses to guess."""

from __future__ import annotations

import datetime as dt
import re

ZONES: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "EST": -5,
    "EDT": -4,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "JST": 9,
    "AEST": 10,
    "AEDT": 11,
}
"""Abbreviation -> hours from UTC: the documented table (docs/guide/import.md)."""

AMBIGUOUS: dict[str, str] = {
    "IST": "India +05:30, Irish summer +01:00 or Israel +02:00",
    "CST": "US Central -06:00 or China +08:00",
    "BST": "British summer +01:00 or Bangladesh +06:00",
    "AST": "Atlantic -04:00 or Arabia +03:00",
}
"""Abbreviations with more than one meaning: reported, never guessed."""

_NUMERIC = re.compile(r"^(?:UTC|GMT)?\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?$")


class ZoneError(ValueError):
    """A zone that cannot be resolved without guessing."""


def resolve_zone(text: str) -> dt.tzinfo:
    """The fixed offset an abbreviation (`PDT`) or offset (`UTC+2`, `+05:30`) names.

    Raises ZoneError for an ambiguous or unknown abbreviation, naming the candidates."""
    word = text.strip().upper().replace("\u2212", "-")
    if word in ZONES:
        return dt.timezone(dt.timedelta(hours=ZONES[word]))
    if word in AMBIGUOUS:
        raise ZoneError(f"time zone {text!r} is ambiguous ({AMBIGUOUS[word]})")
    match = _NUMERIC.match(word)
    if match:
        sign = -1 if match.group(1) in "-\u2212" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        if minutes <= 14 * 60:
            return dt.timezone(sign * dt.timedelta(minutes=minutes))
    raise ZoneError(f"time zone {text!r} is not in the table")
