"""The lint's language data: blame patterns, the cue words that gate them, superficial causes."""

from __future__ import annotations

import re
from collections.abc import Iterable

# --- blame language ---------------------------------------------------------------------------

ALWAYS_BLAME = re.compile(
    r"\b(?:"
    r"(?:human|operator|user|pilot)\s+(?:error|mistake)s?"
    r"|careless(?:ly|ness)?|negligen(?:t|ce)|reckless(?:ly|ness)?|sloppy|sloppiness"
    r"|incompeten(?:t|ce)|lazy(?![-\s]*(?:load|init|eval|fetch|compil))|laziness"
    r"|stupid(?:ity)?|idiot(?:ic|s)?"
    r"|ought\s+to\s+have"
    r"|(?:the\s+)?fault\s+of|at\s+fault(?!\s+toleran)|to\s+blame|blamed|blame\s+(?:the|it|this)"
    r"|fat[- ]finger(?:ed|ing)?|dropped\s+the\s+ball"
    # a lesson or an action that asks people to try harder instead of changing the system
    r"|(?:be|being)\s+(?:more\s+|extra\s+)?(?:careful|vigilant|attentive|diligent|cautious)"
    r"|pay(?:ing)?\s+(?:more|closer)\s+attention"
    r"|(?:remind|tell|ask|instruct|encourage)(?:s|ed|ing)?\s+(?:all\s+|the\s+|our\s+)?"
    r"(?:engineers|developers|devs|team|team\s+members|everyone|everybody|people|staff"
    r"|operators|reviewers|on-?call(?:\s+engineers)?)\s+to"
    r")\b",
    re.IGNORECASE,
)
"""Words that blame whoever they are about."""
QUOTES = "'\u2019"
"""Straight and typographic apostrophes."""

_HUMAN_ONLY = (
    r"forgot|forgotten|neglected|overlooked|carelessly|mistakenly|accidentally"
    r"|should\s*(?:n[o']t\s*)?(?:have|'ve)|(?:was|were)\s+(?:too\s+|very\s+)?slow\s+to"
    r"|made\s+(?:a|an|the)\s+(?:\w+\s+)?(?:mistake|error|blunder)"
    r"|messed\s+up|screwed\s+up|botched|did\s*n[o']t\s+bother"
)
_AMBIGUOUS = r"failed\s+to|broke|missed|ignored"
MISTAKE = re.compile(rf"\b(?:(?P<human>{_HUMAN_ONLY})|(?P<other>{_AMBIGUOUS}))\b", re.IGNORECASE)
"""A mistake verb: `human` ones only people do, `other` ones systems do too."""
_MISTAKE_NOUN = r"(?:mistake|error|fault|blunder|oversight|slip)s?"
POSSESSIVE = re.compile(  # a name starts only where a run of [\w.-] does: linear time
    rf"(?P<who>(?<![\w.-])@?[\w.-]+)(?:[{QUOTES}]s|s[{QUOTES}])\s+"
    r"(?:\w+\s+)?(?:mistake|fault|blunder)s?\b"
)
"""'Priya's mistake'."""
NOUN_BY = re.compile(
    rf"\b{_MISTAKE_NOUN}\s+(?:made\s+|caused\s+)?(?:by|of)\s+(?P<who>@?[\w.-]+(?:\s+[A-Z][a-z]+)?)"
)
"""'an error by Priya'."""

Cues = tuple[tuple[tuple[str, ...], ...], ...]
"""Words every match of a pattern starts a word with (lower case): one of each tuple of a group."""
ALWAYS_CUES: Cues = (
    (("human", "operator", "user", "pilot"), ("error", "mistake")),
    (("careless", "negligen", "reckless", "slopp", "incompeten", "laz", "stupid", "idiot"),),
    (("ought", "fault", "blame", "finger", "dropped"),),
    (("careful", "vigilant", "attentive", "diligent", "cautious", "attention"),),
    (("remind", "tell", "ask", "instruct", "encourag"),),
)
MISTAKE_CUES: Cues = (
    (("made",), ("mistake", "error", "blunder")),
    (("forgot", "neglected", "overlooked", "careless", "mistaken", "accidental", "messed"),),
    (("screwed", "botched", "bother", "failed", "broke", "missed", "ignored"),),
    (("should", "slow"),),
)
POSSESSIVE_CUES: Cues = ((("mistake", "fault", "blunder"),),)
NOUN_BY_CUES: Cues = ((("mistake", "error", "fault", "blunder", "oversight", "slip"),),)

ANY_CUES: Cues = ALWAYS_CUES + MISTAKE_CUES + POSSESSIVE_CUES + NOUN_BY_CUES
"""Satisfied when at least one of the four patterns may match."""
_ALL_CUES = frozenset(cue for groups in ANY_CUES for words in groups for cue in words)


