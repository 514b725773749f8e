"""The JSON Schema of the front matter, generated from the pydantic model for editors and CI."""

from __future__ import annotations

import json
from typing import Any

from ..core.regulations import RegulationRegistry
from ..core.schema import CONTRIBUTING_FACTORS, PRIORITY_ALIASES, UNKNOWN, PostMortem, Priority

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "schema/postmortem.schema.json"
"""Where the repository keeps the generated schema (`postmortem schema -o` writes it)."""

DESCRIPTIONS: dict[str, str] = {
    "id": "Unique id, e.g. INC-2025-014 (letters, digits, '-' and '_').",
    "status": "Lifecycle of the document: draft, in-review, published.",
    "severity": "SEV-1 revenue impact, SEV-2 customer impact, SEV-3 internal, near-miss none;"
    " unknown (drafts and imported records only).",
    "services": "Lowercase-hyphen service names, e.g. checkout-api; or unknown (drafts, imports).",
    "authors": "Names of the authors; or unknown (drafts and imported records only).",
    "started": "When impact began; a timestamp with a UTC offset, e.g. 2025-03-04T14:02:00Z.",
    "detected": "First alert or report; a timestamp with a UTC offset (it may precede 'started':"
    " an alert before the impact); or unknown (drafts and imported records only).",
    "source": "Present on an imported (historical) record: where it came from; values its"
    " source lacks may then stay unknown even when published.",
    "mitigated": "When impact stopped; a timestamp with a UTC offset.",
    "resolved": "When the incident was closed; a timestamp with a UTC offset.",
    "whys": "The 5 Whys: at least three question/answer pairs.",
    "root_cause": "Root cause: a category and a summary deeper than 'human error'.",
    "action_items": "Remediation; every item needs an owner and a due date.",
}


def front_matter_schema(registry: RegulationRegistry | None = None) -> dict[str, Any]:
    """The schema of a post-mortem's front matter, accepting every input form the model accepts.

    pydantic describes the validated shape; the model also takes a bare 0-3 score for a
    contributing factor and priority aliases ('critical', 'high', 'p1'...), added here.
    """
    schema = PostMortem.model_json_schema(mode="validation")
    defs = schema["$defs"]
    factors = defs["ContributingFactors"]["properties"]
    for key, label in CONTRIBUTING_FACTORS.items():
        factors[key] = {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 3},
                {"$ref": "#/$defs/FactorScore"},
            ],
            "default": 0,
            "description": f"{label}: 0 (not a factor) to 3 (primary contributor).",
        }
    aliases = sorted({*PRIORITY_ALIASES, *(p.value for p in Priority)})
    defs["ActionItem"]["properties"]["priority"] = {
        "anyOf": [
            {"$ref": "#/$defs/Priority"},
            {"type": "string", "pattern": f"^\\s*(?:{'|'.join(map(_any_case, aliases))})\\s*$"},
        ],
        "description": "P0 (next business day), P1 (1 week), P2 (1 sprint); or critical, high,"
        " medium, low, immediate, short-term, medium-term, long-term; unknown (drafts, imports).",
    }
    for key in ("services", "authors"):
        listed = schema["properties"][key]
        schema["properties"][key] = {"anyOf": [listed, {"const": UNKNOWN}]}
    codes = list((registry or RegulationRegistry()).codes)
    schema["properties"]["regulations"]["items"]["examples"] = codes
    for key, text in DESCRIPTIONS.items():
        schema["properties"][key]["description"] = text
    return {"$schema": SCHEMA_DIALECT, **schema}


def _any_case(word: str) -> str:
    """A regex matching `word` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else _escape(c) for c in word)


def _escape(char: str) -> str:
    return "\\" + char if char in r"\.^$|?*+()[]{}" else char


def schema_text(registry: RegulationRegistry | None = None) -> str:
    """The schema as the committed file holds it: indented JSON with a final newline."""
    return json.dumps(front_matter_schema(registry), indent=2, ensure_ascii=False) + "\n"
