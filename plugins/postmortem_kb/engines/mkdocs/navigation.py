"""The theme's navigation rendered once for all the pages outside the nav that show it alike.

Material renders the whole site navigation into every page (the desktop sidebar and the phone
drawer): with the knowledge base's nav (trend quarters, indexes, guide) that is about half the
theme's time per page, and most pages are incident pages outside the nav. For a page outside the
nav the partial's HTML depends only on the nav (its titles and which items are active) and on
the folder the page's links are relative to: nothing of the page itself is in it. So it is
rendered once per (folder, active items) and given again to every such page; a page in the nav
(its own item and table of contents shown) and a page under whose URL some nav page lies are
always rendered afresh. The HTML is the same as without it (tests/test_engines.py builds both).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from typing import Any

import jinja2
from markupsafe import Markup

from ...render.paths import THEME_NAVIGATION as PARTIAL

_GLOBAL = "pmkb_navigation"


class NavigationOnce:
    """The navigation partial of one build's theme environment, rendered once per key."""

    def __init__(self, original: jinja2.Template) -> None:
        self._original = original
        self._rendered: dict[tuple[object, ...], Markup] = {}
        self.rendered = 0
        """Times the partial was rendered (the other pages got a copy)."""

    @classmethod
    def install(cls, env: jinja2.Environment) -> NavigationOnce | None:
        """Put it in front of the theme's partial in `env`; None when the theme has no such
        partial (another theme: nothing is changed)."""
        try:
            original = env.get_template(PARTIAL)
        except jinja2.TemplateNotFound:
            return None
        once = cls(original)
        env.globals[_GLOBAL] = once
        wrapper = jinja2.DictLoader({PARTIAL: f"{{{{ {_GLOBAL}() }}}}"})
        env.loader = jinja2.ChoiceLoader([wrapper, env.loader] if env.loader else [wrapper])
        return once

    @jinja2.pass_context
    def __call__(self, context: jinja2.runtime.Context) -> Markup:
        key = _key(context)
        if key is None:
            return self._render(context)
        found = self._rendered.get(key)
        if found is None:
            found = self._rendered[key] = self._render(context)
        return found

    def _render(self, context: jinja2.runtime.Context) -> Markup:
        self.rendered += 1
        return Markup(self._original.render(context.get_all()))


def _key(context: jinja2.runtime.Context) -> tuple[object, ...] | None:
    """What the partial's HTML depends on for this page, or None when it is its own."""
    page, nav = context.get("page"), context.get("nav")
    url = getattr(page, "url", None)
    if nav is None or not isinstance(url, str) or page in nav.pages:
        return None
    # A page at `x/a/` has its links relative to `x/a`, one at `x/a.html` to `x`: pages in one
    # folder give the same links, but to a nav page under their own URL.
    folder_url = url.endswith("/")
    if folder_url and any(str(p.url).startswith(url) for p in nav.pages):
        return None
    folder = posixpath.dirname(url.rstrip("/") if folder_url else url)
    active = tuple(getattr(item, "active", None) for item in _items(nav.items))
    return (folder, folder_url, active)


def _items(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        yield item
        yield from _items(getattr(item, "children", None) or ())
