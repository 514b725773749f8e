"""JSON that is safe to serve or embed in HTML: `<`, `>` and `&` written as \\u escapes."""

from __future__ import annotations

import json
from typing import Any, Protocol


class Writer(Protocol):
    def write(self, text: str, /) -> int: ...


def dumps(data: Any, *, indent: int | None = None) -> str:
    """Serialise `data` so no post-mortem text can open a tag or an entity in any context."""
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(data, ensure_ascii=False, indent=indent, separators=separators)
    return _safe(text)


def dump(data: Any, out: Writer, *, indent: int | None = None) -> None:
    """`dumps(data)` written to `out` a piece at a time (never held whole: a large export)."""
    separators = (",", ": ") if indent is not None else (",", ":")
    encoder = json.JSONEncoder(ensure_ascii=False, indent=indent, separators=separators)
    pieces: list[str] = []
    size = 0
    for piece in encoder.iterencode(data):
        pieces.append(piece)
        size += len(piece)
        if size >= _BATCH:
            out.write(_safe("".join(pieces)))
            pieces, size = [], 0
    out.write(_safe("".join(pieces)))


_BATCH = 1 << 16
"""Characters of JSON made safe and written at a time."""


def _safe(text: str) -> str:
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
