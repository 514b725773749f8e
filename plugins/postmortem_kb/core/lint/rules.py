"""The lint's rules: blame language, superficial analysis, placeholders and markup left open."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..loader import Document, Path_, format_loc
from ..open_html import closing_tags, open_blocks
from ..problems import Level, Problem
from ..schema import ActionStatus, PostMortem, Severity
from ..sections import body_chunks, code_spans, open_fence_line, without_fenced_code
from .config import MAX_FINDINGS_PER_RULE, RULES, LintConfig, LintLevel
from .patterns import (
    ALWAYS_BLAME,
    ALWAYS_CUES,
    ANY_CUES,
    BREAK,
    CUE_AT_WORD_START,
    CUES_STARTING,
    FILLER,
    MISTAKE,
    MISTAKE_CUES,
    NOT_NAME_SUFFIX,
    NOT_NAMES,
    NOUN_BY,
    NOUN_BY_CUES,
    PASSIVE,
    POSSESSIVE,
    POSSESSIVE_CUES,
    ROLES,
    SENTENCE_END,
    SUPERFICIAL,
    SYSTEM_NOUNS,
    TECHNOLOGIES,
    TITLE_WORD,
    TRIM,
    UNFOLDABLE,
    WORD,
    Cues,
)


@dataclass(frozen=True)
class RuleHit:
    """One rule's finding in a document, before the configured level turns it into a Problem."""

    rule: str
    line: int
    field: str
    message: str


# --- the document walk ------------------------------------------------------------------------

PROSE_KEYS = frozenset(
    {"title", "summary", "description", "event", "question", "answer", "notes", "action"}
    | {"success_criteria"}
)
PROSE_LISTS = frozenset({"went_well", "went_wrong", "lucky", "lessons_learned"})


def _string_list(data: Any, loc: Path_, out: list[tuple[Path_, str]]) -> list[tuple[Path_, str]]:
    """Every string value of loaded front matter with its path, appended to `out` (one recursive
    call per container, not a generator per value)."""
    if isinstance(data, str):
        out.append((loc, data))
    elif isinstance(data, Mapping):
        for key, value in data.items():
            _string_list(value, (*loc, key), out)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _string_list(value, (*loc, index), out)
    return out


@functools.lru_cache(maxsize=4096)
def _is_prose(loc: Path_) -> bool:
    """True for a free-text field (paths repeat from file to file, so the answer is kept)."""
    if len(loc) == 2 and loc[0] in PROSE_LISTS and isinstance(loc[1], int):
        return True
    last = next((part for part in reversed(loc) if isinstance(part, str)), None)
    return last in PROSE_KEYS


def prose_body(body: str) -> str:
    """The body with code blocks, inline code and HTML comments blanked (line numbers kept).

    Linear time, whatever the body: inline code and comments are found by hand-written scans
    (a regex for each took minutes over a line of backticks or a run of `<!--`).
    """
    if "`" in body or "~" in body:
        body = without_fenced_code(body)
        if "`" in body:
            body = "\n".join(_without_code_spans(line) for line in body.split("\n"))
    return _without_comments(body) if "<!--" in body else body


def _without_code_spans(line: str) -> str:
    if "`" not in line:
        return line
    out: list[str] = []
    position = 0
    for start, end in code_spans(line):
        out += [line[position:start], " " * (end - start)]
        position = end
    out.append(line[position:])
    return "".join(out)


def _without_comments(body: str) -> str:
    """`body` with each `<!-- ... -->` blanked, line breaks kept; an unclosed one is text."""
    out: list[str] = []
    position = 0
    while (start := body.find("<!--", position)) != -1:
        end = body.find("-->", start + 4)
        if end == -1:
            break  # no comment closes after here, so none starts here or later
        end += 3
        out += [body[position:start], re.sub(r"[^\n]", " ", body[start:end])]
        position = end
    out.append(body[position:])
    return "".join(out)


# --- blame language ---------------------------------------------------------------------------

