"""Every rule a post-mortem is held to, per file and across files, reported as Problems."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from .followup import FollowUp, approval_problem
from .loader import Document, Path_, format_loc
from .problems import MAX_REPORTED, Problem
from .regulations import RegulationRegistry
from .schema import (
    ActionStatus,
    DetectionMethod,
    PostMortem,
    Priority,
    Severity,
    Status,
    id_key,
)

_INTERNAL_LOC = re.compile(r"^(function-(after|before|wrap|plain)|[a-z]+(-[a-z]+)*)\[.*\]$")
_FRIENDLY: dict[str, str] = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "timezone_aware": "timestamp needs a UTC offset, e.g. 2025-03-03T14:02:00Z or +01:00",
    "model_type": "expected a mapping of 'key: value' fields here",
}
_PATTERN_HINTS: dict[str, str] = {
    "services": "service names are lowercase letters, digits and hyphens, e.g. checkout-api",
    "id": "ids are letters, digits, '-' and '_' (at most 64, no spaces or '/'), e.g. INC-2025-014",
    "related": "incident ids are letters, digits, '-' and '_', e.g. INC-2025-014",
    "recurrence_of": "incident ids are letters, digits, '-' and '_', e.g. INC-2025-014",
    "currency": "currency is an ISO 4217 code, e.g. USD or EUR",
}


def validate_document(
    doc: Document, registry: RegulationRegistry | None = None, follow_up: FollowUp | None = None
) -> tuple[PostMortem | None, list[Problem]]:
    """Validate one loaded document; return the model (None if invalid) and every problem.

    A post-mortem that breaks only the approval rule (`follow_up.approval`) keeps its model: it
    is an error that fails validation and a strict build, yet its page is built (and shows that
    it is not approved).
    """
    context = {"regulations": registry or RegulationRegistry()}
    # Rules that need only the raw front matter run whatever else fails: one pass reports all.
    raw = [
        Problem(doc.display_path, doc.line_of(loc), format_loc(loc), message)
        for loc, message in duplicate_action_ids(doc.data.get("action_items"))
    ]
    try:
        model = PostMortem.model_validate(doc.data, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = sorted(_schema_problems(doc, errors[:MAX_REPORTED]) + raw)
        if len(errors) > MAX_REPORTED:
            more = f"{len(errors) - MAX_REPORTED} more problems not shown: fix these first"
            problems.append(Problem(doc.display_path, problems[-1].line, "front matter", more))
        return None, problems
    problems = raw + [
        Problem(doc.display_path, doc.line_of(loc), format_loc(loc), message)
        for loc, message in consistency_problems(model)
    ]
    if problems:
        return None, sorted(problems)
    broken = approval_problem(model, follow_up) if follow_up is not None else None
    if broken is not None:
        name, message = broken
        line = doc.line_of((name,)) if model.approved_by else doc.line_of(("status",))
        problems.append(Problem(doc.display_path, line, name, message, rule="approval"))
    return model, problems


def duplicate_action_ids(items: object) -> list[tuple[Path_, str]]:
    """Action items (raw front matter) whose `id` an earlier item already uses."""
    found: list[tuple[Path_, str]] = []
    seen_ids: dict[str, int] = {}
    for index, item in enumerate(items if isinstance(items, list) else []):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str | int):
            continue
        if str(item_id) in seen_ids:
            found.append(
                (
                    ("action_items", index, "id"),
                    f"action item id {str(item_id)!r} is already used by action_items"
                    f"[{seen_ids[str(item_id)]}]",
                )
            )
        seen_ids.setdefault(str(item_id), index)
    return found


def _schema_problems(doc: Document, errors: Sequence[Any]) -> list[Problem]:
    """pydantic's errors as Problems; a misspelt key is one problem, not two: its "unknown
    field; did you mean 'summary'?" stands for the "required field is missing" of `summary`."""
    problems = [_problem_from_error(doc, error) for error in errors]
    meant = set()
    for problem in problems:
        match = _DID_YOU_MEAN.search(problem.message)
        if match and problem.message.startswith("unknown field"):
            parent = problem.field.rpartition(".")[0]
            meant.add(f"{parent}.{match.group(1)}" if parent else match.group(1))
    return [p for p in problems if not (p.field in meant and p.message == _FRIENDLY["missing"])]


_DID_YOU_MEAN = re.compile(r"did you mean '([^']*)'\?$")


