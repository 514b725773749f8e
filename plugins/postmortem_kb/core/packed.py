"""Text held compressed in memory until it is used (a large site's pages would fill gigabytes).

At 10,000 post-mortems the generated pages are about 600 million characters of Markdown and 465
million of finished HTML; one non-ASCII character (an author's name, a dash) makes Python keep a
whole string at two bytes a character. Packed (UTF-8, then zlib at its fastest level) they take
about a tenth of that, and a page is unpacked only while it is converted or written.
"""

from __future__ import annotations

import zlib

LEVEL = 1
"""zlib's fastest level: about 160 MB/s here, a fifth of the size; higher levels gain little."""


def pack(text: str) -> bytes:
    """`text` compressed. Lossless for any str, lone surrogates included."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), LEVEL)


def unpack(packed: bytes) -> str:
    """The text `pack` was given."""
    return zlib.decompress(packed).decode("utf-8", "surrogatepass")


class Packer:
    """Text packed as it is written (a file-like `write`): what `pack` gives the whole text, so a
    large file (a JSON export) is never held whole as text. `packed()` ends it."""

    _FLUSH = 1 << 16
    """Characters gathered before they are compressed (fewer, larger calls to zlib)."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(LEVEL)
        self._parts: list[bytes] = []
        self._pending: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._pending.append(text)
        self._size += len(text)
        if self._size >= self._FLUSH:
            self._compress()
        return len(text)

    def _compress(self) -> None:
        text = "".join(self._pending)
        self._pending, self._size = [], 0
        self._parts.append(self._zlib.compress(text.encode("utf-8", "surrogatepass")))

    def packed(self) -> bytes:
        """The packed text (`unpack` gives back everything written)."""
        self._compress()
        self._parts.append(self._zlib.flush())
        return b"".join(self._parts)
