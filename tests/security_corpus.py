"""Hostile post-mortems for the security tests: one file (or link) per attack class of issue 13.

`write_hostile_corpus` writes them into a project's `postmortems/` folder (plus the files outside
it that its links point at) and returns what each case must lead to. Names with quotes and line
breaks cannot live in git, so every case is generated here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from conftest import EXAMPLE

SECRET = "hunter2-s3cret-value"
"""Text only the files outside the post-mortems folder hold: it must never be printed or shown."""
SECRET_KEY = "aws_secret_access_key"
OUTSIDE = "outside-the-repo"
"""Folder (next to postmortems/) that the links point into; its name must not be printed."""

TOC_BODY = """\
The connection pool was lowered by a routine change.

## Root cause analysis

### Hostile id {id='x"><img src=x onerror="window.__pwned=1">'}

Text under a heading whose id breaks out of an attribute.

### Label {data-toc-label='<img src=x onerror="window.__pwned=2">'}

Text under a heading with a table-of-contents label.

### Escaped \\\\{id='y"><svg onload="window.__pwned=3">'}

Setext heading {id='z" onmouseover="window.__pwned=4" q='}
----------------------------------------------------------

#### Code `{id=kept}` in a heading {#a"onfocus="window.__pwned=5"autofocus="}

## Own section {id='a" onmouseover="window.__pwned=6'}

More text.
"""
"""Class 1: heading ids and labels set through attr_list, each trying to leave the TOC's href."""

SCRIPT_BODY = """\
Summary with <script>window.__pwned=10</script> and <img src=x onerror="window.__pwned=11">.

<svg onload="window.__pwned=12"><circle r=1 /></svg>

[a link](javascript:window.__pwned=13) and [ref][r]
and <a href="jaVa&#x09;script:window.__pwned=14">x</a>

[r]: javascript:window.__pwned=15

<iframe srcdoc="<script>parent.__pwned=16</script>"></iframe>

<details open ontoggle="window.__pwned=17"><summary>s</summary>x</details>

<div style="background:url(javascript:window.__pwned=18)">styled</div>

![img](x){onerror="window.__pwned=19"}

<textarea></textarea><script>window.__pwned=20</script>

A [link](a%0A::error::from-a-link%0D.md) and an ![image](b%0A::add-mask::from-an-image.png)
whose targets MkDocs reports unquoted.

## Lessons learned

- <img src=x onerror=alert(21)> and `<img src=x onerror=alert(22)>`
"""
"""Script in every form a body can hold: the sanitiser must leave none of it live."""
SCRIPT_FRONT = """\
title: "<img src=x onerror=window.__pwned=30> \\" onmouseover=\\"window.__pwned=31"
summary: "</script><script>window.__pwned=32</script>"
lessons_learned: ["<svg onload=window.__pwned=33>", "{{ 7*7 }} {% raw %}"]
"""

LOG_KEY = "x\\n::error file=pwn.md::injected\\r\\n::add-mask::masked\\e[31m"
"""Class 5: a front-matter key (YAML double-quoted) holding line breaks, commands and an ESC."""


@dataclass
class Hostile:
    """What the hostile corpus holds and what each case must lead to."""

    valid_ids: list[str] = field(default_factory=list)
    """Ids whose pages must be built (hostile bodies, safe names)."""
    failing: dict[str, str] = field(default_factory=dict)
    """Display path (relative to the project) -> a word its error must contain (no page)."""
    unpublished_ids: list[str] = field(default_factory=list)
    """Ids of valid post-mortems reachable only through links: never built."""


def post_mortem(incident_id: str, body: str | None = None, extra_front: str = "") -> str:
    """The valid example with another id, optionally another body and extra front matter."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("id: INC-2025-007", f"id: {incident_id}", 1)
    head, _, rest = text.partition("\n---\n")
    return f"{head}\n{extra_front}---\n{rest if body is None else body}"


def write_hostile_corpus(project: Path) -> Hostile:
    """Write every case into `project/postmortems/` (and the link targets beside it)."""
    folder = project / "postmortems"
    outside = project / OUTSIDE
    outside.mkdir()
    hostile = Hostile()

    # 1. Heading ids and TOC labels from attr_list.
    (folder / "SEC-2025-001.md").write_text(post_mortem("SEC-2025-001", TOC_BODY))
    hostile.valid_ids.append("SEC-2025-001")

    # Script in a body and in front-matter text (every rendered field).
    script = post_mortem("SEC-2025-007", SCRIPT_BODY)
    script = re.sub(r"(?m)^(title|summary|lessons_learned):.*\n(?:  .*\n)*", "", script)
    (folder / "SEC-2025-007.md").write_text(script.replace("---\n", "---\n" + SCRIPT_FRONT, 1))
    hostile.valid_ids.append("SEC-2025-007")

    # 2. File names that would break out of the edit link, or are not plain names.
    for name in (
        'quote" onmouseover="window.__pwned=7" x=".md',
        "space in name.md",
        "line\n::warning::from-a-file-name.md",
        "caf\u00e9.md",
    ):
        (folder / name).write_text(post_mortem(f"SEC-2025-{100 + len(hostile.failing)}"))
        hostile.failing[f"postmortems/{name}"] = "name"

    # 4. Links: to a secret outside, to a valid post-mortem outside, and a linked folder.
    (outside / "secret.md").write_text(f"---\n{SECRET_KEY}: {SECRET}\n---\n{SECRET}\n")
    (outside / "SEC-2025-004.md").write_text(post_mortem("SEC-2025-004"))
    (outside / "nested").mkdir()
    (outside / "nested" / "SEC-2025-005.md").write_text(post_mortem("SEC-2025-005"))
    os.symlink(outside / "secret.md", folder / "leak.md")
    os.symlink(os.path.relpath(outside / "SEC-2025-004.md", folder), folder / "SEC-2025-004.md")
    os.symlink(outside / "nested", folder / "linked")
    os.symlink("/etc/passwd", folder / "passwd.md")
    hostile.failing.update(
        {
            "postmortems/leak.md": "link",
            "postmortems/SEC-2025-004.md": "link",
            "postmortems/linked": "link",
            "postmortems/passwd.md": "link",
        }
    )
    hostile.unpublished_ids += ["SEC-2025-004", "SEC-2025-005"]

    # 5. A key with line breaks, workflow commands and an escape character.
    (folder / "SEC-2025-006.md").write_text(
        post_mortem("SEC-2025-006", extra_front=f'"{LOG_KEY}": 1\n')
    )
    hostile.failing["postmortems/SEC-2025-006.md"] = "unknown field"
    return hostile


def command_lines(log: str) -> list[str]:
    """Lines of a log that GitHub Actions would run as workflow commands (`::name ...::`)."""
    return [line for line in log.splitlines() if line.lstrip().startswith("::")]
