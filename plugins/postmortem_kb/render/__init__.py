"""Finished, safe pages from the core: Jinja templates, paths, sanitising, charts, exports."""