def consistency_problems(pm: PostMortem) -> list[tuple[Path_, str]]:
    """Rules that span fields of one post-mortem: timestamp order, dates, action-item state."""
    found: list[tuple[Path_, str]] = unknown_problems(pm)
    # Detection may precede the start of impact (an alert that fired first): not an error.
    detected = pm.detected
    if pm.mitigated is not None and detected is not None and pm.mitigated < detected:
        found.append((("mitigated",), "mitigated before the incident was detected"))
    if pm.resolved is not None:
        if detected is not None and pm.resolved < detected:
            found.append((("resolved",), "resolved before the incident was detected"))
        elif pm.mitigated is not None and pm.resolved < pm.mitigated:
            found.append((("resolved",), "resolved before the incident was mitigated"))
    if pm.resolved is not None and pm.resolved < pm.started:
        found.append((("resolved",), "resolved before the incident started"))
    if pm.status is Status.PUBLISHED and pm.published is None and not pm.historical:
        found.append((("published",), "status is 'published' but no 'published' date is given"))
    if pm.published is not None and pm.written is not None and pm.published < pm.written:
        found.append((("published",), "published before it was written"))
    if pm.written is not None and pm.written < pm.started.date():
        found.append((("written",), "written before the incident started"))
    if pm.id in pm.related:
        index = pm.related.index(pm.id)
        found.append((("related", index), "an incident cannot be related to itself"))
    if pm.recurrence_of == pm.id:
        found.append((("recurrence_of",), "an incident cannot be a recurrence of itself"))
    found.extend(_notification_problems(pm))
    for index, approval in enumerate(pm.approved_by):
        if pm.written is not None and approval.date < pm.written:
            found.append((("approved_by", index, "date"), "approved before it was written"))
    for index, item in enumerate(pm.action_items):
        if item.status is ActionStatus.DONE and item.completed is None and not pm.historical:
            found.append(
                (("action_items", index, "status"), "status is 'done' but no 'completed' date")
            )
        if item.completed is not None and item.status is not ActionStatus.DONE:
            found.append(
                (
                    ("action_items", index, "completed"),
                    f"'completed' is set but status is '{item.status.value}', not 'done'",
                )
            )
    return found


def unknown_fields(pm: PostMortem) -> list[Path_]:
    """The fields of a post-mortem its authors (or its source) left unknown, in schema order."""
    found: list[Path_] = []
    if not pm.authors:
        found.append(("authors",))
    if pm.written is None:
        found.append(("written",))
    if pm.severity is Severity.UNKNOWN:
        found.append(("severity",))
    if not pm.services:
        found.append(("services",))
    if pm.detected is None:
        found.append(("detected",))
    if pm.detection is DetectionMethod.UNKNOWN:
        found.append(("detection",))
    for index, item in enumerate(pm.action_items):
        if item.priority is Priority.UNKNOWN:
            found.append(("action_items", index, "priority"))
        if item.status is ActionStatus.UNKNOWN:
            found.append(("action_items", index, "status"))
    return found


def unknown_problems(pm: PostMortem) -> list[tuple[Path_, str]]:
    """A published post-mortem that is not historical must know every field: `unknown` (or an
    omitted value) is for drafts, reviews and imported records (`source:`)."""
    if pm.status is not Status.PUBLISHED or pm.historical:
        return []
    return [
        (
            loc,
            "unknown in a published post-mortem: give the value (unknown is allowed in drafts"
            " and in imported records with a 'source')",
        )
        for loc in unknown_fields(pm)
    ]


def _notification_problems(pm: PostMortem) -> list[tuple[Path_, str]]:
    """A notification names a cited regulation, once, and says when it was made or why not."""
    found: list[tuple[Path_, str]] = []
    seen: set[str] = set()
    for index, notification in enumerate(pm.notifications):
        code = notification.regulation
        if code not in pm.regulations:
            found.append(
                (("notifications", index, "regulation"), f"{code!r} is not in 'regulations'")
            )
        if code in seen:
            found.append((("notifications", index, "regulation"), f"{code!r} is listed twice"))
        seen.add(code)
        if notification.required and notification.notified is None:
            found.append(
                (
                    ("notifications", index),
                    "give 'notified' (when notice was given) or 'required: false'",
                )
            )
        if (
            notification.notified is not None
            and pm.detected is not None
            and notification.notified < pm.detected
        ):
            found.append(
                (("notifications", index, "notified"), "notified before the incident was detected")
            )
    return found


class Located(typing.Protocol):
    """What cross-file checks need of a validated post-mortem."""

    @property
    def model(self) -> PostMortem: ...

    @property
    def document(self) -> Document: ...