def _alternation(words: Iterable[str]) -> str:
    """A regex matching the longest of `words` at a position (a trie: one branch per letter)."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(words):
        by_first.setdefault(word[0], []).append(word[1:])
    branches = []
    for first, rests in by_first.items():
        longer = [rest for rest in rests if rest]
        inner = f"(?:{_alternation(longer)})" if longer else ""
        branches.append(first + (inner + "?" if longer and "" in rests else inner))
    return "|".join(branches)


CUE_AT_WORD_START = re.compile(rf"\b(?:{_alternation(_ALL_CUES)})")
"""The longest cue at each word start (a match also holds the shorter cues it starts with)."""
CUES_STARTING: dict[str, frozenset[str]] = {
    cue: frozenset(other for other in _ALL_CUES if cue.startswith(other)) for cue in _ALL_CUES
}
"""For each cue, every cue it starts with (itself included)."""
UNFOLDABLE = re.compile("[\u0130\u0131\u017f\u212a]")
"""The only characters that match an ASCII letter case-insensitively or change length or class
when lower-cased (dotted capital I, dotless i, long s, Kelvin sign): checked on every code point."""
BREAK = re.compile(r"[^\w\s'\u2019.@-]")
"""A character no blame pattern can match: a match never spans one."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ROLES = _words(
    "engineer engineers developer developers dev devs sysadmin admin administrator intern"
    " contractor technician employee hire reviewer approver on-call oncall on-caller he"
    " operator operators dba dbas sre sres lead manager responder assignee teammate colleague"
    " she him her someone somebody"
)
"""Words that name a person without a name (matched lower-cased)."""
NOT_NAMES = _words(
    "The A An It Its This That These Those There Then Than We Our Us They Their Them You"
    " Your I When While After Before Because Since If As At In On Of For From To With"
    " Without And But Or So Nobody No Not Everyone Everybody Nothing Also Only Both Each"
    " Every Some Once Later Finally However Meanwhile Although Though Why What Who How"
    " Where Which Here Today Yesterday Monday Tuesday Wednesday Thursday Friday Saturday"
    " Sunday"
)
"""Capitalised function words that open sentences, never names."""
SYSTEM_NOUNS = _words(
    "Alert Alerts Alerting Backup Build Cache Canary Change Check Cluster Code Config Cron"
    " Database Deploy Failover Gateway Job Pipeline Policy Probe Process Proxy Queue Release"
    " Rollback Rollout Scheduler Autoscaler Script Service System Team Test Tests Tooling Worker"
)
"""Capitalised words that start sentences about systems, never names."""
TECHNOLOGIES = _words(
    "Kubernetes Azure Terraform Ansible Redis Postgres Kafka Nginx Envoy Istio Linux Windows"
    " Cloudflare Akamai Fastly Jenkins Consul Vault Elasticsearch Zookeeper Prometheus Grafana"
    " Datadog Slack Jira Helm Argo Spinnaker Chef Puppet Lambda Cloudfront Route Dynamo"
    " Bigquery Spanner Cassandra Celery Sidekiq Node Java Python Ruby Rails Django Go Rust Google"
    " Amazon Microsoft Oracle Heroku Vercel Netlify Stripe Twilio Okta Kibana Logstash Fluentd"
    " Memcached Varnish Traefik Calico Cilium Vitess Snowflake Airflow Spark Hadoop Flink"
    " Pulsar Docker Podman Containerd Systemd Chrome Firefox Safari Android Cloud Cron Bind"
    " Gitlab Github Bitbucket Sentry Splunk Nagios Zabbix Opsgenie Pagerduty Statuspage Dns"
    " Actions Pages Functions Workers"  # product names ending in a common noun
)
"""Capitalised product names a sentence may start with: a system, never a person."""
NOT_NAME_SUFFIX = re.compile(r"(?:ing|tion|sion|ment|ness|ity)$")
PASSIVE = _words("is are was were be been being get gets got getting")
TRIM = ".," + QUOTES
TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")
WORD = re.compile(rf"@?[\w{QUOTES}.-]+")
SENTENCE_END = re.compile(r"[.!?;:](?:\s|$)|\n\s*\n")

# --- superficial analysis ---------------------------------------------------------------------

FILLER = re.compile(
    r"^(?:(?:the\s+)?root\s+cause\s+(?:was|is)\s+|it\s+was\s+|caused\s+by\s+|due\s+to\s+)?"
    r"(?:(?:a|an|the|simple|just|basic|plain|another)\s+)*"
)
"""Words before a root-cause label that do not change it ('it was just a ...')."""
SUPERFICIAL = frozenset(
    {
        "human error",
        "human mistake",
        "operator error",
        "user error",
        "code bug",
        "bug",
        "bug in the code",
        "bug in code",
        "software bug",
        "coding error",
        "coding mistake",
        "programming error",
        "code error",
        "mistake",
        "error",
        "typo",
        "configuration error",
        "config error",
        "misconfiguration",
        "bad deploy",
        "bad config",
    }
)
"""Root-cause summaries that are only a label, not a cause."""
