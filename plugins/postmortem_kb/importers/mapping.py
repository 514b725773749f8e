"""What import maps from a document onto the schema, from where, and what it leaves unknown.

Only what the document states is mapped: labelled fields ("Severity: Sev 2", a two-column
table), timeline tables and lists, action-item tables and checklists, lessons and what went
well/wrong lists. Everything else is written `unknown` and listed in the report; the narrative
stays in the body, headings normalised (ATX, sections at `##`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.schema import ID_PATTERN, PRIORITY_ALIASES, RECURRENCE_CHECKS, UNKNOWN, Priority
from .moments import MOMENT, Moment, find_date, read_moment, stated_zone
from .outline import Block, Item, parse
from .timezones import AMBIGUOUS

# --- vocabularies -----------------------------------------------------------------------------

FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("title", "incident title", "incident name", "postmortem title"),
    "id": ("incident id", "incident #", "incident number", "incident no", "id"),
    "summary": ("summary", "tl;dr", "tldr", "executive summary", "incident summary"),
    "status": ("status", "document status", "postmortem status", "post-mortem status"),
    "authors": (
        "authors",
        "author",
        "author(s)",
        "owner",
        "written by",
        "prepared by",
        "postmortem owner",
        "post-mortem owner",
        "document owner",
    ),
    "written": ("date written", "written", "document date", "report date", "date of report"),
    "date": ("date", "incident date", "date of incident", "day"),
    "span": ("date/time", "when", "time window", "period"),
    "started": (
        "start",
        "started",
        "start time",
        "impact start",
        "incident start",
        "start of impact",
        "impact began",
        "began",
    ),
    "detected": ("detected", "detected at", "detection time", "time detected", "first alert"),
    "mitigated": ("mitigated", "mitigated at", "mitigation time", "impact end", "end of impact"),
    "resolved": ("resolved", "resolved at", "resolution time", "end", "end time", "ended"),
    "severity": ("severity", "sev", "severity level", "incident severity", "impact level"),
    "detection": (
        "detection",
        "detection method",
        "how detected",
        "detected by",
        "how was it detected",
        "discovered by",
    ),
    "services": (
        "services",
        "service",
        "affected services",
        "services affected",
        "affected systems",
        "systems affected",
        "components",
        "affected components",
        "systems",
    ),
    "users_affected": ("users affected", "affected users", "customers affected"),
    "root_cause": ("root cause", "root causes", "cause"),
}
_FIELD_OF = {name: key for key, names in FIELD_NAMES.items() for name in names}

SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "timeline": ("timeline", "chronology", "sequence of events"),
    "actions": (
        "action item",
        "follow-up",
        "follow up",
        "followup",
        "remediation",
        "corrective action",
        "next steps",
        "action plan",
        "preventive action",
        "what we'll do",
        "what we will do",
        "to do",
        "todo",
    ),
    "recurrence": ("recurrence prevention", "prevent recurrence"),
    "lucky": ("lucky",),
    "went_well": ("went well", "go well", "what worked"),
    "went_wrong": ("went wrong", "go wrong", "what didn't work", "could have gone better"),
    "lessons": ("lessons", "takeaways", "learnings", "insights"),
    "root_cause": ("root cause", "why did", "5 whys", "five whys", "causes"),
    "summary": ("summary", "overview", "tl;dr", "description"),
}
"""Heading words -> what import reads in that section (the first match wins, in this order)."""

SEVERITY_WORDS: tuple[tuple[str, str], ...] = (
    (r"near[- ]?miss", "near-miss"),
    (r"\b(?:sev|severity|s)[- ]?1\b", "SEV-1"),
    (r"\b(?:sev|severity|s)[- ]?2\b", "SEV-2"),
    (r"\b(?:sev|severity|s)[- ]?3\b", "SEV-3"),
    (r"\bcritical\b", "SEV-1"),
    (r"\bmajor\b", "SEV-2"),
    (r"\bminor\b", "SEV-3"),
)
"""Severity as written -> the schema's level; anything else (SEV-0, SEV-4, 'high') is reported."""

