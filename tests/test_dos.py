"""CPU denial of service: crafted files of up to 1 MiB validate and render in bounded time.

Each crafted file is checked in a child process (a super-linear scanner would otherwise hold
the suite for minutes): `CorpusLoader` (YAML, schema, lint) and the render layer's work on the
body before Markdown (sections, heading attributes, unclosed HTML) must each take under
BUDGET_SECONDS of CPU (validation: or FLOOR_FACTOR times LibYAML's own load of the file's front
matter, on a machine where that alone takes longer). A property test does the same in-process
for random bodies.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem_kb.core.corpus import CorpusLoader
from postmortem_kb.core.loader import MAX_FILE_BYTES
from postmortem_kb.core.sections import split_body
from postmortem_kb.render.pages import md_text
from postmortem_kb.render.sanitize import fence_sections

BUDGET_SECONDS = 2.0
"""CPU seconds one file's validation (and, apart, its pre-Markdown rendering) may take."""
FLOOR_FACTOR = 3
"""...or this many times LibYAML's own time to load the file's front matter, if more: the same
limit on a slower machine (the benchmark's validate/parse ratio is about 1.5 on real files)."""
SIZE = MAX_FILE_BYTES - 8 * 1024
"""Each crafted file's size: just under the loader's limit once its front matter is added."""

FRONT, _, _ = EXAMPLE.read_text(encoding="utf-8").partition("\n---\n")


def _repeat(piece: str, size: int = SIZE) -> str:
    return piece * (size // len(piece))


def _body(body: str) -> str:
    return f"{FRONT}\n---\n{body}\n"


def _front(entries: str, tail: str) -> str:
    return f"---\n{entries}{tail}\n---\nBody.\n"


CASES: dict[str, Callable[[], str]] = {
    # The examples.
    "3 KB line of backticks": lambda: _body("`" * 3000),
    "1 MiB line of backticks": lambda: _body("`" * SIZE),
    "comment openers without a closer": lambda: _body(_repeat("<!--")),
    "## heading ending in ' #' x 500k": lambda: _body("<b>\n\n## a" + _repeat(" #") + "x"),
    "raw HTML block of unclosed <a ": lambda: _body("<div>\n" + _repeat("<a ")),
    # Variants.
    "unclosed <a with quoted '>'": lambda: _body("<div>\n" + _repeat("<a x='>' ")),
    "unclosed <a b ending in =": lambda: _body("<div>\n" + _repeat("<a b") + "='x\n>"),
    "end tags without >": lambda: _body("<div>\n" + _repeat("</a \n")),
    "declarations without >": lambda: _body("<div>\n" + _repeat("<!x\n")),
    "processing instructions without ?>": lambda: _body("<div>\n" + _repeat("<?x>\n")),
    "CDATA without ]]>": lambda: _body("<div>\n" + _repeat("<![CDATA[>\n")),
    "a long word with a possessive cue": lambda: _body("fault " + _repeat("a.")),
    "blame on every line": lambda: _body(_repeat("Bob forgot the step.\n")),
    "TODO on every line": lambda: _body(_repeat("TODO\n")),
    "front matter: 100k unknown keys": lambda: _front(
        "".join(f"k{i}: v\n" for i in range(SIZE // 10)), ""
    ),
    "front matter: 80k invalid timeline entries": lambda: (
        FRONT.replace("timeline:\n", "timeline:\n" + _repeat("  - at: x\n", SIZE - 4096), 1)
        + "\n---\nx\n"
    ),
    "front matter refused by LibYAML at the end": lambda: _front(
        "".join(f"k{i}: [a]\n" for i in range(20))
        + "".join(f"key{i}: value\n" for i in range(SIZE // 16)),
        "bad: " + "[" * 2000,
    ),
}

_CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_dos import measure
print(json.dumps(measure(Path(sys.argv[1]))))
"""


def measure(path: Path) -> dict[str, float]:
    """CPU seconds to validate the file at `path`, to prepare its body for Markdown, and to
    load its front matter with LibYAML alone (the floor of reading it, on this machine)."""
    import yaml

    text = path.read_text(encoding="utf-8")
    front = text[4:].partition("\n---\n")[0] if text.startswith("---\n") else ""
    started = time.process_time()
    with contextlib.suppress(yaml.YAMLError):
        yaml.load(front, Loader=yaml.CSafeLoader)
    floor = time.process_time() - started
    started = time.process_time()
    corpus = CorpusLoader().load_files([path], path.parent, path.parent)
    validated = time.process_time()
    rendered = validated
    if corpus.incidents:
        fence_sections(split_body(corpus.incidents[0].document.body), md_text)
        rendered = time.process_time()
    return {"validate": validated - started, "render": rendered - validated, "floor": floor}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_crafted_file_is_checked_in_bounded_time(case: str, tmp_path: Path) -> None:
    path = tmp_path / "crafted.md"
    path.write_text(CASES[case](), encoding="utf-8")
    assert path.stat().st_size <= MAX_FILE_BYTES
    script = _CHILD.format(tests=str(Path(__file__).parent))
    try:
        result = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: still running after 30 s")
    assert result.returncode == 0, result.stderr
    seconds = json.loads(result.stdout)
    # A file whose front matter LibYAML itself takes long to read may take a few times that.
    assert seconds["validate"] < max(BUDGET_SECONDS, FLOOR_FACTOR * seconds["floor"]), (
        case,
        seconds,
    )
    assert seconds["render"] < BUDGET_SECONDS, (case, seconds)


PIECES = [
    "`",
    "``",
    "<!--",
    "-->",
    "<a ",
    "<div>",
    "</div>",
    "<a x='>' ",
    "<?",
    "<![CDATA[",
    ">",
    "## ",
    " #",
    "{id=x}",
    "{",
    "}",
    "\n",
    "\n\n",
    "```\n",
    "~~~\n",
    "[",
    "](",
    "*",
    "_",
    "\\",
    "TODO ",
    "human error ",
    "Bob's fault ",
    "forgot ",
    "a.",
    " ",
    "x",
    "é",
]
"""Fragments every scanner of a body looks for, or scans past."""


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    pattern=st.lists(
        st.one_of(
            st.sampled_from(PIECES),
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=4),
        ),
        max_size=12,
    ),
    size=st.integers(min_value=1, max_value=SIZE),
)
def test_random_bodies_validate_and_render_within_the_budget(
    pattern: list[str], size: int, tmp_path: Path
) -> None:
    piece = "".join(pattern) or "x"
    body = (piece * (size // len(piece) + 1))[:size]
    while len(body.encode()) > size:  # sized in bytes: the loader's limit is
        body = body[: len(body) * 3 // 4]
    path = tmp_path / "random.md"
    path.write_text(_body(body), encoding="utf-8")
    seconds = measure(path)
    assert seconds["validate"] < BUDGET_SECONDS, (pattern, size, seconds)
    assert seconds["render"] < BUDGET_SECONDS, (pattern, size, seconds)
