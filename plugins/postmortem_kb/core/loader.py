"""Reading one post-mortem file: front matter split from the Markdown body, YAML loaded safely."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import MAX_REPORTED, Problem

try:  # LibYAML's parser is faster; the pure-Python one gives the same results.
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


_IMPLICIT_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Resolvers = tuple[tuple[str, re.Pattern[str]], ...]
_BY_FIRST_CHARACTER: dict[str, _Resolvers] = {
    first: tuple(resolvers + _IMPLICIT_RESOLVERS.get(None, []))
    for first, resolvers in _IMPLICIT_RESOLVERS.items()
    if first is not None
}
_ANY_FIRST_CHARACTER: _Resolvers = tuple(_IMPLICIT_RESOLVERS.get(None, []))
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class FrontMatterLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that leaves timestamps as text so the schema parses (and reports) them."""

    yaml_implicit_resolvers = _IMPLICIT_RESOLVERS

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        """The tag of an untagged node, as PyYAML's resolver gives it.

        LibYAML calls this for every node; PyYAML's version concatenates two lists of resolvers
        per call. This loader has no path resolvers, so a plain scalar's tag follows from its
        first character's resolvers alone and every other node gets the default tag.
        """
        if kind is yaml.ScalarNode:
            if implicit[0] and value is not None:
                for tag, regexp in _BY_FIRST_CHARACTER.get(value[:1], _ANY_FIRST_CHARACTER):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


