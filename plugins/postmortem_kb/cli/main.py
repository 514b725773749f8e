"""The `postmortem` command line: scaffold, validate and describe post-mortems without MkDocs."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ..core.corpus import Corpus, CorpusLoader, discover
from ..core.loader import display_path
from ..core.options import OptionsError, SiteConfig, read_site_config, resolve_reference_date
from ..core.problems import Level, Problem
from ..core.schema import DetectionMethod, Severity
from ..render.workers import DEFAULT_BUDGET

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or configuration: reported on stderr, exit status 2."""


class Project:
    """The plugin options of the site's mkdocs.yml: the same settings a build uses."""

    def __init__(self, config_file: Path | None) -> None:
        self.config_file = config_file
        self.root = config_file.parent if config_file else Path.cwd()
        self.site = read_site_config(config_file) if config_file else SiteConfig()
        self.options = self.site.options
        self.overrides = self.site.overrides
        """The theme's `custom_dir`, where `postmortem_kb/` templates override the package's."""
        self.settings = self.site.settings()
        self.registry = self.settings.regulations
        self.lint = self.options.lint.config()
        self.postmortems_dir = self.root / self.options.postmortems_dir

    def loader(self) -> CorpusLoader:
        """A loader that validates as a build with these options does."""
        return CorpusLoader(self.registry, self.lint, self.settings.follow_up)

    def corpus(self) -> Corpus:
        """Every post-mortem of `postmortems_dir`, validated, paths shown from the cwd."""
        if not self.postmortems_dir.is_dir():
            raise UsageError(f"{self.postmortems_dir}: no such folder")
        return self.loader().load_files(
            discover(self.postmortems_dir.resolve()), Path.cwd().resolve()
        )


# --- validate ---------------------------------------------------------------------------------


def validate(project: Project, targets: list[Path]) -> tuple[list[Problem], int]:
    """Validate files and folders in the context of the whole post-mortems folder.

    Cross-file rules (duplicate ids, links to other incidents) see every post-mortem of the
    project and of each requested file's folder, but only problems of the requested files are
    returned, with the number of files.
    """
    requested: list[Path] = []
    for target in targets or [project.postmortems_dir]:
        if target.is_dir():
            requested.extend(_absolute(p) for p in discover(target))
        elif target.is_file():
            requested.append(_absolute(target))
        else:
            raise UsageError(f"{target}: no such file or folder")
    context = set(requested)
    for folder in {path.parent for path in requested}:
        # A file is checked against the folder it lives in too (duplicate ids, links), as the
        # build will, even when that folder is not the configured postmortems_dir.
        context.update(p.resolve() for p in discover(folder, recursive=False))
    if project.postmortems_dir.is_dir():
        context.update(_absolute(p) for p in discover(project.postmortems_dir))
    root = Path.cwd().resolve()
    corpus = project.loader().load_files(sorted(context), root, project.postmortems_dir)
    shown = {display_path(path, root) for path in requested}
    return [p for p in corpus.problems if p.path in shown], len(shown)


def _absolute(path: Path) -> Path:
    """`path` made absolute without resolving links: a linked file stays a link, and is refused."""
    return Path(os.path.abspath(path))


