"""The `postmortem` command: scaffold, validate and describe post-mortems without an engine."""
