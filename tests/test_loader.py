"""The loader: front matter split from the body, YAML loaded safely, every key's line known."""

from __future__ import annotations

from pathlib import Path

import pytest
from postmortem_kb.loader import LoadError, parse_document, read_document


def parse(text: str):
    return parse_document(text, Path("x.md"), "x.md")


def test_splits_front_matter_and_body_with_lines() -> None:
    doc = parse("---\nid: A\nimpact:\n  users_affected: 3\nlist:\n  - a\n  - b\n---\nBody\n")
    assert doc.data["impact"] == {"users_affected": 3}
    assert doc.body.strip() == "Body"
    assert doc.body_line == 9
    assert doc.lines[("id",)] == 2
    assert doc.lines[("impact", "users_affected")] == 4
    assert doc.lines[("list", 1)] == 7
    assert doc.line_of(("impact", "missing_key")) == 3


def test_timestamps_stay_text_for_the_schema() -> None:
    doc = parse("---\nstarted: 2025-03-04T14:02:00Z\nwritten: 2025-03-05\n---\n")
    assert doc.data == {"started": "2025-03-04T14:02:00Z", "written": "2025-03-05"}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "file is empty"),
        ("id: A\n", 1, "no front matter"),
        ("---\nid: A\n", 1, "not closed"),
        ("---\nid: A\nid: B\n---\n", 3, "duplicate key (first given on line 2)"),
        ("---\na: &x [1]\nb: *x\n---\n", 3, "aliases"),
        ("---\nid: !!python/object/apply:os.system [ls]\n---\n", 2, "YAML error"),
        ("---\ntitle: [open\nid: A\n---\n", 3, "YAML error"),
        ("---\n- a\n- b\n---\n", 2, "must be a mapping"),
    ],
)
def test_bad_front_matter_is_reported_with_its_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(LoadError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert problem.line == line
    assert fragment in problem.message
    assert problem.format().startswith(f"x.md:{line}: ")


def test_reads_bom_crlf_and_rejects_non_utf8(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_bytes(b"\xef\xbb\xbf---\r\nid: A\r\n---\r\nBody\r\n")
    assert read_document(good, "good.md").data == {"id": "A"}
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\nid: A\ntitle: caf\xe9\n---\n")
    with pytest.raises(LoadError) as caught:
        read_document(bad, "bad.md")
    assert caught.value.problems[0].format() == (
        "bad.md:3: file: not valid UTF-8 (byte 0xe9); save as UTF-8"
    )
