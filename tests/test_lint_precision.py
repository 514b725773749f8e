"""The blameless lint measured: precision and recall on a labelled set of sentences written the
way post-mortems are (technology names, idioms, lessons, action items)."""

from __future__ import annotations

from pathlib import Path

import pytest
from postmortem_kb.core.lint.rules import blame_findings

SENTENCES = Path(__file__).parent / "fixtures" / "lint_sentences.txt"
AUTHORS = ("Priya Raman", "Tomás Ortega")
PRECISION_AT_LEAST = 0.97
RECALL_AT_LEAST = 0.95
"""The thresholds this lint reaches (measured below); a change that lowers either fails."""


def labelled() -> list[tuple[str, bool]]:
    rows = []
    for line in SENTENCES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, sentence = line.split(" | ", 1)
        rows.append((sentence, label == "B"))
    return rows


def flagged(sentence: str) -> bool:
    return bool(blame_findings(sentence, AUTHORS))


def test_the_labelled_set_is_large_and_balanced() -> None:
    rows = labelled()
    blaming = sum(label for _, label in rows)
    assert len(rows) >= 200 and 0.4 <= blaming / len(rows) <= 0.6
    assert len({s for s, _ in rows}) == len(rows)


def test_precision_and_recall() -> None:
    rows = labelled()
    hits = [(sentence, label, flagged(sentence)) for sentence, label in rows]
    tp = sum(label and got for _, label, got in hits)
    fp = [s for s, label, got in hits if got and not label]
    fn = [s for s, label, got in hits if label and not got]
    precision = tp / (tp + len(fp))
    recall = tp / (tp + len(fn))
    print(f"lint precision {precision:.3f} recall {recall:.3f} on {len(rows)} sentences")
    assert precision >= PRECISION_AT_LEAST, fp
    assert recall >= RECALL_AT_LEAST, fn


@pytest.mark.parametrize(
    ("sentence", "blames"),
    [
        ("Kubernetes accidentally evicted the pods when the node ran out of memory.", False),
        ("Azure failed to renew the managed certificate.", False),
        ("The images are lazy-loaded, so the first request was slow.", False),
        ("The on-call engineer was slow to notice the alert.", True),
        ("Lesson learned: be more careful when editing production configs.", True),
        ("Action: remind engineers to run migrations before deploying.", True),
    ],
)
def test_the_reported_cases(sentence: str, blames: bool) -> None:
    assert flagged(sentence) is blames
