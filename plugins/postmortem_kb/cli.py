"""The `postmortem` command line: validate post-mortems without running MkDocs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .corpus import CorpusLoader
from .problems import Level


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `postmortem` console script."""
    parser = argparse.ArgumentParser(prog="postmortem", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate post-mortem files")
    validate.add_argument("paths", nargs="*", default=["postmortems"], type=Path)
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.paths)
    return 2  # pragma: no cover - argparse rejects unknown commands


def _validate(paths: list[Path]) -> int:
    loader = CorpusLoader()
    errors = 0
    for path in paths:
        corpus = loader.load(path, Path.cwd())
        for problem in corpus.problems:
            print(problem.format())
            errors += problem.level is Level.ERROR
        print(f"{path}: {len(corpus.files)} files, {len(corpus.incidents)} valid", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
