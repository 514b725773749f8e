"""Adapters that place the rendered pages into a site engine's build."""
