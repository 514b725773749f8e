"""The Atom feed of published post-mortems, written with the standard library's XML tools.

Links are relative to the feed (RFC 4287 resolves them against the feed's own URL), so the feed
works without `site_url`; ids are stable `urn:uuid:` values derived from the incident ids.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET

from ..core.analytics import published_on
from ..core.corpus import Corpus, Incident
from ..core.schema import id_key
from .pages import GeneratedPage, PageBuilder
from .paths import FEED, HOME

FEED_LIMIT = 50
"""Newest published post-mortems in the feed."""
ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Drop the control characters XML 1.0 cannot carry (ElementTree escapes the rest)."""
    return _NOT_XML.sub("", value)


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def feed_entries(corpus: Corpus, limit: int = FEED_LIMIT) -> list[tuple[dt.date, Incident]]:
    """Published post-mortems with the day each was published, most recently published first."""
    published = [(day, i) for i in corpus.incidents if (day := published_on(i)) is not None]
    published.sort(key=lambda entry: (entry[0], entry[1].model.started, entry[1].id), reverse=True)
    return published[:limit]


def atom_feed(builder: PageBuilder, corpus: Corpus, site_title: str) -> bytes:
    """The feed document."""
    entries = feed_entries(corpus)
    url = builder.paths.url_from(HOME)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"postmortem-kb:{site_title}")
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
        if text is not None:
            node.text = _text(text)
        return node

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "title", f"{site_title}: published post-mortems")
    sub(feed, "id", namespace.urn)
    newest = max((day for day, _ in entries), default=builder.settings.reference_date)
    sub(feed, "updated", _stamp(newest))
    sub(feed, "link", rel="self", type="application/atom+xml", href=url(FEED))
    sub(feed, "link", rel="alternate", type="text/html", href=url(HOME))
    sub(feed, "generator", "postmortem-kb")
    for day, incident in entries:
        pm = incident.model
        entry = sub(feed, "entry")
        sub(entry, "title", f"{pm.id}: {pm.title}")
        sub(entry, "id", uuid.uuid5(namespace, id_key(pm.id)).urn)
        sub(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=url(builder.paths.incident(incident)),
        )
        sub(entry, "published", _stamp(day))
        sub(entry, "updated", _stamp(day))
        for name in pm.authors:
            sub(sub(entry, "author"), "name", name)
        terms = [pm.severity.value, *pm.services]
        if pm.root_cause is not None:
            terms.append(pm.root_cause.category.value)
        for term in terms:
            sub(entry, "category", term=term)
        sub(entry, "summary", pm.summary, type="text")
    ET.indent(feed)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def feed_file(builder: PageBuilder, corpus: Corpus, site_title: str) -> GeneratedPage:
    """The feed as a generated file at the site root."""
    return GeneratedPage(FEED, atom_feed(builder, corpus, site_title))
