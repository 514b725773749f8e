"""The exported JSON Schema: up to date, and every example post-mortem validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLE, EXAMPLES, ROOT
from postmortem_kb.cli.json_schema import SCHEMA_FILE, schema_text
from postmortem_kb.core.corpus import discover
from postmortem_kb.core.loader import read_document

COMMITTED = ROOT / SCHEMA_FILE


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def front_matter(path: Path) -> dict[str, object]:
    """Loaded the way the project loads it (timestamps stay strings)."""
    return read_document(path, path.name).data


def test_committed_schema_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: postmortem schema -o schema/postmortem.schema.json"
    )


@pytest.mark.parametrize("path", [*sorted(discover(EXAMPLES)), EXAMPLE], ids=lambda p: Path(p).name)
def test_every_example_validates_against_the_schema(path: Path) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(front_matter(path))
    ]
    assert errors == []


def test_the_schema_rejects_what_the_model_rejects() -> None:
    data = front_matter(EXAMPLE)
    check = validator()
    assert check.is_valid(data)
    for broken in (
        {**data, "severity": "SEV-9"},
        {**data, "sla_breachd": True},
        {**data, "services": ["Checkout API"]},
        {k: v for k, v in data.items() if k != "started"},
        {**data, "contributing_factors": {"monitoring": 4}},
        {**data, "action_items": [{**data["action_items"][0], "priority": "urgent"}]},  # type: ignore[index]
    ):
        assert not check.is_valid(broken)
    # What the model accepts besides the canonical forms: bare factor scores, priority aliases.
    assert check.is_valid(
        {**data, "contributing_factors": {"testing": 2, "capacity": {"score": 1}}}
    )
    item = {**data["action_items"][0], "priority": "Short-Term"}  # type: ignore[index]
    assert check.is_valid({**data, "action_items": [item]})