def corpus_problems(
    records: Sequence[Located], invalid: Mapping[str, str] | None = None
) -> tuple[list[Problem], set[int]]:
    """Cross-file rules: duplicate ids, and links to incidents that do not exist.

    `invalid` maps the `id_key` of the id of each file that failed validation to its display path,
    so a link to it names that file. Returns the problems and the indexes of records that must
    be dropped (duplicates).
    """
    invalid = invalid or {}
    problems: list[Problem] = []
    dropped: set[int] = set()
    first_by_id: dict[str, Located] = {}
    for index, record in enumerate(records):
        key = id_key(record.model.id)
        first = first_by_id.get(key)
        if first is not None:
            problems.append(
                Problem(
                    record.document.display_path,
                    record.document.line_of(("id",)),
                    "id",
                    f"duplicate id {record.model.id!r}: already used by"
                    f" {first.document.display_path}",
                )
            )
            dropped.add(index)
        else:
            first_by_id[key] = record
    for index, record in enumerate(records):
        if index in dropped:
            continue
        links: list[tuple[Path_, str]] = [
            (("related", i), rid) for i, rid in enumerate(record.model.related)
        ]
        if record.model.recurrence_of is not None:
            links.append((("recurrence_of",), record.model.recurrence_of))
        for loc, target in links:
            if id_key(target) in first_by_id:
                continue
            broken = invalid.get(id_key(target))
            if broken is not None:
                message = f"{target!r} is {broken}, which has errors: fix them to link it"
            else:
                message = f"no post-mortem has id {target!r}" + _suggest(
                    target, [r.model.id for r in first_by_id.values()]
                )
            problems.append(
                Problem(
                    record.document.display_path,
                    record.document.line_of(loc),
                    format_loc(loc),
                    message,
                )
            )
    return problems, dropped


def _suggest(
    word: str, choices: Iterable[str], shown: Sequence[str] | None = None, cutoff: float = 0.75
) -> str:
    """ "; did you mean 'X'?" for the choice closest to `word`; `shown[i]` is printed for
    `choices[i]` when given (e.g. 'SEV-2' for the squashed 'sev2')."""
    choices = list(choices)
    by_lower = {c.lower(): (shown[i] if shown else c) for i, c in enumerate(choices)}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return f"; did you mean {by_lower[match[0]]!r}?" if match else ""


def _squash(value: str) -> str:
    """A value compared for "did you mean": lower case, without '-', '_' and spaces."""
    return re.sub(r"[-_\s]", "", value.lower())


def _problem_from_error(doc: Document, error: Any) -> Problem:
    loc: Path_ = tuple(part for part in error["loc"] if isinstance(part, str | int))
    kind: str = error["type"]
    message = _FRIENDLY.get(kind, error["msg"])
    # pydantic appends the failing union member or validator name; keep the author's view.
    loc = _strip_internal(loc)
    if kind == "extra_forbidden" and loc and isinstance(loc[-1], str):
        allowed = _allowed_keys(loc[:-1])
        message = f"unknown field{_suggest(loc[-1], allowed)}"
    elif kind == "string_pattern_mismatch":
        top = next((part for part in loc if isinstance(part, str)), "")
        field_name = str(loc[-1]) if isinstance(loc[-1], str) else top
        message = _PATTERN_HINTS.get(field_name, _PATTERN_HINTS.get(top, message))
    elif kind == "model_type" and loc[:1] == ("contributing_factors",):
        message = "a factor is a score 0-3 or a mapping {score: 0-3, notes: text}"
    elif kind.startswith("value_error"):
        message = str(error["msg"]).removeprefix("Value error, ")
    elif kind in ("enum", "literal_error") and isinstance(error.get("input"), str):
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        # 0.8: 'sev2' -> 'SEV-2' and 'mitigaton' -> 'mitigation', but not 'SEV-0' -> 'SEV-3'
        squashed = [_squash(e) for e in expected]
        message += _suggest(_squash(error["input"]), squashed, expected, cutoff=0.8)
    value = error.get("input")
    if kind not in ("missing", "extra_forbidden", "value_error") and isinstance(
        value, str | int | float
    ):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        message = f"{message} (got {shown})"
    return Problem(doc.display_path, doc.line_of(loc), format_loc(loc) or "front matter", message)


def _strip_internal(loc: Path_) -> Path_:
    """Drop pydantic's internal loc parts (function-after[...], union tags) from a path."""
    return tuple(p for p in loc if not (isinstance(p, str) and _INTERNAL_LOC.match(p)))


def _allowed_keys(parent: Path_) -> list[str]:
    model: Any = PostMortem
    for part in parent:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
    return list(model.model_fields) if _is_model(model) else []


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _model_in(annotation: Any) -> Any:
    """The BaseModel a (possibly Optional / list / Annotated) annotation holds, if any."""
    if _is_model(annotation):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