DETECTION_WORDS: tuple[tuple[str, str], ...] = (
    (r"customer|user report|support ticket|complain|twitter|social media", "customer-report"),
    (
        r"alert|monitor|pag(?:ed|er|ing)|alarm|prometheus|datadog|borgmon|nagios|synthetic",
        "monitoring",
    ),
    (r"engineer|employee|internal|noticed|staff|team member", "internal-discovery"),
)
_DETECTED_EVENT = re.compile(
    r"\b(?:alert(?:ed|s)?|paged|pages?|pager|detected|noticed|reported|alarm)\b"
    r"|\b(?:customers?|users?|support)\b[^.]{0,30}\b(?:reports?|escalates?|complain)",
    re.I,
)
_STARTED_EVENT = re.compile(
    r"\b(?:outage|impact|incident|degradation|errors?) (?:begins|began|starts|started)\b", re.I
)
_MITIGATED_EVENT = re.compile(r"\b(?:outage|impact) (?:mitigated|ends|ended)\b|\bmitigated\b", re.I)
_RESOLVED_EVENT = re.compile(r"\b(?:resolved|all[- ]clear|fully recovered|incident closed)\b", re.I)

ACTION_STATUS_WORDS: tuple[tuple[str, str], ...] = (
    (r"won'?t ?(?:do|fix)|cancel|obsolete|dropped|rejected", "cancelled"),
    (r"in[- ]progress|started|ongoing|wip|doing", "in-progress"),
    (r"done|complete|fixed|closed|resolved|finished|shipped|merged", "done"),
    (r"\bopen\b|to ?do|not started|planned|pending|backlog|new", "open"),
)
_COLUMNS: dict[str, tuple[str, ...]] = {
    "time": ("time", "date", "when", "timestamp", "utc", "pdt", "pst"),
    "event": ("event", "description", "what", "details", "activity", "action", "update", "note"),
    "action": ("action", "item", "task", "description", "what", "title", "follow-up", "todo"),
    "owner": ("owner", "assignee", "who", "responsible", "assigned", "team"),
    "due": ("due", "deadline", "target", "eta", "by when", "date"),
    "priority": ("priority", "prio", "pri"),
    "status": ("status", "state", "done"),
    "tracker": ("ticket", "bug", "issue", "tracker", "link", "jira"),
}
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_OWNER_NOTE = re.compile(
    r"\((?:owner|assignee|@)\s*:?\s*([^)]+)\)|\s[-\u2013\u2014]\s*@?(\w[\w .-]*)$"
)
_UNSET = {
    "",
    "-",
    "\u2014",
    "\u2013",
    "?",
    "??",
    "tbd",
    "tba",
    "n/a",
    "na",
    "none",
    "unknown",
    "unassigned",
}


# --- the report -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What import did with one document: fields mapped (and from where), left unknown, and
    what needs a human (ambiguous or conflicting values, a category to choose)."""

    source: str
    mapped: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    human: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as printed: one line per kind."""
        out = [f"  mapped: {', '.join(f'{k} ({v})' for k, v in self.mapped.items()) or 'nothing'}"]
        out.append(f"  unknown: {', '.join(self.unknown) or 'nothing'}")
        out += [f"  needs a human: {note}" for note in self.human]
        return out


@dataclass
class Imported:
    """The front matter and body import made of one document, or why it could not."""

    report: ImportReport
    data: dict[str, Any] | None
    body: str
    failure: str | None = None


