"""`postmortem import`: existing post-mortems (Markdown, HTML, .docx) turned into files of this
schema, mapping only what the source states and marking the rest unknown."""

from .mapping import Imported, ImportReport, import_text
from .readers import UnsupportedFormat, read_as_markdown

__all__ = ["ImportReport", "Imported", "UnsupportedFormat", "import_text", "read_as_markdown"]
