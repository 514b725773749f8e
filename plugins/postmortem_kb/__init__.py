"""postmortem-kb: a git-native knowledge base of blameless incident post-mortems."""

__version__ = "0.1.0"