# --- helpers ----------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Text without Markdown emphasis, code marks and link targets."""
    text = re.sub(
        r"\[\^[^\]\s]+\](?!:)", "", text
    )  # a footnote reference: the note stays in the body
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"(\*\*|__|`|~~)", "", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*]+)(?<!\s)\*(?!\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", _plain(text).lower()).strip(" :.")


def _section_kind(heading: str) -> str | None:
    words = _key(heading)
    for kind, needles in SECTION_WORDS.items():
        if any(needle in words for needle in needles):
            return kind
    return None


def _first(patterns: tuple[tuple[str, str], ...], text: str) -> str | None:
    for pattern, value in patterns:
        if re.search(pattern, text, re.IGNORECASE):
            return value
    return None


def _column(header: list[str], kind: str, taken: set[int]) -> int | None:
    for index, cell in enumerate(header):
        if index not in taken and any(word in _key(cell) for word in _COLUMNS[kind]):
            return index
    return None


def _unset(text: str) -> bool:
    return _key(text) in _UNSET


@dataclass
class _Section:
    heading: str | None
    level: int
    kind: str | None
    blocks: list[Block]


def _sections(blocks: list[Block]) -> list[_Section]:
    sections = [_Section(None, 0, None, [])]
    for block in blocks:
        if block.kind == "para" and len(block.text) < 80 and block.text.rstrip().endswith(":"):
            kind = _section_kind(block.text)  # "timeline (all times EST):" as a paragraph
            if kind is not None:
                sections.append(_Section(block.text, sections[-1].level + 1, kind, [block]))
                continue
        if block.kind == "heading":
            kind = _section_kind(block.text)
            parent = sections[-1]
            if kind is None and parent.kind is not None and block.level > parent.level > 0:
                kind = parent.kind  # a sub-heading of a known section belongs to it
            sections.append(_Section(block.text, block.level, kind, [block]))
        else:
            sections[-1].blocks.append(block)
    return sections


# --- the mapper -------------------------------------------------------------------------------


class _Mapper:
    def __init__(self, text: str, source: str, zone: str | None) -> None:
        self.lines = text.split("\n")
        self.blocks = parse(self.lines)
        self.sections = _sections(self.blocks)
        self.report = ImportReport(source)
        self.fields: dict[str, tuple[str, str]] = {}
        """Field key -> (value as written, label as written)."""
        self.consumed: set[int] = set()
        """Indexes of blocks moved into the front matter (left out of the body)."""
        self._collect_fields()
        self.zone = self._document_zone(zone)
        self.day = self._incident_day()

    # fields written as "Label: value", list items, or two-column tables
    def _collect_fields(self) -> None:
        def add(label: str, value: str) -> None:
            key = _FIELD_OF.get(_key(label))
            if key and value.strip() and key not in self.fields:
                self.fields[key] = (value.strip(), _plain(label).strip(" :"))

        for block in self.blocks:
            if block.kind in ("para", "code"):  # a template filled in inside its code block
                for line in block.text.split("\n"):
                    match = re.match(r"^([^:|]{1,40}?):\s*(.+)$", _plain(line))
                    if match:
                        add(match.group(1), match.group(2))
            elif block.kind == "list":
                for item in block.items:
                    match = re.match(r"^([^:|]{1,40}?):\s*(.+)$", _plain(item.text))
                    if match:
                        add(match.group(1), match.group(2))
            elif block.kind == "table" and all(len(row) == 2 for row in block.rows):
                for label, value in block.rows:
                    add(label, _plain(value))

    def _document_zone(self, given: str | None) -> tuple[str, str] | None:
        for section in self.sections:
            if section.heading and section.kind == "timeline":
                zone = stated_zone(section.heading)
                if zone and given and zone.upper() in AMBIGUOUS:
                    return given, f"given on the command line for the ambiguous {zone!r}"
                if zone:
                    return zone, f"stated in the heading {section.heading!r}"
        zone = stated_zone("\n".join(self.lines))
        if zone and given and zone.upper() in AMBIGUOUS:
            return given, f"given on the command line for the ambiguous {zone!r}"
        if zone:
            return zone, "stated in the document"
        if given:
            return given, "given on the command line"
        for key in ("started", "span", "date", "detected"):
            written = MOMENT.search(self.fields[key][0]) if key in self.fields else None
            if written is not None and written.group("zone"):
                return written.group("zone"), f"as written in field {self.fields[key][1]!r}"
        return None

    def _incident_day(self) -> dt.date | None:
        for key in ("date", "span", "started"):
            if key in self.fields:
                day = find_date(self.fields[key][0])
                if day:
                    self.day_from = f"field {self.fields[key][1]!r}"
                    return day
        heading = next((b for b in self.blocks if b.kind == "heading"), None)
        day = find_date(heading.text) if heading is not None else None
        if day:
            self.day_from = "the title"
            return day
        summary = self.first_paragraph(("summary",)) or self.first_paragraph((None,)) or ""
        day = find_date(summary)
        if day:
            self.day_from = "the summary"
        return day

    day_from = "no date"

    def recurrence(self) -> dict[str, bool]:
        checks: dict[str, bool] = {}
        for index, block in enumerate(self.blocks):
            section = self._section_of(index)
            if section is None or section.kind != "recurrence" or block.kind != "list":
                continue
            for item in block.items:
                key = _recurrence_key(item.text)
                if key is not None and item.checked is not None:
                    checks[key] = item.checked
            if checks:
                self.consumed.add(index)
        return checks

    def moment(self, key: str) -> Moment | None:
        if key not in self.fields:
            return None
        value, label = self.fields[key]
        found = read_moment(value, day=self.day, zone=self.zone)
        if found is not None and found.value is None:
            self.report.human.append(f"{key}: field {label!r} = {value!r}: {found.problem}")
            return None
        return found

    # --- sections ---------------------------------------------------------------------------

    def timeline(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        problems: list[str] = []
        for section in self.sections:
            if section.kind != "timeline":
                continue
            day = self.day
            zone = self.zone
            heading_zone = stated_zone(section.heading or "")
            if heading_zone and heading_zone.upper() not in AMBIGUOUS:
                zone = (heading_zone, f"the heading {section.heading!r}")
            for block in section.blocks:
                rows = self._timeline_rows(block)
                if rows is None:
                    if block.kind == "para" and find_date(block.text) and ":" not in block.text:
                        day = find_date(block.text)  # a date line heading a day's entries
                    continue
                got: list[dict[str, Any]] = []
                all_read = True
                for when, event in rows:
                    if not re.search(r"\d{1,2}:\d{2}", when):
                        date = find_date(when)
                        if date and not event.strip():
                            day = date
                            continue
                        all_read = False
                        continue
                    moment = read_moment(when, day=day, zone=zone)
                    if moment is None or moment.value is None or not event.strip():
                        all_read = False
                        if moment is not None and moment.problem:
                            problems.append(moment.problem)
                        continue
                    value = moment.value
                    if got and value < got[-1]["_at"] and find_date(when) is None:
                        value = value + dt.timedelta(days=1)
                        self._note_once(
                            "timeline: a time earlier than the one before it was"
                            " read as the next day (past midnight): check"
                        )
                    day = value.date()
                    got.append({"_at": value, "event": _plain(event)[:2000]})
                if got:
                    entries += got
                    if all_read:
                        self.consumed.add(self.blocks.index(block))
        if problems:
            self.report.human.append(
                f"timeline: {len(problems)} entr{'y' if len(problems) == 1 else 'ies'} not read"
                f" ({problems[0]}): kept in the body"
            )
        return entries

    def _note_once(self, note: str) -> None:
        if note not in self.report.human:
            self.report.human.append(note)

    def _timeline_rows(self, block: Block) -> list[tuple[str, str]] | None:
        if block.kind == "table" and len(block.rows) > 1:
            header = block.rows[0]
            time_col = _column(header, "time", set())
            if time_col is None:
                return None
            event_col = _column(header, "event", {time_col})
            if event_col is None:
                event_col = next((i for i in range(len(header)) if i != time_col), None)
            if event_col is None:
                return None
            extra = [i for i in range(len(header)) if i not in (time_col, event_col)]
            rows = []
            for row in block.rows[1:]:
                cells = row + [""] * (len(header) - len(row))
                event = cells[event_col]
                more = [f"{_plain(header[i])}: {cells[i]}" for i in extra if cells[i].strip()]
                rows.append((_plain(cells[time_col]), "; ".join([event, *more]) if more else event))
            return rows
        lines: list[str] = []
        if block.kind == "list":
            lines = [item.text for item in block.items]
        elif block.kind == "para":
            lines = block.text.split("\n")
        elif block.kind == "code":
            lines = [x for x in block.text.split("\n")[1:-1] if x.strip()]
        rows = []
        for line in lines:
            plain = _plain(line)
            moment = read_moment(plain, day=None, zone=("UTC", "probe"), at_start=True)
            if moment is None:
                if find_date(plain) and len(plain) < 40:
                    rows.append((plain, ""))
                    continue
                return None
            head, rest = plain[: moment.end], plain[moment.end :]
            rows.append((head, re.sub(r"^\s*[-\u2013\u2014:|>]+\s*", "", rest)))
        return rows or None

    def action_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for index, block in enumerate(self.blocks):
            section = self._section_of(index)
            if index in self.consumed or (section is not None and section.kind == "timeline"):
                continue
            in_actions = section is not None and section.kind == "actions"
            got: list[dict[str, Any]] | None = None
            if block.kind == "table" and len(block.rows) > 1:
                got = self._action_table(block.rows, in_actions)
            elif block.kind == "list" and in_actions:
                got = [self._action_from_item(item) for item in block.items if item.depth == 0]
            if got:
                items += got
                self.consumed.add(index)
        for number, item in enumerate(items, 1):
            item["id"] = f"AI-{number}"
        return [{"id": i.pop("id"), **i} for i in items]

    def _section_of(self, index: int) -> _Section | None:
        block = self.blocks[index]
        for section in self.sections:
            if any(b is block for b in section.blocks):
                return section
        return None

    def _action_table(self, rows: list[list[str]], in_actions: bool) -> list[dict[str, Any]] | None:
        header = rows[0]
        taken: set[int] = set()
        columns: dict[str, int] = {}
        for kind in ("owner", "priority", "status", "tracker", "due", "action"):
            col = _column(header, kind, taken)
            if col is not None:
                columns[kind] = col
                taken.add(col)
        if "action" not in columns:
            if not in_actions or not header:
                return None
            free = [i for i in range(len(header)) if i not in taken and _key(header[i]) != "#"]
            if not free:
                return None
            columns["action"] = free[0]
        if not in_actions and "owner" not in columns:
            return None
        items = []
        for row in rows[1:]:
            cells = row + [""] * (len(header) - len(row))
            text = cells[columns["action"]]
            if _unset(text):
                continue
            status = cells[columns["status"]] if "status" in columns else None
            if status is None:  # the SRE book's template marks **DONE** / **TODO** in a cell
                marker = re.search(r"\b(DONE|TODO)\b", " ".join(cells))
                status = marker.group(1) if marker else None
            item = self._action(
                re.sub(r"\*\*(?:DONE|TODO)\*\*", "", text),
                owner=cells[columns["owner"]] if "owner" in columns else None,
                due=cells[columns["due"]] if "due" in columns else None,
                priority=cells[columns["priority"]] if "priority" in columns else None,
                status=status,
                tracker=cells[columns["tracker"]] if "tracker" in columns else None,
            )
            items.append(item)
        return items

    def _action_from_item(self, item: Item) -> dict[str, Any]:
        status = None if item.checked is None else ("done" if item.checked else "open")
        text = item.text
        owner = None
        match = _OWNER_NOTE.search(text)
        if match:
            owner = (match.group(1) or match.group(2)).strip()
            text = text[: match.start()].strip()
        return self._action(text, owner=owner, status_word=status)

    def _action(
        self,
        text: str,
        *,
        owner: str | None = None,
        due: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        tracker: str | None = None,
        status_word: str | None = None,
    ) -> dict[str, Any]:
        links = [url for _, url in _LINK.findall(text + " " + (tracker or ""))]
        links += re.findall(r"https?://\S+", tracker or "")
        item: dict[str, Any] = {"id": "", "action": _plain(text)[:2000]}
        item["owner"] = UNKNOWN if owner is None or _unset(owner) else _plain(owner)[:200]
        due_date = find_date(due or "")
        item["due"] = due_date.isoformat() if due_date else UNKNOWN
        prio = _key(priority or "")
        if prio.upper() in Priority.__members__ or prio in PRIORITY_ALIASES:
            item["priority"] = PRIORITY_ALIASES.get(prio, prio.upper())
            item["priority"] = str(getattr(item["priority"], "value", item["priority"]))
        else:
            if prio and not _unset(prio):
                self._note_once(f"action_items: priority {priority!r} has no P0-P2 equivalent")
            item["priority"] = UNKNOWN
        word = status_word or _first(ACTION_STATUS_WORDS, status or "")
        item["status"] = word or UNKNOWN
        http = [u for u in links if u.startswith(("http://", "https://"))]
        if http:
            item["tracker"] = http[0]
        return item

    def lists_of(self, kind: str) -> list[str]:
        found: list[str] = []
        for index, block in enumerate(self.blocks):
            section = self._section_of(index)
            if section is None or section.kind != kind or block.kind != "list":
                continue
            if index in self.consumed:
                continue
            texts = [_plain(item.text)[:2000] for item in block.items if item.depth == 0]
            texts = [t for t in texts if t]
            if texts:
                found += texts
                self.consumed.add(index)
        return found

    def first_paragraph(self, kinds: tuple[str | None, ...]) -> str | None:
        for section in self.sections:
            if section.kind in kinds:
                for block in section.blocks:
                    if block.kind == "para" and not re.match(r"^[^:]{1,40}:\s", _plain(block.text)):
                        return _plain(block.text)
        return None

    # --- body ------------------------------------------------------------------------------

    def body(self, title_block: Block | None) -> str:
        headings = [b for b in self.blocks if b.kind == "heading" and b is not title_block]
        shift = 2 - min((b.level for b in headings), default=2)
        out: list[str] = []
        position = 0
        for index, block in enumerate(self.blocks):
            if block is title_block or index in self.consumed:
                out.append("\n".join(self.lines[position : block.start]))
                position = block.end
                continue
            if block.kind == "heading":
                out.append("\n".join(self.lines[position : block.start]))
                level = min(6, max(2, block.level + shift))
                out.append("#" * level + " " + block.text)
                position = block.end
        out.append("\n".join(self.lines[position:]))
        return _without_empty_headings("\n".join(out))


def _without_empty_headings(text: str) -> str:
    """Drop headings left with nothing under them (their content moved to the front matter)."""
    lines = text.split("\n")
    keep: list[str] = []
    for index, line in enumerate(lines):
        level = len(line) - len(line.lstrip("#"))
        if line.startswith("#") and line[level : level + 1] == " ":
            rest = (x for x in lines[index + 1 :] if x.strip())
            following = next(rest, None)
            deeper = following is not None and following.startswith("#" * (level + 1))
            if following is None or (following.startswith("#") and not deeper):
                continue
            if deeper and _empty_below(lines, index + 1, level):
                continue
        keep.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(keep)).strip() + "\n"


def _empty_below(lines: list[str], start: int, level: int) -> bool:
    """Only headings deeper than `level` (and blank lines) until the next heading <= `level`."""
    for line in lines[start:]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("#"))
        if line.startswith("#") and line[depth : depth + 1] == " ":
            if depth <= level:
                return True
            continue
        return False
    return True


