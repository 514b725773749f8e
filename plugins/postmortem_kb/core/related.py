"""Related incidents, computed at build time: explicit links in both directions plus similar ones.

Similar incidents share services, a root-cause category and wording. Scoring stays near-linear:
each incident keeps only its `TOP_TERMS` most distinctive (TF-IDF) stemmed terms, candidates come
from inverted lists of services and terms, and each list contributes only the `WINDOW` incidents
nearest in time on either side, so the work per incident is bounded whatever the corpus size.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from lunr.stemmer import porter_stemmer
from lunr.stop_word_filter import WORDS as STOP_WORDS

from .corpus import Incident
from .schema import id_key

TOP_TERMS = 20
"""Distinctive terms kept per incident (by TF-IDF weight)."""
WINDOW = 25
"""Incidents taken on each side, in time order, from one service's or term's inverted list."""
LIMIT = 5
"""Similar incidents shown per incident."""
MIN_SCORE = 0.25
"""Below this a candidate is not shown: one shared service plus the same category just passes."""
SERVICE_WEIGHT = 0.15
CATEGORY_WEIGHT = 0.1

_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_EXTRA_STOP_WORDS = frozenset({"incident", "why", "did", "was", "were", "not", "our", "all"})


class Relation(StrEnum):
    """How two incidents are linked explicitly, as seen from the page showing the link."""

    RECURRENCE_OF = "recurrence of"
    """This incident is a recurrence of the linked one (its own `recurrence_of`)."""
    RECURRED_AS = "recurred as"
    """The linked incident names this one in its `recurrence_of`."""
    RELATED = "related"
    """Either incident lists the other under `related`."""


@dataclass(frozen=True)
class Link:
    """An explicit link to another incident."""

    incident: Incident
    relation: Relation


@dataclass(frozen=True)
class Similar:
    """An incident found similar, with its score and the reasons shown to readers."""

    incident: Incident
    score: float
    services: tuple[str, ...]
    same_category: bool
    words: tuple[str, ...]


@dataclass(frozen=True)
class Related:
    """Everything the related-incidents section of one page shows."""

    links: tuple[Link, ...] = ()
    similar: tuple[Similar, ...] = ()


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(porter_stemmer.stem(word))


def _text(incident: Incident) -> Iterable[str]:
    pm = incident.model
    yield pm.title
    yield pm.summary
    if pm.root_cause is not None:
        yield pm.root_cause.summary
    for why in pm.whys:
        yield why.answer
    yield from pm.lessons_learned


def _terms(incident: Incident, surface: dict[str, str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in _text(incident):
        for word in _WORD.findall(text.lower()):
            if word in STOP_WORDS or word in _EXTRA_STOP_WORDS:
                continue
            stem = _stem(word)
            surface.setdefault(stem, word)
            counts[stem] += 1
    return counts


def explicit_links(incidents: Sequence[Incident]) -> dict[str, list[Link]]:
    """Explicit links per incident id, both directions; unknown ids are ignored."""
    by_id = {incident.key: incident for incident in incidents}
    found: dict[str, dict[str, Relation]] = defaultdict(dict)
    rank = {Relation.RECURRENCE_OF: 0, Relation.RECURRED_AS: 0, Relation.RELATED: 1}

    def add(owner: Incident, other: Incident, relation: Relation) -> None:
        if owner is other:
            return
        current = found[owner.id].get(other.id)
        if current is None or rank[relation] < rank[current]:
            found[owner.id][other.id] = relation

    for incident in incidents:
        pm = incident.model
        target = by_id.get(id_key(pm.recurrence_of)) if pm.recurrence_of else None
        if target is not None:
            add(incident, target, Relation.RECURRENCE_OF)
            add(target, incident, Relation.RECURRED_AS)
        for rid in pm.related:
            other = by_id.get(id_key(rid))
            if other is not None:
                add(incident, other, Relation.RELATED)
                add(other, incident, Relation.RELATED)
    order = {incident.id: index for index, incident in enumerate(incidents)}
    return {
        owner: [
            Link(by_id[id_key(other)], relation)
            for other, relation in sorted(links.items(), key=lambda kv: order[kv[0]])
        ]
        for owner, links in found.items()
    }


def related_incidents(
    incidents: Sequence[Incident], *, limit: int = LIMIT, window: int = WINDOW
) -> Mapping[str, Related]:
    """The related-incidents section of every incident, keyed by incident id.

    What all incidents share (links, term weights, inverted lists) is computed here; each
    incident's section when it is first looked up, so the first page can be made (and handed
    to a worker) before the last incident's neighbours are scored.
    """
    return _RelatedIncidents(incidents, limit, window)


class _RelatedIncidents(Mapping[str, Related]):
    """`related_incidents`: each incident's section computed on first lookup, then kept."""

    def __init__(self, incidents: Sequence[Incident], limit: int, window: int) -> None:
        self._incidents = incidents
        self._limit, self._window = limit, window
        self._links = explicit_links(incidents)
        count = len(incidents)
        self._surface: dict[str, str] = {}
        raw = [_terms(incident, self._surface) for incident in incidents]
        document_frequency: Counter[str] = Counter()
        for counts in raw:
            document_frequency.update(counts.keys())

        vectors: list[dict[str, float]] = []
        for counts in raw:
            weights = {
                term: (1 + math.log(tf)) * math.log(count / document_frequency[term])
                for term, tf in counts.items()
                if document_frequency[term] > 1
            }
            top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
            norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
            vectors.append({term: w / norm for term, w in top if w > 0})
        self._vectors = vectors

        # Inverted lists, in time order (incidents are sorted by start); remember each position.
        # A term's list has each incident's weight for the term alongside.
        postings: dict[tuple[str, str], list[int]] = defaultdict(list)
        term_weights: dict[tuple[str, str], list[float]] = defaultdict(list)
        positions: list[dict[tuple[str, str], int]] = []
        for index, incident in enumerate(incidents):
            mine = {}
            for service in incident.model.services:
                posting = postings["s", service]
                mine["s", service] = len(posting)
                posting.append(index)
            for term, weight in vectors[index].items():
                posting = postings["t", term]
                mine["t", term] = len(posting)
                posting.append(index)
                term_weights["t", term].append(weight)
            positions.append(mine)
        self._postings, self._weights, self._positions = postings, term_weights, positions

        # Looked up for every candidate pair: read once per incident here.
        self._services = [frozenset(incident.model.services) for incident in incidents]
        self._with_service: dict[str, frozenset[int]] = {
            service: frozenset(posting)
            for (kind, service), posting in self._postings.items()
            if kind == "s"
        }
        self._ids = [incident.id for incident in incidents]
        self._index = {incident_id: index for index, incident_id in enumerate(self._ids)}
        self._categories = [
            incident.model.root_cause.category if incident.model.root_cause is not None else None
            for incident in incidents
        ]
        self._newer_first_key = [-incident.model.started.timestamp() for incident in incidents]
        self._found: dict[str, Related] = {}

    def __getitem__(self, incident_id: str) -> Related:
        found = self._found.get(incident_id)
        if found is None:
            found = self._found[incident_id] = self._related(self._index[incident_id])
            if len(self._found) == len(self._index):  # all scored: what scoring needs goes
                del self._vectors, self._postings, self._positions, self._surface, self._links
                del self._weights, self._with_service
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def _related(self, index: int) -> Related:
        incident_id, window = self._ids[index], self._window
        postings, weights = self._postings, self._weights
        own = self._links.get(incident_id, [])
        vector = self._vectors[index]
        text_score: dict[int, float] = {}
        get = text_score.get
        for key, position in self._positions[index].items():
            posting = postings[key]
            lower, upper = max(0, position - window), position + window + 1
            if key[0] == "s":
                for other in posting[lower:position] + posting[position + 1 : upper]:
                    if other not in text_score:
                        text_score[other] = 0.0
                continue
            weight, theirs = vector[key[1]], weights[key]
            # Before, then after (the order the sums are taken in is part of the result).
            for other, their in zip(posting[lower:position], theirs[lower:position], strict=True):
                text_score[other] = get(other, 0.0) + weight * their
            for other, their in zip(
                posting[position + 1 : upper], theirs[position + 1 : upper], strict=True
            ):
                text_score[other] = get(other, 0.0) + weight * their
        index_of = self._index
        for link in own:
            text_score.pop(index_of.get(link.incident.id, -1), None)
        categories, newer_first_key = self._categories, self._newer_first_key
        category = categories[index]
        # Shared services counted by membership in each own service's incidents.
        own_services = [self._with_service[service] for service in self._services[index]]
        ranked: list[tuple[float, float, int]] = []
        for other, similarity in text_score.items():
            shared = 0
            for holders in own_services:
                if other in holders:
                    shared += 1
            score = (
                similarity
                + SERVICE_WEIGHT * min(shared, 2)
                + (
                    CATEGORY_WEIGHT
                    if category is not None and categories[other] == category
                    else 0.0
                )
            )
            if score >= MIN_SCORE:
                ranked.append((-score, newer_first_key[other], other))
        similar = tuple(
            self._similar(index, other, -negative)
            for negative, _, other in heapq.nsmallest(self._limit, ranked)
        )
        return Related(tuple(own), similar)

    def _similar(self, index: int, other: int, score: float) -> Similar:
        incidents, vectors = self._incidents, self._vectors
        mine, theirs = incidents[index].model, incidents[other].model
        shared = sorted(
            set(vectors[index]) & set(vectors[other]),
            key=lambda t: (-vectors[index][t] * vectors[other][t], t),
        )
        same = (
            mine.root_cause is not None
            and theirs.root_cause is not None
            and mine.root_cause.category == theirs.root_cause.category
        )
        return Similar(
            incidents[other],
            round(score, 4),
            tuple(s for s in mine.services if s in self._services[other]),
            same,
            tuple(self._surface[t] for t in shared[:3]),
        )
