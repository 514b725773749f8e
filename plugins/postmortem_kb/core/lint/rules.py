"""The authoring lint: blame language, superficial analysis, placeholders and HTML left open."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..loader import Document, Path_, format_loc
from ..open_html import closing_tags, open_blocks
from ..problems import Level, Problem
from ..schema import ActionStatus, PostMortem, Severity
from ..sections import body_chunks, code_spans, open_fence_line, without_fenced_code

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
MAX_FINDINGS_PER_RULE = 50
"""Findings of one rule reported per file; past it, one line says more are not shown (a
bounded log)."""


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

_ALWAYS_BLAME = re.compile(
    r"\b(?:"
    r"(?:human|operator|user|pilot)\s+(?:error|mistake)s?"
    r"|careless(?:ly|ness)?|negligen(?:t|ce)|reckless(?:ly|ness)?|sloppy|sloppiness"
    r"|incompeten(?:t|ce)|lazy|laziness|stupid(?:ity)?|idiot(?:ic|s)?"
    r"|should\s*(?:n[o']t\s*)?(?:have|'ve)|ought\s+to\s+have"
    r"|(?:the\s+)?fault\s+of|at\s+fault|to\s+blame|blamed"
    r"|fat[- ]finger(?:ed|ing)?|dropped\s+the\s+ball"
    r")\b",
    re.IGNORECASE,
)
_QUOTES = "'\u2019"
"""Straight and typographic apostrophes."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_HUMAN_ONLY = (
    r"forgot|forgotten|neglected|overlooked|carelessly|mistakenly|accidentally"
    r"|made\s+(?:a|an|the)\s+(?:\w+\s+)?(?:mistake|error|blunder)"
    r"|messed\s+up|screwed\s+up|botched|did\s*n[o']t\s+bother"
)
_AMBIGUOUS = r"failed\s+to|broke|missed|ignored"
_MISTAKE = re.compile(rf"\b(?:(?P<human>{_HUMAN_ONLY})|(?P<other>{_AMBIGUOUS}))\b", re.IGNORECASE)
_MISTAKE_NOUN = r"(?:mistake|error|fault|blunder|oversight|slip)s?"
_POSSESSIVE = re.compile(  # a name starts only where a run of [\w.-] does: linear time
    rf"(?P<who>(?<![\w.-])@?[\w.-]+)(?:[{_QUOTES}]s|s[{_QUOTES}])\s+"
    r"(?:\w+\s+)?(?:mistake|fault|blunder)s?\b"
)
_NOUN_BY = re.compile(
    rf"\b{_MISTAKE_NOUN}\s+(?:made\s+|caused\s+)?(?:by|of)\s+(?P<who>@?[\w.-]+(?:\s+[A-Z][a-z]+)?)"
)
_Cues = tuple[tuple[tuple[str, ...], ...], ...]
"""Words every match of a pattern starts a word with (lower case): one of each tuple of a group."""
_ALWAYS_CUES: _Cues = (
    (("human", "operator", "user", "pilot"), ("error", "mistake")),
    (("careless", "negligen", "reckless", "slopp", "incompeten", "laz", "stupid", "idiot"),),
    (("should", "ought", "fault", "blame", "finger", "dropped"),),
)
_MISTAKE_CUES: _Cues = (
    (("made",), ("mistake", "error", "blunder")),
    (("forgot", "neglected", "overlooked", "careless", "mistaken", "accidental", "messed"),),
    (("screwed", "botched", "bother", "failed", "broke", "missed", "ignored"),),
)
_POSSESSIVE_CUES: _Cues = ((("mistake", "fault", "blunder"),),)
_NOUN_BY_CUES: _Cues = ((("mistake", "error", "fault", "blunder", "oversight", "slip"),),)


_ANY_CUES: _Cues = _ALWAYS_CUES + _MISTAKE_CUES + _POSSESSIVE_CUES + _NOUN_BY_CUES
"""Satisfied when at least one of the four patterns may match."""
_ALL_CUES = frozenset(cue for groups in _ANY_CUES for words in groups for cue in words)