MAX_FILE_BYTES = 1024 * 1024
"""A post-mortem is prose plus front matter; logs and dumps belong elsewhere, linked."""
MAX_DEPTH = 32
"""Deepest nesting of lists/mappings in front matter; deeper input could crash LibYAML."""
FRONT_MATTER_FIELD = "front matter"
ALIAS_MESSAGE = "YAML anchors and aliases (&name / *name) are not allowed in front matter"

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """A post-mortem file split into its parsed front matter and its Markdown body."""

    path: Path
    display_path: str
    data: dict[str, Any]
    body: str
    body_line: int
    """1-based line of the file on which the body starts."""
    lines: dict[Path_, int] = field(default_factory=dict)
    """1-based file line of every key and list item in the front matter, by its path."""

    def line_of(self, loc: Path_) -> int:
        """The line of the deepest part of `loc` that exists in the file (1 if none does)."""
        for end in range(len(loc), 0, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1


class LoadError(Exception):
    """A file that cannot be turned into a Document; carries the problems found."""

    def __init__(self, problems: list[Problem], declared_id: str | None = None) -> None:
        super().__init__("; ".join(p.format() for p in problems))
        self.problems = problems
        self.declared_id = declared_id
        """The `id:` line of the front matter, when one is readable without YAML (so a preview
        can put the file's "not built" page where its incident page was)."""


_ID_LINE = re.compile(r"^id:[ \t]*([\"']?)([A-Za-z0-9][A-Za-z0-9_-]{0,63})\1[ \t]*(?:#.*)?$", re.M)


def declared_id(text: str) -> str | None:
    """The id a top-level `id: X` line of the front matter gives, read as text (no YAML)."""
    match = _ID_LINE.search(text)
    return match.group(2) if match else None


def display_path(path: Path, root: Path) -> str:
    """How a file is named in every message and page: relative to `root` in POSIX form, or its
    full path when it is outside `root`."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.md")
"""What a post-mortem's file name may be: ASCII letters, digits, '.', '_' and '-', ending in
`.md` (and folders below the post-mortems folder the same, without `.md`). Such a name is the
same in a URL, a shell, a log line and an HTML attribute."""
_SAFE_FOLDER_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
FILE_FIELD = "file"


def refusal(path: Path, within: Path | None = None) -> str | None:
    """Why `path` is not read as a post-mortem, or None: checked before a byte of it is read.

    Refused: a name outside `SAFE_FILE_NAME`; a symbolic link (its target is neither followed
    nor named); anything but a regular file; and a path below `within` (the post-mortems
    folder) that resolves outside it, through a linked folder.
    """
    folders: list[str] = []
    inside = None
    if within is not None:
        base = os.path.abspath(within)
        absolute = os.path.abspath(path)
        if absolute.startswith(base + os.sep):
            inside = base
            folders = absolute[len(base) + 1 :].split(os.sep)[:-1]
    try:
        status = os.lstat(path)
    except OSError as exc:
        return f"cannot read file: {exc.strerror or 'not found'}"
    if stat.S_ISLNK(status.st_mode):
        return "is a symbolic link; a post-mortem must be a regular file (links are not followed)"
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file"
    if not SAFE_FILE_NAME.fullmatch(path.name) or not all(
        _SAFE_FOLDER_NAME.fullmatch(folder) for folder in folders
    ):
        return (
            "file name not allowed: use only ASCII letters, digits, '.', '_' and '-', ending in"
            " '.md' (rename the file)"
        )
    if inside is not None:
        real_base = os.path.realpath(inside)
        if not os.path.realpath(path).startswith(real_base + os.sep):
            return "resolves outside the post-mortems folder (a linked folder); it is not read"
    return None


def read_document(path: Path, display_path: str, within: Path | None = None) -> Document:
    """Read and split one file; raise LoadError naming file, line and cause when it cannot be.

    The file is first checked (`refusal`), then opened without following a link and read up to
    MAX_FILE_BYTES.
    """
    return parse_document(read_text(path, display_path, within), path, display_path)


def read_text(path: Path, display_path: str, within: Path | None = None) -> str:
    """The text of one file, line breaks made `\\n`; raise LoadError naming file, line and cause
    when it cannot be read: refused (`refusal`, checked before a byte is read), larger than
    MAX_FILE_BYTES (never read further), or not UTF-8."""

    def fail(line: int, message: str) -> LoadError:
        return LoadError([Problem(display_path, line, FILE_FIELD, message)])

    refused = refusal(path, within)
    if refused is not None:
        raise fail(1, refused)
    try:
        raw = _read_bounded(path, MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise fail(1, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        size = max(len(raw), os.lstat(path).st_size)
        message = (
            f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            " (link to logs and dumps instead of pasting them)"
        )
        raise fail(1, message)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save as UTF-8"
        raise fail(line, message) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bounded(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of `path`, opened without following a symbolic link."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(limit)


def parse_document(text: str, path: Path, display_path: str) -> Document:
    """Split `text` into front matter and body and load the front matter."""

    def fail(line: int, message: str) -> LoadError:
        return LoadError([Problem(display_path, line, FRONT_MATTER_FIELD, message)])

    if not text.strip():
        raise fail(1, "file is empty; a post-mortem starts with '---' and YAML front matter")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise fail(1, "no front matter: the file must start with a line '---'")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise fail(1, "front matter is not closed: add a line '---' after the last field")
    yaml_text = "\n".join(lines[1:end])
    try:
        data, key_lines = load_yaml(yaml_text, display_path, first_line=2)
    except LoadError as exc:
        exc.declared_id = declared_id(yaml_text)
        raise
    body = "\n".join(lines[end + 1 :])
    return Document(path, display_path, data, body, end + 2, key_lines)


def load_yaml(
    text: str, display_path: str, first_line: int = 1
) -> tuple[dict[str, Any], dict[Path_, int]]:
    """Load a YAML mapping safely, with the line of every key; raise LoadError on any problem."""

    def fail(line: int, message: str, field_: str = FRONT_MATTER_FIELD) -> LoadError:
        return LoadError([Problem(display_path, line, field_, message)])

    loader = FrontMatterLoader(text)
    tree: _TreeBuilder | None = None
    try:
        checked = _may_be_deep(text)
        if checked:
            _check_depth(text, display_path, first_line)
        try:
            node = loader.get_single_node()
        except yaml.YAMLError:
            if not checked:  # report what the careful check reports first, as it runs first
                _check_depth(text, display_path, first_line)
            raise
        if node is None:
            raise fail(first_line, "front matter is empty")
        if not isinstance(node, yaml.MappingNode):
            raise fail(
                first_line + node.start_mark.line, "front matter must be a mapping of 'key: value'"
            )
        tree = _TreeBuilder(loader, first_line, display_path, text)
        data = tree.build(node, (), first_line)
        if tree.problems:
            raise LoadError(tree.problems)
        if tree.unusual:  # PyYAML's constructor gives the exact value or error
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "end of stream" in str(exc.problem):
            mark = exc.context_mark  # where the unclosed quote or bracket was opened
        line = first_line + mark.line if mark is not None else first_line
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        opened = _runaway_quote(text, mark.line) if mark is not None else None
        if opened is not None:  # the error is where a quote left open finally closed
            reason = (
                f"a quoted value opened on line {first_line + opened} runs on to line {line};"
                f" close its quote ({reason})"
            )
            line = first_line + opened
        if mark is not None and "\t" in _line_at(text, mark.line)[: mark.column + 1]:
            reason += " (a tab: YAML indents with spaces only)"
        raise fail(line, f"YAML error: {reason}") from None
    except yaml.reader.ReaderError as exc:  # control characters
        line = first_line + text[: exc.position].count("\n")
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        message = f"control character U+{ord(character):04X} is not allowed; remove it"
        raise fail(line, message) from None
    except yaml.YAMLError as exc:
        raise fail(first_line, f"YAML error: {exc}") from None
    except RecursionError:
        raise fail(first_line, f"front matter is nested too deeply (limit {MAX_DEPTH})") from None
    except (ValueError, TypeError) as exc:  # constructor edge cases
        raise fail(first_line, f"YAML error: {exc}") from None
    except (KeyError, IndexError, AttributeError):  # PyYAML's own slips, e.g. `!!bool maybe`
        rejected = tree.rejected if tree is not None else None
        line, message = rejected or (first_line, "a tagged value cannot be read")
        raise fail(line, f"YAML error: {message}") from None
    finally:
        loader.dispose()
    assert tree is not None  # set before anything that returns a value
    return data, tree.lines


def _runaway_quote(text: str, error_line: int) -> int | None:
    """The 0-based line of a quoted scalar spanning several lines and ending on `error_line`
    (a quote left open: YAML reads on to the next quote and fails there), else None."""
    last: yaml.ScalarToken | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.line > error_line:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'"):
                last = token
    except yaml.YAMLError:
        pass
    if last is None or last.end_mark.line != error_line:
        return None
    return last.start_mark.line if last.start_mark.line < error_line else None


def _line_at(text: str, index: int) -> str:
    lines = text.split("\n")
    return lines[index] if 0 <= index < len(lines) else ""


# Both patterns start with a line break, which the regex engine finds with a fast search,
# rather than trying every position of the text as `^` with re.MULTILINE does; the unusual
# line breaks are found by substring tests.
_BLOCK_PREFIX = re.compile(r"\n( *(?:[-?:] +)*)")
_DOCUMENT_MARKER = re.compile(r"\n(?:---|\.\.\.)")
_UNUSUAL_BREAKS = ("\t", "\r", "\x85", "\u2028", "\u2029")


def _may_be_deep(text: str) -> bool:
    """False when `text` cannot nest deeper than MAX_DEPTH (see `depth_bound`)."""
    bound = depth_bound(text)
    return bound is None or bound > MAX_DEPTH


def depth_bound(text: str) -> int | None:
    """An upper bound on how deep YAML `text` nests, from counting alone (None: no cheap bound).

    Flow collections each open with '[' or '{', except a pair written as an entry of a flow
    sequence (`[a: b]`, `[? a]`), a mapping of its own: so at most two levels per '['. Block
    collections nest by indentation: a nested block collection starts further right than its
    parent, except a sequence given as a mapping's value, which may start in the mapping's
    column; so a chain of k block collections reaches column (k - 1) // 2 or more, at the start
    of a line or after the compact indicators ('- ', '? ', ': ') that open it on the same line.
    Tabs, other line breaks and document markers get no bound.
    """
    lines = "\n" + text  # every line, the first one included, follows a line break
    if any(character in text for character in _UNUSUAL_BREAKS) or _DOCUMENT_MARKER.search(lines):
        return None
    flow = 2 * text.count("[") + text.count("{")
    column = max(map(len, _BLOCK_PREFIX.findall(lines)))
    return flow + 2 * column + 2


FALLBACK_LIMIT = 64 * 1024
"""Front matter up to this size is parsed again by PyYAML's pure-Python parser when LibYAML
refuses it (about 0.35 s of CPU at most); beyond, only the part LibYAML had not yet reported."""
_FLOW_BRACKET = re.compile(r"[\[\]{}]")


@dataclass
class _Depth:
    """How deep the events counted so far nest, and where the last one ended."""

    depth: int = 0
    end: int = 0


def _check_depth(text: str, display_path: str, first_line: int) -> None:
    """Refuse front matter nested deeper than MAX_DEPTH before LibYAML composes (and recurses).

    LibYAML scans ahead and may refuse the text with its own error before the events of 33
    levels come out (it has a nesting limit of its own). Up to FALLBACK_LIMIT, the pure-Python
    parser, which yields events as it goes, is asked again then: the author gets this limit,
    not the library's. Beyond it (that parser takes seconds over a megabyte), only the text
    LibYAML read ahead is looked at: its flow brackets, on top of the depth already counted.
    """
    counted = _Depth()
    try:
        _count_depth(yaml.parse(text, Loader=FrontMatterLoader), display_path, first_line, counted)
    except yaml.YAMLError as exc:
        if _BaseLoader is yaml.SafeLoader:
            raise
        mark = getattr(exc, "problem_mark", None)
        end = len(text) if mark is None else min(len(text), mark.index + 1)
        if len(text) <= FALLBACK_LIMIT:
            _count_depth(yaml.parse(text, Loader=yaml.SafeLoader), display_path, first_line)
        elif end <= FALLBACK_LIMIT:
            # The prefix ends early, with an error of its own: LibYAML's is the one to report.
            with contextlib.suppress(yaml.YAMLError):
                prefix = yaml.parse(text[:end], Loader=yaml.SafeLoader)
                _count_depth(prefix, display_path, first_line)
        else:
            _check_read_ahead(text, counted, end, display_path, first_line)
        raise


def _check_read_ahead(
    text: str, counted: _Depth, end: int, display_path: str, first_line: int
) -> None:
    """Refuse flow brackets nesting past MAX_DEPTH between the last event and `end`."""
    depth = counted.depth
    for match in _FLOW_BRACKET.finditer(text, counted.end, end):
        depth += 1 if match.group(0) in "[{" else -1
        if depth > MAX_DEPTH:
            line = first_line + text.count("\n", 0, match.start())
            message = f"front matter is nested more than {MAX_DEPTH} levels deep"
            raise LoadError([Problem(display_path, line, FRONT_MATTER_FIELD, message)])


def _count_depth(
    events: Iterator[yaml.Event], display_path: str, first_line: int, counted: _Depth | None = None
) -> None:
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = first_line + (event.start_mark.line if event.start_mark else 0)
                message = f"front matter is nested more than {MAX_DEPTH} levels deep"
                raise LoadError([Problem(display_path, line, FRONT_MATTER_FIELD, message)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if counted is not None:
            counted.depth = depth
            counted.end = event.end_mark.index if event.end_mark is not None else counted.end


class _TreeBuilder:
    """Front matter's value, key lines and key problems, from one walk of its node tree.

    The walk records the line of every key and list item and reports duplicate keys, aliases
    and non-string keys. It builds what PyYAML's SafeConstructor builds from plain mappings,
    sequences and scalars, with no generator and bookkeeping per node; after any other tag, or
    a scalar that constructor rejects, `unusual` is set and PyYAML constructs, or rejects, the
    whole document as before.
    """

    def __init__(self, loader: Any, first_line: int, display_path: str, text: str) -> None:
        self.first_line = first_line
        self.display_path = display_path
        self.lines: dict[Path_, int] = {}
        self.problems: list[Problem] = []
        self.unusual = False
        self.rejected: tuple[int, str] | None = None
        """Line and message of the first scalar PyYAML's constructor cannot build."""
        # An alias needs a '*' in the text: without one no node can be met twice.
        self.seen: set[int] | None = set() if "*" in text else None
        self.aliased = False
        self.scalar_of = {
            "tag:yaml.org,2002:null": loader.construct_yaml_null,
            "tag:yaml.org,2002:bool": loader.construct_yaml_bool,
            _INT: loader.construct_yaml_int,
            "tag:yaml.org,2002:float": loader.construct_yaml_float,
        }

    def build(self, node: yaml.Node, path: Path_, line: int) -> Any:
        """The value of `node`, found at `path` on `line`."""
        seen = self.seen
        if seen is not None:
            if id(node) in seen:
                if not self.aliased:  # one report per file: an alias bomb would flood the log
                    self.aliased = True
                    self.problem(line, path, ALIAS_MESSAGE)
                return None
            seen.add(id(node))
        kind = type(node)
        if kind is yaml.ScalarNode:
            return node.value if node.tag == _STR else self.scalar(node)
        lines = self.lines
        if kind is yaml.MappingNode:
            self.unusual = self.unusual or node.tag != _MAP
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key_line = self.first_line + key_node.start_mark.line
                key_tag = key_node.tag
                if type(key_node) is not yaml.ScalarNode or (key_tag != _STR and key_tag != _INT):
                    self.problem(key_line, path, "keys must be plain names")
                    continue
                key = key_node.value
                key_path = (*path, key)
                first = lines.get(key_path)  # keys are text, list indexes int: no clash
                if first is not None:
                    self.problem(key_line, key_path, f"duplicate key (first given on line {first})")
                    continue
                lines[key_path] = key_line
                value = self.build(value_node, key_path, key_line)
                mapping[key if key_tag == _STR else self.scalar(key_node)] = value
            return mapping
        self.unusual = self.unusual or node.tag != _SEQ
        items = []
        for index, item in enumerate(node.value):
            item_line = self.first_line + item.start_mark.line
            item_path = (*path, index)
            lines[item_path] = item_line
            items.append(self.build(item, item_path, item_line))
        return items

    def scalar(self, node: yaml.Node) -> Any:
        """A null, bool, int or float scalar's value; any other tag is left to PyYAML."""
        make = self.scalar_of.get(node.tag)
        if make is None:
            self.unusual = True
            return None
        try:
            return make(node)
        except Exception:  # PyYAML's constructor raises it again, after what the walk reports
            self.unusual = True
            if self.rejected is None:
                kind = node.tag.rsplit(":", 1)[-1]
                self.rejected = (
                    self.first_line + node.start_mark.line,
                    f"{node.value!r} is not a valid !!{kind}",
                )
            return None

    def problem(self, line: int, path: Path_, message: str) -> None:
        """Report `message` about the field at `path` (the first MAX_REPORTED, then a count)."""
        if len(self.problems) >= MAX_REPORTED:
            if len(self.problems) == MAX_REPORTED:
                more = "more problems with keys are not shown: fix these first"
                self.problems.append(Problem(self.display_path, line, FRONT_MATTER_FIELD, more))
            return
        self.problems.append(
            Problem(self.display_path, line, format_loc(path) or FRONT_MATTER_FIELD, message)
        )


def format_loc(loc: Path_) -> str:
    """Render a field path as authors write it: `action_items[2].due`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
