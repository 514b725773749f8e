"""The MkDocs (and ProperDocs) adapter: plugin events, generated Files, speed-ups."""