def _use_colour(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR")


def format_text(problems: list[Problem], colour: bool) -> list[str]:
    """`path:line: error: field: message`, the level coloured on a terminal."""

    def paint(code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if colour else text

    lines = []
    for p in (problem.printable() for problem in problems):
        level = paint("1;31" if p.level is Level.ERROR else "1;33", p.level.value)
        lines.append(f"{paint('1', f'{p.path}:{p.line}:')} {level}: {p.field}: {p.message}")
    return lines


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(problems: list[Problem]) -> list[str]:
    """GitHub Actions workflow commands: one `::error` / `::warning` annotation per problem.

    Control characters are escaped first (`Problem.printable`), then GitHub's own encoding.
    """
    return [
        f"::{p.level.value} file={_escape_property(p.path)},line={p.line},"
        f"title={_escape_property(f'postmortem-kb ({p.rule})')}::"
        f"{_escape_data(f'{p.field}: {p.message}')}"
        for p in (problem.printable() for problem in problems)
    ]


def format_json(problems: list[Problem], summary: dict[str, int]) -> list[str]:
    """One JSON document: a summary and every problem with its rule and level."""
    document = {
        "summary": summary,
        "problems": [
            {
                "path": p.path,
                "line": p.line,
                "field": p.field,
                "message": p.message,
                "level": p.level.value,
                "rule": p.rule,
            }
            for p in problems
        ],
    }
    return [json.dumps(document, indent=2, ensure_ascii=False)]


def _cmd_validate(args: argparse.Namespace, project: Project) -> int:
    problems, files = validate(project, args.paths)
    errors = sum(p.level is Level.ERROR for p in problems)
    warnings = len(problems) - errors
    summary = {"files": files, "errors": errors, "warnings": warnings}
    if args.format == "github":
        lines = format_github(problems)
    elif args.format == "json":
        lines = format_json(problems, summary)
    else:
        lines = format_text(problems, _use_colour(args.color, sys.stdout))
    for line in lines:
        print(line)
    print(
        f"{_count(files, 'post-mortem file')} checked: {_count(errors, 'error')},"
        f" {_count(warnings, 'warning')}",
        file=sys.stderr,
    )
    if errors or (args.strict and warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- new --------------------------------------------------------------------------------------


def _ask(prompt: str, check: Callable[[str], str | None], default: str | None = None) -> str | None:
    """Ask until the answer passes `check` (which returns an error or None); blank = skip."""
    suffix = f" [{default}]" if default else " (blank: leave a TODO)"
    while True:
        try:
            print(f"{prompt}{suffix}: ", end="", file=sys.stderr, flush=True)
            answer = input().strip()  # the prompt goes to stderr: stdout holds only the path
        except EOFError:
            return default
        if not answer:
            return default
        problem = check(answer)
        if problem is None:
            return answer
        print(f"  {problem}", file=sys.stderr)


def _check_choice(choices: Sequence[str]) -> Callable[[str], str | None]:
    return lambda value: None if value in choices else f"one of: {', '.join(choices)}"


def _check_timestamp(value: str) -> str | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "a timestamp like 2025-03-04T14:02:00Z"
    return None if parsed.tzinfo is not None else "add a UTC offset, e.g. Z or +01:00"


def _check_service(value: str) -> str | None:
    bad = [s for s in _split(value) if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", s)]
    return f"lowercase letters, digits and '-': {', '.join(bad)}" if bad else None


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _cmd_new(args: argparse.Namespace, project: Project) -> int:
    from . import scaffold
    from .json_schema import SCHEMA_FILE

    severities = [s.value for s in Severity]
    detections = [d.value for d in DetectionMethod]
    for value, check in (
        (args.started, _check_timestamp),
        (args.severity, _check_choice(severities)),
        (args.detection, _check_choice(detections)),
        (",".join(args.service), _check_service),
    ):
        if value and (problem := check(value)) is not None:
            raise UsageError(f"{value!r}: {problem}")
    answers = scaffold.Answers(
        title=args.title,
        severity=args.severity,
        services=list(args.service),
        started=args.started,
        authors=list(args.author),
        detection=args.detection,
        id=args.id,
    )
    if not args.no_input and sys.stdin.isatty():
        answers.title = answers.title or _ask("Title", lambda _: None)
        answers.severity = answers.severity or _ask(
            f"Severity ({' | '.join(severities)})", _check_choice(severities)
        )
        if not answers.services:
            answers.services = _split(_ask("Services (comma-separated)", _check_service) or "")
        answers.started = answers.started or _ask(
            "Impact started (e.g. 2025-03-04T14:02:00Z)", _check_timestamp
        )
        answers.detection = answers.detection or _ask(
            f"Detected by ({' | '.join(detections)})", _check_choice(detections)
        )
        if not answers.authors:
            answers.authors = _split(_ask("Authors (comma-separated)", lambda _: None) or "")
    today = resolve_reference_date()
    directory: Path = args.dir or project.postmortems_dir
    year = int(answers.started[:4]) if answers.started else today.year
    incident_id = answers.id or scaffold.next_id(scaffold.existing_ids(directory), year)
    target = directory / scaffold.file_name(incident_id, answers.title)
    if target.exists():
        raise UsageError(f"{target} already exists")
    schema_ref = scaffold.schema_reference(directory, project.root, SCHEMA_FILE)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        text = scaffold.render(answers, incident_id, today, schema_ref, project.overrides)
    except ValueError as exc:  # a broken override of the scaffold template
        raise UsageError(f"cannot write the new file from its template: {exc}") from None
    target.write_text(text, encoding="utf-8")
    print(target)
    hint = f"created {incident_id}: replace every TODO, then run: postmortem validate {target}"
    print(hint, file=sys.stderr)
    return EXIT_OK


# --- schema -----------------------------------------------------------------------------------


def _cmd_schema(args: argparse.Namespace, project: Project) -> int:
    from .json_schema import schema_text

    text = schema_text(project.registry)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


# --- render -----------------------------------------------------------------------------------


def _check_render_target(out: Path, project: Project) -> None:
    """`--out` is emptied first: it must hold none of the project's sources, nor lie in docs/."""
    docs = project.site.docs_dir.resolve()
    for source in (project.root.resolve(), docs, project.postmortems_dir.resolve()):
        if out == source or out in source.parents:
            raise UsageError(f"--out {out}: would delete {source}; choose a folder of its own")
    if docs in out.parents:
        raise UsageError(f"--out {out}: inside docs_dir {docs}; choose a folder outside it")


def _cmd_render(args: argparse.Namespace, project: Project) -> int:
    from ..render.tree import engine_config, render_tree

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if args.page_budget <= 0:
        raise UsageError("--page-budget must be more than 0 seconds")
    out: Path = args.out
    _check_render_target(out.resolve(), project)
    corpus = project.corpus()
    for problem in corpus.problems:
        print(problem.format(), file=sys.stderr)
    try:
        tree = render_tree(corpus, project.site, out, workers=args.jobs, budget=args.page_budget)
        if args.engine_config is not None:
            engine_config(
                project.site, project.config_file or Path("mkdocs.yml"), out, args.engine_config
            )
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    for line in tree.kept:
        print(f"postmortem: {line}", file=sys.stderr)
    for line in tree.collisions + tree.failures:
        print(f"postmortem: error: {line}", file=sys.stderr)
    print(
        f"wrote {out}: {tree.written} generated files, {len(corpus.incidents)} incidents",
        file=sys.stderr,
    )
    errors = [p for p in corpus.problems if p.level is Level.ERROR]
    failed = bool(tree.collisions or tree.failures or errors)
    return EXIT_PROBLEMS if args.strict and failed else EXIT_OK


# --- sync -------------------------------------------------------------------------------------


def _cmd_sync(args: argparse.Namespace, project: Project) -> int:
    from . import sync

    if args.timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    corpus = project.corpus()
    reports, client = sync.sync(
        corpus, project.settings.follow_up, timeout=args.timeout, write=args.write
    )
    if args.format == "json":
        print(sync.json_document(reports, client.requests))
    else:
        for line in sync.text_lines(reports):
            print(line)
    counts = sync.summary(reports, client.requests)
    skipped = (
        f"; {_count(len(corpus.unbuilt), 'file')} with errors skipped" if corpus.unbuilt else ""
    )
    print(
        f"{_count(counts['items'], 'action item')} with a tracker link: {counts['in_sync']} in"
        f" sync, {counts['drift']} drifted, {counts['written']} written,"
        f" {_count(counts['errors'], 'error')} ({_count(counts['requests'], 'request')}){skipped}",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS if sync.left_to_report(reports) else EXIT_OK


# --- remind -----------------------------------------------------------------------------------


def _cmd_remind(args: argparse.Namespace, project: Project) -> int:
    from ..core.reminders import digest
    from ..render.paths import SitePaths
    from ..render.site import site_corpus
    from .remind import FORMATS, page_link

    settings = project.settings
    if args.reference_date is not None:
        try:
            today = dt.date.fromisoformat(args.reference_date.strip())
        except ValueError:
            raise UsageError("reference date: expected YYYY-MM-DD") from None
        settings = dataclasses.replace(settings, reference_date=today)
    corpus = project.corpus()
    result = digest(corpus, settings)
    if args.owner:
        wanted = {owner.casefold() for owner in args.owner}
        owners = {o: r for o, r in result.by_owner.items() if o.casefold() in wanted}
        result = dataclasses.replace(result, by_owner=owners)
    site_url = project.site.site_url if args.site_url is None else args.site_url
    link = page_link(site_url, SitePaths(settings, site_corpus(corpus, settings)))
    sys.stdout.write(FORMATS[args.format](result, link))
    if args.format != "markdown":
        sys.stdout.write("\n")
    if corpus.unbuilt:
        print(
            f"{_count(len(corpus.unbuilt), 'file')} with errors left out: run postmortem validate",
            file=sys.stderr,
        )
    return EXIT_OK


# --- entry point ------------------------------------------------------------------------------


def _cmd_import(args: argparse.Namespace, project: Project) -> int:
    from ..importers.files import import_file
    from ..importers.readers import UnsupportedFormat
    from ..importers.timezones import ZoneError, resolve_zone

    sources: list[Path] = []
    for source in args.sources:
        if source.is_dir():
            sources += sorted(p for p in source.rglob("*") if p.is_file())
        elif source.is_file():
            sources.append(source)
        else:
            raise UsageError(f"{source}: no such file or folder")
    if args.id and len(sources) != 1:
        raise UsageError("--id needs exactly one source file")
    if args.timezone:
        try:
            resolve_zone(args.timezone)
        except ZoneError as error:
            raise UsageError(f"--timezone: {error}") from error
    try:
        imported_on = dt.date.fromisoformat(args.imported_on or dt.date.today().isoformat())
    except ValueError as error:
        raise UsageError(f"--imported-on: {error}") from error
    out_dir = args.dir or project.postmortems_dir
    failed = 0
    for source in sources:
        try:
            result = import_file(
                source,
                out_dir,
                imported_on=imported_on,
                zone=args.timezone,
                incident_id=args.id,
                registry=project.registry,
                shown_as=str(source),
            )
        except (UnsupportedFormat, OSError, UnicodeDecodeError, ValueError) as error:
            print(f"{source}: not imported: {error}")
            failed += 1
            continue
        if result.target is not None:
            print(f"{source} -> {result.target}")
        else:
            failed += 1
            print(f"{source}: not imported: {result.imported.failure or 'see below'}")
            for problem in result.problems:
                print(f"  {problem}")
        for line in result.imported.report.lines():
            print(line)
    print(f"{_count(len(sources) - failed, 'file')} imported, {failed} not", file=sys.stderr)
    return EXIT_PROBLEMS if failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="postmortem", description=__doc__)
    parser.add_argument(
        "-f",
        "--config-file",
        type=Path,
        help="the site's mkdocs.yml, for the plugin's options (default: ./mkdocs.yml if present)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    new = commands.add_parser("new", help="create a post-mortem from the template")
    new.add_argument("--title")
    new.add_argument("--severity", help="SEV-1, SEV-2, SEV-3 or near-miss")
    new.add_argument("--service", action="append", default=[], help="repeat for several")
    new.add_argument("--started", help="when impact began, e.g. 2025-03-04T14:02:00Z")
    new.add_argument("--detection", help="monitoring, customer-report or internal-discovery")
    new.add_argument("--author", action="append", default=[], help="repeat for several")
    new.add_argument("--id", help="use this id instead of the next free one")
    new.add_argument("--dir", type=Path, help="folder to create it in (default: postmortems_dir)")
    new.add_argument("--no-input", action="store_true", help="never prompt, even on a terminal")

    check = commands.add_parser(
        "validate",
        help="validate post-mortems (schema, consistency, blameless lint)",
        description="Exit status: 0 no errors, 1 errors (or warnings with --strict), 2 usage.",
    )
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: all)")
    check.add_argument("--format", choices=["text", "github", "json"], default="text")
    check.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")

    imports = commands.add_parser(
        "import",
        help="turn existing post-mortems (Markdown, HTML, .docx) into files of this schema",
        description="Maps what each document states, writes `unknown` for the rest and prints"
        " what was mapped, what is unknown and what needs a human. Exit status: 0 all"
        " imported, 1 some not (reported), 2 usage.",
    )
    imports.add_argument("sources", nargs="+", type=Path, help="files or folders to import")
    imports.add_argument("--dir", type=Path, help="where to write (default: postmortems_dir)")
    imports.add_argument(
        "--timezone", help="zone of times that state none, e.g. UTC or PDT (reported as given)"
    )
    imports.add_argument("--id", help="the incident id (one source only)")
    imports.add_argument("--imported-on", help="date recorded in source.imported_on (today)")
    sync = commands.add_parser(
        "sync",
        help="report drift between action items and their GitHub, GitLab or Jira items",
        description="Trackers and tokens come from the environment (GITHUB_TOKEN, GITLAB_TOKEN,"
        " JIRA_URL, JIRA_TOKEN, ...; see docs/guide/workflow.md). Exit status: 0 nothing left to"
        " report, 1 drift or unreadable items, 2 usage.",
    )
    sync.add_argument(
        "--write", action="store_true", help="settle status drift: edit status/completed lines"
    )
    sync.add_argument("--format", choices=["text", "json"], default="text")
    sync.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each answer (default 10)"
    )

    remind = commands.add_parser(
        "remind",
        help="overdue and at-risk action items per owner, and the escalation list",
        description="Prints the reminder digest for a scheduled job to post.",
    )
    remind.add_argument("--format", choices=["markdown", "slack", "json"], default="markdown")
    remind.add_argument(
        "--reference-date", help="'today' (YYYY-MM-DD; default: the site's, else today)"
    )
    remind.add_argument(
        "--owner", action="append", default=[], help="only this owner (repeat for several)"
    )
    remind.add_argument(
        "--site-url", help="link items to the site (default: site_url of mkdocs.yml; '' for none)"
    )

    render = commands.add_parser(
        "render",
        help="write the finished docs tree (pages, data, assets) for any Material engine",
        description="Post-mortem bodies are converted with the site's markdown_extensions and"
        " sanitised, so an engine that runs no plugin (Zensical) publishes them safely. Exit"
        " status: 0 written, 1 errors with --strict, 2 usage.",
    )
    render.add_argument("--out", type=Path, required=True, help="the folder to write (emptied)")
    render.add_argument(
        "--engine-config",
        type=Path,
        help="also write a mkdocs.yml there that builds the tree (docs_dir: the --out folder)",
    )
    render.add_argument("--strict", action="store_true", help="fail on errors in post-mortems")
    render.add_argument(
        "--jobs", type=int, help="worker processes rendering pages (default: every core)"
    )
    render.add_argument(
        "--page-budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"seconds one page may take to render (default {DEFAULT_BUDGET:g})",
    )

    schema = commands.add_parser("schema", help="print the JSON Schema of the front matter")
    schema.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `postmortem` console script."""
    args = build_parser().parse_args(argv)
    config_file: Path | None = args.config_file
    if config_file is None and Path("mkdocs.yml").is_file():
        config_file = Path("mkdocs.yml")
    commands = {
        "new": _cmd_new,
        "validate": _cmd_validate,
        "schema": _cmd_schema,
        "import": _cmd_import,
        "sync": _cmd_sync,
        "remind": _cmd_remind,
        "render": _cmd_render,
    }
    try:
        if config_file is not None and not config_file.is_file():
            raise UsageError(f"{config_file}: no such file")
        return commands[args.command](args, Project(config_file))
    except UsageError as exc:
        print(f"postmortem: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OptionsError as exc:
        for line in exc.lines:
            print(f"postmortem: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