def _alternation(words: Iterable[str]) -> str:
    """A regex matching the longest of `words` at a position (a trie: one branch per letter)."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(words):
        by_first.setdefault(word[0], []).append(word[1:])
    branches = []
    for first, rests in by_first.items():
        longer = [rest for rest in rests if rest]
        inner = f"(?:{_alternation(longer)})" if longer else ""
        branches.append(first + (inner + "?" if longer and "" in rests else inner))
    return "|".join(branches)


_CUE_AT_WORD_START = re.compile(rf"\b(?:{_alternation(_ALL_CUES)})")
"""The longest cue at each word start (a match also holds the shorter cues it starts with)."""
_CUES_STARTING: dict[str, frozenset[str]] = {
    cue: frozenset(other for other in _ALL_CUES if cue.startswith(other)) for cue in _ALL_CUES
}
_UNFOLDABLE = re.compile("[\u0130\u0131\u017f\u212a]")
"""The only characters that match an ASCII letter case-insensitively or change length or class
when lower-cased (dotted capital I, dotless i, long s, Kelvin sign): checked on every code point."""
_BREAK = re.compile(r"[^\w\s'\u2019.@-]")
"""A character no blame pattern can match: a match never spans one."""
_SHORT_TEXT = 400
"""Texts up to this length are matched whole; longer ones only around their cues."""


def _fold(text: str) -> str | None:
    """`text` lower-cased, position for position, or None when case folding is not that simple."""
    if text.isascii():
        return text.lower()
    if _UNFOLDABLE.search(text):
        return None
    return text.lower()


def _may_match(folded: str | None, cues: _Cues) -> bool:
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
    for match in _CUE_AT_WORD_START.finditer(folded):
        matched.add(match.group(0))
        positions.append(match.start())
    return frozenset().union(*(_CUES_STARTING[cue] for cue in matched)), tuple(positions)


def _spans_to_match(text: str, folded: str | None) -> list[tuple[int, int]]:
    """Where a blame pattern may match: the whole text, or the stretches around its cues.

    Every match holds a cue and no `_BREAK` character, and each stretch runs from one break to
    the next, so matching in the stretches finds exactly the matches in the whole text.
    """
    if folded is None or len(text) <= _SHORT_TEXT:
        return [(0, len(text))]
    reverse = folded[::-1]
    spans: list[tuple[int, int]] = []
    for position in _cue_hits(folded)[1]:
        if spans and position < spans[-1][1]:
            continue
        after = _BREAK.search(folded, position)
        before = _BREAK.search(reverse, len(folded) - position)
        start = len(folded) - before.start() if before else 0
        spans.append((start, after.start() if after else len(folded)))
    return spans


_ROLES = _words(
    "engineer engineers developer developers dev devs sysadmin admin administrator intern"
    " contractor technician employee hire reviewer approver on-call oncall on-caller he"
    " she him her someone somebody"
)
_NOT_NAMES = _words(
    "The A An It Its This That These Those There Then Than We Our Us They Their Them You"
    " Your I When While After Before Because Since If As At In On Of For From To With"
    " Without And But Or So Nobody No Not Everyone Everybody Nothing Also Only Both Each"
    " Every Some Once Later Finally However Meanwhile Although Though Why What Who How"
    " Where Which Here Today Yesterday Monday Tuesday Wednesday Thursday Friday Saturday"
    " Sunday"
)
_SYSTEM_NOUNS = _words(
    "Alert Alerts Alerting Backup Build Cache Canary Change Check Cluster Code Config Cron"
    " Database Deploy Failover Gateway Job Pipeline Policy Probe Process Proxy Queue Release"
    " Rollback Rollout Scheduler Autoscaler Script Service System Team Test Tests Tooling Worker"
)
"""Capitalised words that start sentences about systems, never names."""
_NOT_NAME_SUFFIX = re.compile(r"(?:ing|tion|sion|ment|ness|ity)$")
_PASSIVE = _words("is are was were be been being get gets got getting")
_TRIM = ".," + _QUOTES
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")
_WORD = re.compile(rf"@?[\w{_QUOTES}.-]+")
_SENTENCE_END = re.compile(r"[.!?;:](?:\s|$)|\n\s*\n")


@dataclass(frozen=True)
class Finding:
    """A blame-language match in one piece of text."""

    start: int
    end: int
    message: str


def blame_findings(text: str, authors: Iterable[str], allow: Iterable[str] = ()) -> list[Finding]:
    """Blame language in `text`: blaming words, or a person named next to a mistake."""
    return _blame_in(text, _author_names(authors), _allow_patterns(tuple(allow)))


def _blame_in(
    text: str, names: frozenset[str], allow: tuple[re.Pattern[str], ...]
) -> list[Finding]:
    """`blame_findings` with the authors' names and the allowed phrases prepared once."""
    folded = _fold(text)
    if not _may_match(folded, _ANY_CUES):
        return []
    found: list[Finding] = []
    spans = _spans_to_match(text, folded)
    always = _matches(_ALWAYS_BLAME, text, spans) if _may_match(folded, _ALWAYS_CUES) else ()
    for match in always:
        phrase = " ".join(match.group(0).split())
        found.append(
            Finding(match.start(), match.end(), f"blaming language {phrase!r}: {_REWRITE}")
        )
    mistakes = _matches(_MISTAKE, text, spans) if _may_match(folded, _MISTAKE_CUES) else ()
    for match in mistakes:
        who = _person_before(text, match.start(), names, match.group("human") is not None)
        if who is not None:
            start, person = who
            verb = " ".join(match.group(0).split())
            found.append(
                Finding(start, match.end(), f"{person!r} is named next to {verb!r}: {_REWRITE}")
            )
    for pattern, cues in ((_POSSESSIVE, _POSSESSIVE_CUES), (_NOUN_BY, _NOUN_BY_CUES)):
        if not _may_match(folded, cues):
            continue
        for match in _matches(pattern, text, spans):
            person = match.group("who").split()[0].strip(_TRIM)
            if _is_known_person(person, names) or _is_title_name(person):
                phrase = " ".join(match.group(0).split())
                found.append(
                    Finding(
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
    return word in names or (word.startswith("@") and len(word) > 1) or word.lower() in _ROLES


def _is_title_name(word: str) -> bool:
    """A capitalised word that may be someone's name (not a sentence-opening function word)."""
    return (
        bool(_TITLE_WORD.match(word))
        and word not in _NOT_NAMES
        and word not in _SYSTEM_NOUNS
        and not _NOT_NAME_SUFFIX.search(word)
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
    ends = list(_SENTENCE_END.finditer(text, window_start, position))
    if ends:
        window_start = ends[-1].end()
    words = list(_WORD.finditer(text, window_start, position))[-3:]
    for distance, word in enumerate(reversed(words)):
        bare = word.group(0).strip(_TRIM)
        if bare.lower() in _PASSIVE:
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

_FILLER = re.compile(
    r"^(?:(?:the\s+)?root\s+cause\s+(?:was|is)\s+|it\s+was\s+|caused\s+by\s+|due\s+to\s+)?"
    r"(?:(?:a|an|the|simple|just|basic|plain|another)\s+)*"
)
_SUPERFICIAL = frozenset(
    {
        "human error",
        "human mistake",
        "operator error",
        "user error",
        "code bug",
        "bug",
        "bug in the code",
        "bug in code",
        "software bug",
        "coding error",
        "coding mistake",
        "programming error",
        "code error",
        "mistake",
        "error",
        "typo",
        "configuration error",
        "config error",
        "misconfiguration",
        "bad deploy",
        "bad config",
    }
)


def is_superficial(summary: str) -> bool:
    """True when a root-cause summary is only a label such as 'human error' or 'a code bug'."""
    words = re.sub(r"[^\w\s]", " ", summary.lower())
    normal = _FILLER.sub("", " ".join(words.split()))
    return normal in _SUPERFICIAL


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
    if config.level("placeholder") is LintLevel.ERROR:
        problems = [p for p in problems if (p.line, p.field) not in placeholders]
    return problems + lint


def lint_document(
    doc: Document, model: PostMortem | None, config: LintConfig | None = None
) -> list[Problem]:
    """Every lint finding for one document (model rules only when the front matter is valid)."""
    config = config or LintConfig()
    found: list[tuple[str, int, str, str]] = []  # (rule, line, field, message)
    values = _string_list(doc.data, (), [])
    body: str | None = None

    if config.level("placeholder") is not LintLevel.OFF:
        for loc, value in values:
            if "TODO" in value and _PLACEHOLDER.match(value):
                line = doc.line_of(loc)
                shown = " ".join(value.split())
                shown = shown if len(shown) <= 90 else shown[:87] + "..."
                found.append(
                    ("placeholder", line, format_loc(loc), f"fill in the placeholder {shown!r}")
                )
        if "TODO" in doc.body:
            body = prose_body(doc.body)
            line_at = _line_counter(body, doc.body_line)
            for match in _BODY_PLACEHOLDER.finditer(body):
                line = line_at(match.start())
                shown = match.group(0).strip()
                shown = shown if len(shown) <= 90 else shown[:87] + "..."
                found.append(("placeholder", line, "body", f"replace the placeholder {shown!r}"))

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
                found.append(("blame-language", doc.line_of(loc), format_loc(loc), finding.message))
        body = prose_body(doc.body) if body is None else body
        line_at = _line_counter(body, doc.body_line)
        for finding in _blame_in(body, names, allow):
            line = line_at(finding.start)
            found.append(("blame-language", line, "body", finding.message))

    found.extend(_unclosed_markup(doc, config))

    if model is not None:
        found.extend(_analysis_findings(doc, model))

    problems = []
    counts: dict[str, int] = {}
    for rule, line, field_, message in found:
        level = config.level(rule)
        if level is LintLevel.OFF:
            continue
        counts[rule] = counts.get(rule, 0) + 1
        if counts[rule] == MAX_FINDINGS_PER_RULE + 1:
            field_, message = "body", "more findings of this rule are not shown"
        elif counts[rule] > MAX_FINDINGS_PER_RULE:
            continue
        problems.append(
            Problem(
                doc.display_path,
                line,
                field_,
                f"{message} [{rule}]",
                Level.ERROR if level is LintLevel.ERROR else Level.WARNING,
                rule,
            )
        )
    return problems


def _line_counter(text: str, first_line: int) -> Callable[[int], int]:
    """The file line of offsets of `text` asked in increasing order, counted incrementally
    (counting from the start for each of many findings was quadratic)."""
    position, line = 0, first_line

    def line_at(offset: int) -> int:
        nonlocal position, line
        if offset < position:
            position, line = 0, first_line
        line += text.count("\n", position, offset)
        position = offset
        return line

    return line_at


def _unclosed_markup(doc: Document, config: LintConfig) -> Iterator[tuple[str, int, str, str]]:
    """HTML blocks left open in a `##` section (the page closes them where the section ends) and
    a code fence never closed (Markdown then shows it, and every code block after it, as text)."""
    if config.level("unclosed-html") is not LintLevel.OFF and "<" in doc.body:
        for chunk in body_chunks(doc.body):
            if blocks := open_blocks(chunk.text):
                yield (
                    "unclosed-html",
                    doc.body_line + chunk.start + blocks[0].line,
                    "body",
                    f"<{blocks[0].tag}> is not closed before the section ends: add"
                    f" {closing_tags(blocks)}, or the rest of the section shows as HTML source",
                )
    if (line := open_fence_line(doc.body)) is not None:
        opening = doc.body.split("\n")[line].strip()
        marker = opening[: len(opening) - len(opening.lstrip(opening[0]))]
        yield (
            "unclosed-fence",
            doc.body_line + line,
            "body",
            f"the code block opened with {opening!r} is never closed, so it shows as text: end"
            f" it with a line {marker!r}",
        )


def _analysis_findings(doc: Document, pm: PostMortem) -> list[tuple[str, int, str, str]]:
    """Superficial analysis (protocol failure scenario 3) and action items without owner/due."""
    found: list[tuple[str, int, str, str]] = []
    if pm.root_cause is None:
        found.append(
            (
                "no-root-cause",
                doc.line_of(("whys",)),
                "root_cause",
                "no root cause: add root_cause with a category (technical, process, people,"
                " organizational) and a summary",
            )
        )
    elif is_superficial(pm.root_cause.summary):
        found.append(
            (
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
            (
                "few-whys",
                doc.line_of(("whys",)),
                "whys",
                f"{count if pm.whys else 'no Whys'}: ask 'why?' at least three times to get past"
                " the direct cause (5 Whys)",
            )
        )
    if pm.severity in (Severity.SEV1, Severity.SEV2) and not pm.action_items:
        found.append(
            (
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
                (
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