def _recurrence_key(text: str) -> str | None:
    words = _key(text)
    for key, label in RECURRENCE_CHECKS.items():
        if _key(label).split("?")[0][:18] in words or key.replace("_", " ") in words:
            return key
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _services(value: str) -> list[str]:
    names = [_slug(part) for part in re.split(r"[,;/]|\band\b", _plain(value))]
    return [n[:63] for n in names if n and re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", n[:63])]


def _people(value: str) -> list[str]:
    names = [p.strip() for p in re.split(r",|;|\band\b|&", _plain(value))]
    return [n[:200] for n in names if n and not _unset(n)]


def import_text(
    text: str,
    *,
    source: str,
    stem: str,
    imported_on: dt.date,
    fmt: str,
    zone: str | None = None,
    incident_id: str | None = None,
) -> Imported:
    """Map one document (as Markdown) onto the schema."""
    m = _Mapper(text, source, zone)
    report = m.report
    data: dict[str, Any] = {}
    mapped = report.mapped

    def take(key: str, value: Any, where: str) -> None:
        data[key] = value
        mapped[key] = where

    def field_note(key: str) -> str:
        return f"field {m.fields[key][1]!r}"

    # identity
    if incident_id:
        take("id", incident_id, "given on the command line")
    elif "id" in m.fields and re.match(ID_PATTERN, _plain(m.fields["id"][0])):
        take("id", _plain(m.fields["id"][0]), field_note("id"))
    else:
        derived = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:64] or "imported"
        take("id", derived, "the file name")
    title_block = next((b for b in m.blocks if b.kind == "heading"), None)
    if "title" in m.fields:
        take("title", _plain(m.fields["title"][0])[:200], field_note("title"))
        title_block = None
    elif title_block is not None:
        take("title", _plain(title_block.text)[:200], "the first heading")
    else:
        take("title", stem.replace("-", " ").replace("_", " ")[:200], "the file name")
        report.human.append("title: no heading or title field: taken from the file name")
    summary = (
        (_plain(m.fields["summary"][0]) if "summary" in m.fields else None)
        or m.first_paragraph(("summary",))
        or m.first_paragraph((None,))
    )
    if summary:
        cut = summary if len(summary) <= 1000 else summary[:1000].rsplit(". ", 1)[0] + "."
        take(
            "summary",
            cut[:1000],
            "the summary" if len(cut) == len(summary) else "the summary (cut)",
        )
    else:
        take("summary", data["title"], "the title (no summary paragraph)")
        report.human.append("summary: the document has no summary paragraph")
    status_word = _key(m.fields["status"][0]) if "status" in m.fields else ""
    if "draft" in status_word:
        take("status", "draft", field_note("status"))
    elif "review" in status_word:
        take("status", "in-review", field_note("status"))
    else:
        data["status"] = "published"
        mapped["status"] = (
            field_note("status") if status_word else "published: an existing document imported"
        )

    people = _people(m.fields["authors"][0]) if "authors" in m.fields else []
    if people:
        take("authors", people, field_note("authors"))
    else:
        data["authors"] = UNKNOWN
    written = find_date(m.fields["written"][0]) if "written" in m.fields else None
    data["written"] = written.isoformat() if written else UNKNOWN
    if written:
        mapped["written"] = field_note("written")

    if "severity" in m.fields:
        value = m.fields["severity"][0]
        level = _first(SEVERITY_WORDS, value)
        if level:
            take("severity", level, f"{field_note('severity')} = {value!r}")
        else:
            report.human.append(f"severity: {value!r} has no equivalent (SEV-1..3, near-miss)")
    data.setdefault("severity", UNKNOWN)
    services = _services(m.fields["services"][0]) if "services" in m.fields else []
    if services:
        take("services", services, field_note("services"))
    else:
        data["services"] = UNKNOWN

    # times
    timeline = m.timeline()
    started = m.moment("started")
    span = m.fields.get("span")
    if started is None and span is not None:
        parts = re.split(r"\u2192|->|\u2013|\u2014|\bto\b|\buntil\b", span[0], maxsplit=1)
        started = read_moment(parts[0], day=m.day, zone=m.zone)
        if len(parts) == 2 and "resolved" not in m.fields:
            m.fields["resolved"] = (parts[1], span[1])
    if started is not None and started.value is not None:
        take("started", started.value.isoformat(), f"field, zone {started.zone_from}")
    elif timeline and any(_STARTED_EVENT.search(e["event"]) for e in timeline):
        first = next(e for e in timeline if _STARTED_EVENT.search(e["event"]))
        take("started", first["_at"].isoformat(), f"timeline entry {first['event'][:40]!r}")
    elif timeline:
        first = min(timeline, key=lambda e: e["_at"])
        take("started", first["_at"].isoformat(), "the first timeline entry")
        report.human.append(
            "started: no start field; the first timeline entry was used (impact may have"
            " begun later: check)"
        )
    else:
        why = "no start time" if m.zone else "no start time with a time zone"
        return Imported(report, None, m.body(title_block), f"started: {why} found: add one")
    start = dt.datetime.fromisoformat(data["started"])

    detected = m.moment("detected")
    if detected is not None and detected.value is not None:
        take("detected", detected.value.isoformat(), f"field, zone {detected.zone_from}")
    else:
        event = next((e for e in timeline if _DETECTED_EVENT.search(e["event"])), None)
        if event is not None:
            take("detected", event["_at"].isoformat(), f"timeline entry {event['event'][:40]!r}")
        else:
            data["detected"] = UNKNOWN
    how = m.fields.get("detection")
    method = _first(DETECTION_WORDS, how[0]) if how else None
    if how and method:
        take("detection", method, f"{field_note('detection')}")
    elif "detected" in mapped and mapped["detected"].startswith("timeline"):
        event = next(e for e in timeline if _DETECTED_EVENT.search(e["event"]))
        method = _first(DETECTION_WORDS, event["event"])
        if method:
            take("detection", method, "the words of the detection entry")
    data.setdefault("detection", UNKNOWN)

    for key in ("mitigated", "resolved"):
        found = m.moment(key)
        if found is not None and found.value is not None:
            take(key, found.value.isoformat(), f"field, zone {found.zone_from}")
    for key, words in (("mitigated", _MITIGATED_EVENT), ("resolved", _RESOLVED_EVENT)):
        event = next((e for e in reversed(timeline) if words.search(e["event"])), None)
        if key not in data and event is not None:
            take(key, event["_at"].isoformat(), f"timeline entry {event['event'][:40]!r}")
    _drop_out_of_order(data, start, report)

    users = m.fields.get("users_affected")
    if users and re.fullmatch(r"[\d,. ]+", users[0].strip()):
        data["impact"] = {"users_affected": int(re.sub(r"\D", "", users[0]))}
        mapped["impact.users_affected"] = f"field {users[1]!r}"

    if timeline:
        data["timeline"] = [
            {"at": e["_at"].isoformat(), "event": e["event"]}
            for e in sorted(timeline, key=lambda e: e["_at"])
        ]
        mapped["timeline"] = f"{len(timeline)} entries from the timeline (date: {m.day_from})"
    for key, kind in (
        ("went_well", "went_well"),
        ("went_wrong", "went_wrong"),
        ("lucky", "lucky"),
        ("lessons_learned", "lessons"),
    ):
        found_list = m.lists_of(kind)
        if found_list:
            take(key, found_list, f"{len(found_list)} list items")
    actions = m.action_items()
    if actions:
        take("action_items", actions, f"{len(actions)} items from tables/checklists")
        for field_name in ("owner", "due", "priority", "status"):
            missing = sum(a[field_name] == UNKNOWN for a in actions)
            if missing:
                report.unknown.append(f"action_items.{field_name} ({missing} of {len(actions)})")
    checks = m.recurrence()
    if checks:
        take("recurrence_prevention", checks, "the recurrence-prevention checklist")
    if any(s.kind == "root_cause" for s in m.sections) or "root_cause" in m.fields:
        report.human.append("root_cause: the analysis is in the body; choose its category")
    data["source"] = {
        "imported_from": source,
        "imported_on": imported_on.isoformat(),
        "format": fmt,
    }
    for key in reversed(("authors", "written", "severity", "services", "detected", "detection")):
        if data.get(key) == UNKNOWN:
            report.unknown.insert(0, key)
    order = ("id", "title", "summary", "status", "authors", "written", "severity", "services")
    ordered = {k: data[k] for k in order if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return Imported(report, ordered, m.body(title_block))


def _drop_out_of_order(data: dict[str, Any], start: dt.datetime, report: ImportReport) -> None:
    """Leave out a mapped time that contradicts the others (reported), rather than choose."""

    def at(key: str) -> dt.datetime | None:
        value = data.get(key)
        return dt.datetime.fromisoformat(value) if value not in (None, UNKNOWN) else None

    detected = at("detected")
    for key in ("mitigated", "resolved"):
        value = at(key)
        if value is None:
            continue
        earlier = "started" if value < start else None
        if detected is not None and value < detected:
            earlier = "detected"
        mitigated = at("mitigated")
        if key == "resolved" and mitigated is not None and value < mitigated:
            earlier = "mitigated"
        if earlier:
            del data[key]
            report.mapped.pop(key, None)
            report.human.append(f"{key}: read as {value.isoformat()}, before {earlier}: left out")
