"""Dates and times as post-mortems write them (ISO, month names, 12- and 24-hour clocks, zones),
read without guessing: a missing date or zone is reported, not filled in."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .timezones import ZoneError, resolve_zone

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
DATE = (
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"|(?P<d3>\d{1,2})\.(?P<m3>\d{1,2})\.(?P<y3>\d{4})"  # 17.11.2021: day first, unambiguous
    rf"|{_WEEKDAY}(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon1>{_MONTH})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|{_WEEKDAY}(?P<mon2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
)
TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\.\d+)?\s*(?P<ampm>[aApP]\.?[mM]\.?)?"
_ZONE = r"(?-i:(?:UTC|GMT)?\s?[+\-\u2212]\d{1,2}(?::?\d{2})?|Z|UTC|GMT|[A-Z]{2,3}T)"
ZONE = rf"(?P<zone>{_ZONE})"
MOMENT = re.compile(
    rf"(?:(?:{DATE})(?:,?\s*(?:at\s+)?|T))?{TIME}(?:\s*\(?{ZONE}\)?(?![A-Za-z]))?",
    re.IGNORECASE,
)
DATE_ONLY = re.compile(rf"\b(?:{DATE})\b", re.IGNORECASE)
STATED_ZONE = re.compile(
    r"(?:(?i:\btimes?\b|\btime ?zone\b)[^\n.;:\d]{0,40}?|\(\s*)"
    r"\b(?P<zone>(?-i:(?:UTC|GMT)\s?[+\-\u2212]\d{1,2}(?::?\d{2})?|UTC|GMT|[A-Z]{2,3}T))(?![A-Za-z])"
)
"""A zone stated for a document's times: after "times" (no digits between: not a date's
"-06"), or in parentheses; an offset only with its UTC/GMT prefix."""


@dataclass(frozen=True)
class Moment:
    """A timestamp read from text, or why it could not be read; `zone_from` says where its
    offset came from (the text itself, the document, or the command line)."""

    value: dt.datetime | None
    problem: str | None = None
    zone_from: str | None = None
    end: int = 0
    """Offset in the text just after the moment."""


def _date_of(match: re.Match[str]) -> dt.date | None:
    g = match.groupdict()
    try:
        if g.get("y"):
            return dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g.get("y3"):
            return dt.date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        if g.get("y1"):
            return dt.date(int(g["y1"]), MONTHS[g["mon1"].lower()], int(g["d1"]))
        if g.get("y2"):
            return dt.date(int(g["y2"]), MONTHS[g["mon2"].lower()], int(g["d2"]))
    except ValueError:
        return None
    return None


def find_date(text: str) -> dt.date | None:
    """The first calendar date written in `text`, if any."""
    match = DATE_ONLY.search(text)
    return _date_of(match) if match else None


def stated_zone(text: str) -> str | None:
    """A zone the text states for its times ("all times PDT", "Timeline (UTC)"), as written."""
    match = STATED_ZONE.search(text)
    return match.group("zone") if match else None


def read_moment(
    text: str,
    *,
    day: dt.date | None,
    zone: tuple[str, str] | None,
    at_start: bool = False,
) -> Moment | None:
    """The first time of day in `text` (with its date, else `day`) as an aware timestamp.

    `zone` is (zone as written, where it was stated) for times that give none. Returns None
    when the text holds no time of day (or, with `at_start`, does not start with one)."""
    match = MOMENT.match(text.lstrip(" *_`[")) if at_start else MOMENT.search(text)
    if match is None:
        return None
    end = match.end() + (len(text) - len(text.lstrip(" *_`[")) if at_start else 0)
    hour, minute = int(match.group("H")), int(match.group("M"))
    second = int(match.group("S") or 0)
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return Moment(None, f"{match.group(0)!r} is not a 12-hour time", end=end)
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    date = _date_of(match) or day
    if date is None:
        return Moment(None, f"{match.group(0).strip()!r} has no date", end=end)
    written_zone = match.group("zone")
    source = "the time itself"
    if written_zone is None and zone is not None:
        written_zone, source = zone
    if written_zone is None:
        return Moment(None, f"{match.group(0).strip()!r} has no time zone", end=end)
    try:
        tz = resolve_zone(written_zone)
    except ZoneError as error:
        return Moment(None, str(error), end=end)
    value = dt.datetime.combine(date, dt.time(hour, minute, second), tz)
    return Moment(value, None, f"{written_zone} ({source})", end)
