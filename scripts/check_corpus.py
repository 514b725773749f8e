"""Validate a folder of post-mortems with the core (no MkDocs) and print every problem."""

import sys
from pathlib import Path

from postmortem_kb.core.corpus import load_corpus

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "postmortems")
corpus = load_corpus(folder)
for problem in corpus.problems:
    print(problem.format())
print(f"{len(corpus.files)} files, {len(corpus.incidents)} valid, {len(corpus.errors)} errors")
sys.exit(1 if corpus.errors else 0)