_SHORT_TEXT = 400
"""Texts up to this length are matched whole; longer ones only around their cues."""


def _fold(text: str) -> str | None:
    """`text` lower-cased, position for position, or None when case folding is not that simple."""
    if text.isascii():
        return text.lower()
    if UNFOLDABLE.search(text):
        return None
    return text.lower()


def _may_match(folded: str | None, cues: Cues) -> bool:
    """False only when a pattern with these cues cannot match: a cheap test before running it.

    `folded` is the lower-cased text, or None for text whose case folding is not simple, which
    always runs the pattern (Unicode case-insensitive matching has special cases, e.g. 'İ'
    matches 'i').
    """
    if folded is None:
        return True
    found = _cue_hits(folded)[0]
    return any(all(not found.isdisjoint(words) for words in group) for group in cues)


@functools.lru_cache(maxsize=8)
def _cue_hits(folded: str) -> tuple[frozenset[str], tuple[int, ...]]:
    """The cues that start a word of `folded`, and where (one scan, asked up to five times)."""
    matched: set[str] = set()
    positions = []
    for match in CUE_AT_WORD_START.finditer(folded):
        matched.add(match.group(0))
        positions.append(match.start())
    return frozenset().union(*(CUES_STARTING[cue] for cue in matched)), tuple(positions)


def _spans_to_match(text: str, folded: str | None) -> list[tuple[int, int]]:
    """Where a blame pattern may match: the whole text, or the stretches around its cues.

    Every match holds a cue and no `BREAK` character, and each stretch runs from one break to
    the next, so matching in the stretches finds exactly the matches in the whole text.
    """
    if folded is None or len(text) <= _SHORT_TEXT:
        return [(0, len(text))]
    reverse = folded[::-1]
    spans: list[tuple[int, int]] = []
    for position in _cue_hits(folded)[1]:
        if spans and position < spans[-1][1]:
            continue
        after = BREAK.search(folded, position)
        before = BREAK.search(reverse, len(folded) - position)
        start = len(folded) - before.start() if before else 0
        spans.append((start, after.start() if after else len(folded)))
    return spans


@dataclass(frozen=True)
class BlameMatch:
    """A blame-language match in one piece of text."""

    start: int
    end: int
    message: str


def blame_findings(
    text: str, authors: Iterable[str], allow: Iterable[str] = ()
) -> list[BlameMatch]:
    """Blame language in `text`: blaming words, or a person named next to a mistake."""
    return _blame_in(text, _author_names(authors), _allow_patterns(tuple(allow)))


def _blame_in(
    text: str, names: frozenset[str], allow: tuple[re.Pattern[str], ...]
) -> list[BlameMatch]:
    """`blame_findings` with the authors' names and the allowed phrases prepared once."""
    folded = _fold(text)
    if not _may_match(folded, ANY_CUES):
        return []
    found: list[BlameMatch] = []
    spans = _spans_to_match(text, folded)
    always = _matches(ALWAYS_BLAME, text, spans) if _may_match(folded, ALWAYS_CUES) else ()
    for match in always:
        phrase = " ".join(match.group(0).split())
        found.append(
            BlameMatch(match.start(), match.end(), f"blaming language {phrase!r}: {_REWRITE}")
        )
    mistakes = _matches(MISTAKE, text, spans) if _may_match(folded, MISTAKE_CUES) else ()
    for match in mistakes:
        who = _person_before(text, match.start(), names, match.group("human") is not None)
        if who is not None:
            start, person = who
            verb = " ".join(match.group(0).split())
            found.append(
                BlameMatch(start, match.end(), f"{person!r} is named next to {verb!r}: {_REWRITE}")
            )
    for pattern, cues in ((POSSESSIVE, POSSESSIVE_CUES), (NOUN_BY, NOUN_BY_CUES)):
        if not _may_match(folded, cues):
            continue
        for match in _matches(pattern, text, spans):
            person = match.group("who").split()[0].strip(TRIM)
            if _is_known_person(person, names) or _is_title_name(person):
                phrase = " ".join(match.group(0).split())
                found.append(
                    BlameMatch(
                        match.start(), match.end(), f"a person's mistake {phrase!r}: {_REWRITE}"
                    )
                )
    if not found:
        return found
    allowed = [m.span() for pattern in allow for m in pattern.finditer(text)]
    kept = [f for f in found if not any(a < f.end and f.start < b for a, b in allowed)]
    kept.sort(key=lambda f: (f.start, f.end))
    return [f for i, f in enumerate(kept) if i == 0 or f.start >= kept[i - 1].end]


