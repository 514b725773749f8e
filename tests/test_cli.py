"""The `postmortem` command run as a real subprocess: output, formats and exit statuses."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, REFERENCE_EPOCH, ROOT, build_site

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SOURCE_DATE_EPOCH": REFERENCE_EPOCH,
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "postmortem_kb.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def write(project: Path, name: str, text: str) -> Path:
    path = project / "postmortems" / name
    path.write_text(text, encoding="utf-8")
    return path


BAD = (
    EXAMPLE.read_text(encoding="utf-8")
    .replace("severity: SEV-1", "severity: SEV-9")
    .replace("onboarding: true", "onbaording: true")
)
"""Two schema errors: an unknown severity and a misspelt key."""
BLAMING = (
    EXAMPLE.read_text(encoding="utf-8")
    .replace("id: INC-2025-007", "id: INC-2025-008")
    .replace("Burn-rate alert fired within 7 minutes.", "It was human error, plain and simple.")
    .replace("status: published", "status: in-review")
)
"""Valid, with one lint warning (blame language is a warning until published)."""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


SEVERITY_LINE = line_of(BAD, "severity: SEV-9")
TYPO_LINE = line_of(BAD, "onbaording")
BLAME_LINE = line_of(BLAMING, "human error")


def test_clean_folder_exits_0_and_prints_nothing(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "INC-2025-007.md")
    result = run(project, "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == "1 post-mortem file checked: 0 errors, 0 warnings"


def test_text_output_has_every_problem_as_the_build_logs_it(project: Path) -> None:
    write(project, "INC-2025-007.md", BAD)
    write(project, "INC-2025-008.md", BLAMING)
    result = run(project, "validate")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert not ANSI.search(result.stdout)  # not a terminal
    assert lines[1].startswith(
        f"postmortems/INC-2025-007.md:{SEVERITY_LINE}: error: severity: Input should be"
    )
    assert lines[0] == (
        f"postmortems/INC-2025-007.md:{TYPO_LINE}: error: onbaording: unknown field; did you mean"
        " 'onboarding'?"
    )
    assert lines[2].startswith(
        f"postmortems/INC-2025-008.md:{BLAME_LINE}: warning: went_well[0]: blaming language"
        " 'human error'"
    )
    assert "2 post-mortem files checked: 2 errors, 1 warning" in result.stderr

    # The build reports the very same problems: one code path, identical messages.
    build = build_site(project, strict=False)
    logged = [
        re.sub(r"^(?:WARNING|INFO)\s+-\s+", "", line)
        for line in build.log.splitlines()
        if "postmortems/INC-2025-00" in line
    ]
    cli = [re.sub(r": (?:error|warning): ", ": ", line, count=1) for line in lines]
    assert sorted(cli) == sorted(logged)
    assert any(line.startswith("INFO") and "human error" in line for line in build.log.splitlines())


def test_warnings_pass_unless_strict(project: Path) -> None:
    write(project, "INC-2025-008.md", BLAMING)
    assert run(project, "validate").returncode == 0
    strict = run(project, "validate", "--strict")
    assert strict.returncode == 1
    assert "blaming language" in strict.stdout


def test_github_format_annotates_file_and_line(project: Path) -> None:
    write(project, "INC-2025-007.md", BAD)
    write(project, "INC-2025-008.md", BLAMING)
    result = run(project, "validate", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"::error file=postmortems/INC-2025-007.md,line={TYPO_LINE},title=postmortem-kb (schema)"
        "::onbaording: unknown field; did you mean 'onboarding'?"
    )
    assert lines[2].startswith(
        f"::warning file=postmortems/INC-2025-008.md,line={BLAME_LINE},"
        "title=postmortem-kb (blame-language)::went_well[0]: blaming language"
    )


def test_github_format_escapes_properties(project: Path) -> None:
    odd = project / "postmortems" / "a,b:c.md"
    odd.write_text("no front matter\n", encoding="utf-8")
    result = run(project, "validate", "--format", "github")
    assert result.stdout.startswith("::error file=postmortems/a%2Cb%3Ac.md,line=1,")


def test_json_format(project: Path) -> None:
    write(project, "INC-2025-007.md", BAD)
    write(project, "INC-2025-008.md", BLAMING)
    result = run(project, "validate", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["summary"] == {"files": 2, "errors": 2, "warnings": 1}
    assert [(p["path"], p["line"], p["level"], p["rule"]) for p in data["problems"]] == [
        ("postmortems/INC-2025-007.md", TYPO_LINE, "error", "schema"),
        ("postmortems/INC-2025-007.md", SEVERITY_LINE, "error", "schema"),
        ("postmortems/INC-2025-008.md", BLAME_LINE, "warning", "blame-language"),
    ]
    assert data["problems"][0]["field"] == "onbaording"


def test_single_file_is_checked_against_the_whole_folder(project: Path) -> None:
    write(project, "INC-2025-007.md", EXAMPLE.read_text(encoding="utf-8"))
    related = BLAMING.replace("It was human error, plain and simple.", "Alert fired.").replace(
        "recurrence_prevention:", "related: [INC-2025-007]\nrecurrence_prevention:"
    )
    target = write(project, "INC-2025-008.md", related)
    result = run(project, "validate", str(target.relative_to(project)))
    assert result.returncode == 0, result.stdout
    assert "1 post-mortem file checked" in result.stderr
    broken = write(project, "INC-2025-008.md", related.replace("[INC-2025-007]", "[INC-2025-070]"))
    result = run(project, "validate", str(broken))
    assert result.returncode == 1
    assert "related[0]: no post-mortem has id 'INC-2025-070'" in result.stdout


def test_colour_on_a_terminal_unless_no_color(project: Path) -> None:
    write(project, "INC-2025-007.md", BAD)

    def on_tty(env: dict[str, str]) -> str:
        master, slave = pty.openpty()
        environment = {"PATH": os.environ.get("PATH", ""), **env}
        process = subprocess.Popen(
            [sys.executable, "-m", "postmortem_kb.cli.main", "validate"],
            cwd=project,
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        os.close(slave)
        output = _read_all(master, process)
        os.close(master)
        assert process.wait(timeout=60) == 1
        return output

    assert ANSI.search(on_tty({}))
    assert not ANSI.search(on_tty({"NO_COLOR": "1"}))
    forced = run(project, "validate", "--color", "always")
    assert "\x1b[1;31merror\x1b[0m" in forced.stdout


def _read_all(master: int, process: subprocess.Popen[bytes]) -> str:
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "postmortems/missing.md"], "postmortems/missing.md: no such file or folder"),
        (["validate", "--format", "xml"], "invalid choice: 'xml'"),
        (["-f", "nope.yml", "validate"], "nope.yml: no such file"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(project: Path, args: list[str], message: str) -> None:
    result = run(project, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_lint_options_come_from_mkdocs_yml(project: Path) -> None:
    write(project, "INC-2025-008.md", BLAMING)
    config = project / "mkdocs.yml"
    original = config.read_text(encoding="utf-8")
    marker = "      postmortems_dir: postmortems\n"
    assert marker in original
    config.write_text(
        original.replace(
            marker, marker + "      lint:\n        rules:\n          blame-language: error\n"
        ),
        encoding="utf-8",
    )
    result = run(project, "validate")
    assert result.returncode == 1
    assert ": error: went_well[0]: blaming language" in result.stdout
    config.write_text(
        original.replace(
            marker, marker + "      lint:\n        rules:\n          blame-language: loud\n"
        ),
        encoding="utf-8",
    )
    result = run(project, "validate")
    assert result.returncode == 2
    assert (
        "postmortem: error: mkdocs.yml: plugins.postmortem-kb.lint.rules.blame-language:"
        " must be off, warning or error (got 'loud')"
    ) in result.stderr.splitlines()


# --- new --------------------------------------------------------------------------------------

FILLED = {
    "summary": "Search returned no results for 40 minutes after an index alias pointed at an"
    " empty index.",
    "started": "2025-11-20T09:14:00Z",
    "detected": "2025-11-20T09:20:00Z",
    "mitigated": "2025-11-20T09:50:00Z",
    "resolved": "2025-11-20T10:05:00Z",
    "detection": "monitoring",
    "description": "Every search on the storefront returned an empty page.",
    "at": "2025-11-20T09:14:00Z",
    "event": "The nightly reindex swaps the alias to an empty index.",
    "question": "Why did the alias point at an empty index?",
    "answer": "The reindex job swapped the alias without checking the document count.",
    "category": "process",
    "action": "Check the document count before swapping the alias.",
    "owner": "team-search",
    "due": "2025-12-05",
    "priority": "P1",
    "success_criteria": "A reindex that produced no documents never swaps the alias.",
}


def fill_in(text: str) -> str:
    """Replace every placeholder the way an author would."""
    lines = []
    for line in text.split("\n"):
        match = re.match(r'^(\s*(?:- )?)(\w+): "TODO', line)
        if match:
            key = match.group(2)
            value = FILLED.get(key, "A sentence that says what happened.")
            line = f"{match.group(1)}{key}: {json.dumps(value)}"
        elif re.match(r'^(\s*)- "TODO', line):
            line = re.sub(r'"TODO.*"$', '"Alerting caught it within six minutes."', line)
        elif line.startswith("authors:"):
            line = 'authors: ["Ana Silva"]'
        elif line.startswith("services:"):
            line = "services: [search-api]"
        elif line.startswith("TODO"):
            line = "The storefront search went blank while the index was rebuilt."
        lines.append(line)
    return "\n".join(lines)


def test_new_fails_validation_until_filled_then_passes(project: Path) -> None:
    shutil.copy(EXAMPLE, project / "postmortems" / "INC-2025-007.md")
    result = run(
        project, "new", "--no-input", "--title", "Search returned no results", "--severity", "SEV-2"
    )
    assert result.returncode == 0, result.stderr
    created = project / result.stdout.strip()
    assert created == project / "postmortems" / "INC-2025-008-search-returned-no-results.md"
    text = created.read_text(encoding="utf-8")
    assert "id: INC-2025-008\n" in text
    assert "written: 2025-11-23\n" in text  # today (SOURCE_DATE_EPOCH)
    assert "status: draft\n" in text
    for heading in ("Executive summary", "Incident timeline", "Lessons learned"):
        assert f"## {heading}\n" in text

    # A draft may keep its placeholders: they are warnings, so a work-in-progress passes CI...
    draft = run(project, "validate", "--format", "json", str(created))
    assert draft.returncode == 0, draft.stdout
    warnings = json.loads(draft.stdout)["problems"]
    assert warnings and all(p["rule"] == "placeholder" for p in warnings)
    assert all(p["level"] == "warning" for p in warnings)
    # ... a published one may not: the same placeholders are errors.
    created.write_text(text.replace("status: draft\n", "status: published\n"), encoding="utf-8")
    failing = run(project, "validate", "--format", "json", str(created))
    assert failing.returncode == 1
    problems = json.loads(failing.stdout)["problems"]
    assert {(p["field"], p["message"]) for p in problems} >= {
        (p["field"], p["message"]) for p in warnings
    }
    assert all(p["level"] == "error" for p in problems if p["rule"] == "placeholder")
    by_field = {p["field"]: p["message"] for p in problems}
    assert by_field["started"].startswith("fill in the placeholder 'TODO: when impact began")
    assert by_field["services[0]"] == "fill in the placeholder 'TODO: service-name' [placeholder]"
    assert "root_cause.category" in by_field and "action_items[0].due" in by_field
    assert sum(p["field"] == "body" for p in problems) == 8  # one per section

    created.write_text(fill_in(text), encoding="utf-8")
    passing = run(project, "validate", str(created))
    assert passing.returncode == 0, passing.stdout
    assert passing.stdout == ""


def test_new_prompts_on_a_terminal(project: Path) -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "postmortem_kb.cli.main", "new"],
        cwd=project,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={"PATH": os.environ.get("PATH", ""), "SOURCE_DATE_EPOCH": REFERENCE_EPOCH},
    )
    os.close(slave)
    answers = [
        "Checkout latency",
        "SEV-7",  # rejected, asked again
        "SEV-2",
        "checkout-api, payments-db",
        "2025-03-04T14:02:00",  # no offset: asked again
        "2025-03-04T14:02:00Z",
        "",
        "Ana Silva",
    ]
    for answer in answers:
        os.write(master, (answer + "\n").encode())
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    prompts = _read_all(master, process)
    os.close(master)
    assert process.wait(timeout=60) == 0, prompts
    assert "one of: SEV-1, SEV-2, SEV-3, near-miss" in prompts
    assert "add a UTC offset" in prompts
    created = project / stdout.strip()
    assert created.name == "INC-2025-001-checkout-latency.md"
    text = created.read_text(encoding="utf-8")
    assert 'severity: "SEV-2"' in text
    assert 'services: ["checkout-api", "payments-db"]' in text
    assert 'started: "2025-03-04T14:02:00Z"' in text
    assert 'detection: "TODO: monitoring' in text  # left blank
    assert 'authors: ["Ana Silva"]' in text


def test_new_refuses_bad_flags_and_existing_files(project: Path) -> None:
    bad = run(project, "new", "--no-input", "--severity", "SEV-9")
    assert bad.returncode == 2
    assert "one of: SEV-1, SEV-2, SEV-3, near-miss" in bad.stderr
    args = ["new", "--no-input", "--id", "INC-2025-001", "--title", "Same"]
    assert run(project, *args).returncode == 0
    again = run(project, *args)
    assert again.returncode == 2
    assert "already exists" in again.stderr


SCAFFOLD = ROOT / "plugins" / "postmortem_kb" / "render" / "templates" / "scaffold.md.j2"


def test_new_writes_from_the_overriding_scaffold_template(project: Path) -> None:
    """`overrides/postmortem_kb/scaffold.md.j2` (theme.custom_dir) replaces the scaffold."""
    override = project / "overrides" / "postmortem_kb" / "scaffold.md.j2"
    added = "## Customer communication\n\nTODO: what customers were told.\n\n"
    default = SCAFFOLD.read_text(encoding="utf-8")
    override.write_text(default.replace("## Lessons learned\n", added + "## Lessons learned\n"))
    result = run(project, "new", "--no-input", "--title", "Search returned no results")
    assert result.returncode == 0, result.stderr
    text = (project / result.stdout.strip()).read_text(encoding="utf-8")
    assert added in text
    assert "id: INC-2025-001\n" in text and 'title: "Search returned no results"\n' in text

    failing = run(project, "validate", "--format", "json", result.stdout.strip())
    problems = json.loads(failing.stdout)["problems"]
    assert sum(p["field"] == "body" for p in problems) == 9  # the override's section too

    override.write_text("---\nid: {{ id }\n", encoding="utf-8")
    broken = run(project, "new", "--no-input", "--title", "Another")
    assert broken.returncode == 2
    assert "overrides/postmortem_kb/scaffold.md.j2:2: " in broken.stderr
    assert "Traceback" not in broken.stderr


def test_schema_command_prints_and_writes(project: Path) -> None:
    printed = run(project, "schema")
    assert printed.returncode == 0
    schema = json.loads(printed.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert run(project, "schema", "-o", "out/pm.schema.json").returncode == 0
    assert (project / "out" / "pm.schema.json").read_text(encoding="utf-8") == printed.stdout
