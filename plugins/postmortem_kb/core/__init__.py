"""The core: what a post-mortem is and what follows from it; no engine, no templates."""