def _with_cues(values: list[tuple[Path_, str]]) -> list[tuple[Path_, str]]:
    """The values holding a blame cue, found with one scan of all of them joined."""
    joined = "\n".join(value for _, value in values)
    folded = _fold(joined)
    if folded is None:
        return values
    starts = list(itertools.accumulate((len(value) + 1 for _, value in values), initial=0))
    hits = {bisect.bisect_right(starts, position) - 1 for position in _cue_hits(folded)[1]}
    return [values[index] for index in sorted(hits)]


def _matches(
    pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    for start, end in spans:
        yield from pattern.finditer(text, start, end)


_REWRITE = "describe what the system allowed, not who did it (blameless rule 5)"


def _author_names(authors: Iterable[str]) -> frozenset[str]:
    names: set[str] = set()
    for author in authors:
        if not isinstance(author, str):
            continue
        names.add(author.strip())
        names.update(token for token in re.split(r"[\s,]+", author) if len(token) >= 3)
    return frozenset(n for n in names if n)


def _is_known_person(word: str, names: frozenset[str]) -> bool:
    """An author's name, an @handle, a role ('the engineer') or a personal pronoun."""
    return word in names or (word.startswith("@") and len(word) > 1) or word.lower() in ROLES


def _is_title_name(word: str) -> bool:
    """A capitalised word that may be someone's name (not a sentence-opening function word)."""
    return (
        bool(TITLE_WORD.match(word))
        and word not in NOT_NAMES
        and word not in SYSTEM_NOUNS
        and word not in TECHNOLOGIES
        and not NOT_NAME_SUFFIX.search(word)
    )


def _person_before(
    text: str, position: int, names: frozenset[str], human_verb: bool
) -> tuple[int, str] | None:
    """The person named within three words before `position`, in the same sentence.

    A capitalised word counts as a name right before any mistake verb, and up to three words
    before a verb only people do ('forgot', 'neglected'); 'failed to', 'broke', 'missed' and
    'ignored' also describe systems, so further away only a known person counts.
    """
    window_start = max(0, position - 80)
    ends = list(SENTENCE_END.finditer(text, window_start, position))
    if ends:
        window_start = ends[-1].end()
    words = list(WORD.finditer(text, window_start, position))[-3:]
    for distance, word in enumerate(reversed(words)):
        bare = word.group(0).strip(TRIM)
        if bare.lower() in PASSIVE:
            return None  # "tasks are forgotten": a passive, no one is named as doing it
        if _is_known_person(bare, names) or (
            _is_title_name(bare) and (human_verb or distance == 0)
        ):
            for name in names:  # report "Priya Raman", not "Raman"
                if " " in name and text.startswith(name, word.end() - len(name)):
                    return word.end() - len(name), name
            return word.start(), bare
    return None


@functools.lru_cache(maxsize=16)
def _allow_patterns(allow: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each allowed phrase as a case-insensitive pattern that matches any spacing."""
    return tuple(
        re.compile(r"\s+".join(re.escape(part) for part in phrase.split()), re.IGNORECASE)
        for phrase in allow
    )


# --- superficial analysis ---------------------------------------------------------------------


def is_superficial(summary: str) -> bool:
    """True when a root-cause summary is only a label such as 'human error' or 'a code bug'."""
    words = re.sub(r"[^\w\s]", " ", summary.lower())
    normal = FILLER.sub("", " ".join(words.split()))
    return normal in SUPERFICIAL


# --- the lint ---------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^\s*TODO\b")
_BODY_PLACEHOLDER = re.compile(r"^[ \t]*(?:(?:[-*+>]|\d+[.)])[ \t]+)?TODO\b.*$", re.MULTILINE)


def with_lint(
    doc: Document, model: PostMortem | None, problems: list[Problem], config: LintConfig
) -> list[Problem]:
    """A file's validation problems plus its lint findings.

    A value still holding its placeholder (`severity: "TODO: SEV-1 | ..."`) is reported once,
    as the placeholder it is, rather than as the schema error it also causes.
    """
    lint = lint_document(doc, model, config)
    placeholders = {(p.line, p.field) for p in lint if p.rule == "placeholder"}
    problems = [p for p in problems if (p.line, p.field) not in placeholders]
    return problems + lint


def lint_document(
    doc: Document, model: PostMortem | None, config: LintConfig | None = None
) -> list[Problem]:
    """Every lint finding for one document (model rules only when the front matter is valid)."""
    config = config or LintConfig()
    found: list[RuleHit] = []
    values = _string_list(doc.data, (), [])
    body: str | None = None

    if config.level("placeholder") is not LintLevel.OFF:
        for loc, value in values:
            if "TODO" in value and _PLACEHOLDER.match(value):
                line = doc.line_of(loc)
                shown = " ".join(value.split())
                shown = shown if len(shown) <= 90 else shown[:87] + "..."
                found.append(
                    RuleHit(
                        "placeholder", line, format_loc(loc), f"fill in the placeholder {shown!r}"
                    )
                )
        if "TODO" in doc.body:
            body = prose_body(doc.body)
            line_at = _line_counter(body, doc.body_line)
            for match in _BODY_PLACEHOLDER.finditer(body):
                line = line_at(match.start())
                shown = match.group(0).strip()
                shown = shown if len(shown) <= 90 else shown[:87] + "..."
                found.append(
                    RuleHit("placeholder", line, "body", f"replace the placeholder {shown!r}")
                )

    if config.level("blame-language") is not LintLevel.OFF:
        authors = doc.data.get("authors")
        names = _author_names(authors if isinstance(authors, list) else [])
        allow = _allow_patterns(config.allow)
        prose = [
            (loc, value)
            for loc, value in values
            if _is_prose(loc) and not ("TODO" in value and _PLACEHOLDER.match(value))
        ]
        for loc, value in _with_cues(prose):
            for finding in _blame_in(value, names, allow):
                found.append(
                    RuleHit("blame-language", doc.line_of(loc), format_loc(loc), finding.message)
                )
        body = prose_body(doc.body) if body is None else body
        line_at = _line_counter(body, doc.body_line)
        for finding in _blame_in(body, names, allow):
            found.append(RuleHit("blame-language", line_at(finding.start), "body", finding.message))

    found.extend(_unclosed_markup(doc, config))

    if model is not None:
        found.extend(_analysis_findings(doc, model))

    problems = []
    # An imported (historical) record keeps the plain levels: its words are its source's, and
    # a published one's blame is reported for a human, not a reason to refuse the history.
    status = None if "source" in doc.data else doc.data.get("status")
    counts: dict[str, int] = {}
    for hit in found:
        level = config.level(hit.rule, status)
        if level is LintLevel.OFF:
            continue
        counts[hit.rule] = counts.get(hit.rule, 0) + 1
        field_, message = hit.field, hit.message
        if counts[hit.rule] == MAX_FINDINGS_PER_RULE + 1:
            field_, message = "body", "more findings of this rule are not shown"
        elif counts[hit.rule] > MAX_FINDINGS_PER_RULE:
            continue
        problems.append(
            Problem(
                doc.display_path,
                hit.line,
                field_,
                f"{message} [{hit.rule}]",
                Level.ERROR if level is LintLevel.ERROR else Level.WARNING,
                hit.rule,
            )
        )
    return problems


def _line_counter(text: str, first_line: int) -> Callable[[int], int]:
    """The file line of offsets of `text` asked in increasing order, counted incrementally
    (counting from the start for each of many findings would be quadratic)."""
    position, line = 0, first_line

    def line_at(offset: int) -> int:
        nonlocal position, line
        if offset < position:
            position, line = 0, first_line
        line += text.count("\n", position, offset)
        position = offset
        return line

    return line_at


def _unclosed_markup(doc: Document, config: LintConfig) -> Iterator[RuleHit]:
    """HTML blocks left open in a `##` section (the page closes them where the section ends) and
    a code fence never closed (Markdown then shows it, and every code block after it, as text)."""
    if config.level("unclosed-html") is not LintLevel.OFF and "<" in doc.body:
        for chunk in body_chunks(doc.body):
            if blocks := open_blocks(chunk.text):
                yield RuleHit(
                    "unclosed-html",
                    doc.body_line + chunk.start + blocks[0].line,
                    "body",
                    f"<{blocks[0].tag}> is not closed before the section ends: add"
                    f" {closing_tags(blocks)}, or the rest of the section shows as HTML source",
                )
    if (line := open_fence_line(doc.body)) is not None:
        opening = doc.body.split("\n")[line].strip()
        marker = opening[: len(opening) - len(opening.lstrip(opening[0]))]
        yield RuleHit(
            "unclosed-fence",
            doc.body_line + line,
            "body",
            f"the code block opened with {opening!r} is never closed, so it shows as text: end"
            f" it with a line {marker!r}",
        )


def _analysis_findings(doc: Document, pm: PostMortem) -> list[RuleHit]:
    """Superficial analysis (protocol failure scenario 3) and action items without owner/due;
    not for a historical (imported) record, whose analysis is what its source recorded."""
    found: list[RuleHit] = []
    if pm.historical:
        return found
    if pm.root_cause is None:
        found.append(
            RuleHit(
                "no-root-cause",
                doc.line_of(("whys",)),
                "root_cause",
                "no root cause: add root_cause with a category (technical, process, people,"
                " organizational) and a summary",
            )
        )
    elif is_superficial(pm.root_cause.summary):
        found.append(
            RuleHit(
                "superficial-root-cause",
                doc.line_of(("root_cause", "summary")),
                "root_cause.summary",
                f"{pm.root_cause.summary!r} names a symptom, not a root cause: keep asking why"
                " until you reach the process or system gap that allowed it",
            )
        )
    if len(pm.whys) < 3:
        count = f"only {len(pm.whys)} Why" + ("" if len(pm.whys) == 1 else "s")
        found.append(
            RuleHit(
                "few-whys",
                doc.line_of(("whys",)),
                "whys",
                f"{count if pm.whys else 'no Whys'}: ask 'why?' at least three times to get past"
                " the direct cause (5 Whys)",
            )
        )
    if pm.severity in (Severity.SEV1, Severity.SEV2) and not pm.action_items:
        found.append(
            RuleHit(
                "no-action-items",
                doc.line_of(("action_items",)),
                "action_items",
                f"a {pm.severity.value} post-mortem needs action items that prevent a recurrence",
            )
        )
    for index, item in enumerate(pm.action_items):
        if item.status is ActionStatus.CANCELLED:
            continue
        missing = [
            name for name, value in (("owner", item.owner), ("due date", item.due)) if not value
        ]
        if missing:
            found.append(
                RuleHit(
                    "action-owner-due",
                    doc.line_of(("action_items", index)),
                    f"action_items[{index}]",
                    f"action item {item.id} has no {' and no '.join(missing)}: every action needs"
                    " an owner and a deadline",
                )
            )
    return found


def notices_for(problems: Iterable[Problem], display_path: str) -> list[Problem]:
    """The lint findings of one file, in line order (shown on its draft page)."""
    return sorted(
        (p for p in problems if p.path == display_path and p.rule in RULES),
        key=lambda p: (p.line, p.field),
    )
