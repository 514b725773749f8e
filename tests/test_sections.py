"""How a body splits into its `##` sections, fenced code respected."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.sections import body_chunks, open_fence_line, split_body

LINES = ["## Impact", "## Lessons learned ##", "```", "````py", "~~~", "  ```", "    ```", "text"]
LINES += ["", "### Sub", "##nospace", " ## indented", "<div>"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=20), st.sampled_from(["", "\n"]))
def test_chunks_are_the_body_between_its_headings(lines: list[str], end: str) -> None:
    body = "\n".join(lines) + end
    rows = body.split("\n")
    chunks = list(body_chunks(body))
    assert chunks[0].heading is None and chunks[0].start == 0
    for chunk in chunks:
        count = len(chunk.text.split("\n"))
        if chunk.text:  # (an empty text may be no line at all)
            assert "\n".join(rows[chunk.start : chunk.start + count]) == chunk.text
        if chunk.heading is not None:
            assert rows[chunk.start - 1].startswith(f"## {chunk.heading}")
    # Between two headings, every line is in the chunk.
    for chunk, following in itertools.pairwise(chunks):
        assert chunk.start + len(chunk.text.split("\n")) >= following.start - 1


def test_headings_in_fenced_code_do_not_split() -> None:
    body = (
        "Intro\n\n````md\n## Not a section\n```\nstill code\n````\n\n## Impact assessment\n\nBig."
    )
    chunks = list(body_chunks(body))
    assert [(c.heading, c.start) for c in chunks] == [(None, 0), ("Impact assessment", 9)]
    assert "## Not a section" in chunks[0].text
    assert split_body(body).narrative["impact"] == "Big."
    assert open_fence_line(body) is None


def test_a_fence_never_closed_runs_to_the_end() -> None:
    body = "Intro\n\n```\nlog\n\n## Impact\n"
    assert open_fence_line(body) == 2
    assert [c.heading for c in body_chunks(body)] == [None]
