"""JSON that is safe to serve or embed in HTML: `<`, `>` and `&` written as \\u escapes."""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any, *, indent: int | None = None) -> str:
    """Serialise `data` so no post-mortem text can open a tag or an entity in any context."""
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(data, ensure_ascii=False, indent=indent, separators=separators)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
