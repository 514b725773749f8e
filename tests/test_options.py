"""The plugin's options: one model, read the same by `mkdocs build` and `postmortem`, with errors
that name mkdocs.yml and the option; and the README's plugin example builds as written."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, build_site, copy_examples
from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.config import load_config
from postmortem_kb.core.lint import LintLevel
from postmortem_kb.core.options import (
    Options,
    OptionsError,
    read_options,
    read_site_config,
    validate_options,
)
from test_cli import run

PLUGIN = "      postmortems_dir: postmortems\n"


def configure(project: Path, options: str) -> None:
    """Add `options` (YAML, written at the plugin's level) under the plugin in mkdocs.yml, in
    place of what mkdocs.yml sets for the same options."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert PLUGIN in text
    for key in re.findall(r"^(\w+):", options, re.MULTILINE):  # one option: its line and block
        text = re.sub(rf"^      {key}:.*\n(?:        .*\n|\s*\n)*", "", text, flags=re.MULTILINE)
    indented = "".join(f"      {line}\n" for line in options.splitlines())
    config.write_text(text.replace(PLUGIN, PLUGIN + indented), encoding="utf-8")


# --- every bad value: one line of ours, from the build and from the CLI ------------------------

BAD = {
    "regulation-not-a-mapping": (
        'regulations:\n  GDPR: "text"',
        "regulations.GDPR: must be a mapping of name, requirement, notification_days,"
        " business_days, industries (got 'text')",
    ),
    "days-in-words": (
        "regulations:\n  GDPR:\n    name: GDPR\n    notification_days: three",
        "regulations.GDPR.notification_days: must be a whole number of days (got 'three')",
    ),
    "days-fraction": (
        "regulations:\n  GDPR:\n    notification_days: 2.5",
        "regulations.GDPR.notification_days: must be a whole number of days (got 2.5)",
    ),
    "no-such-date": (
        'reference_date: "2026-13-45"',
        "reference_date: must be a date (YYYY-MM-DD) (got '2026-13-45')",
    ),
    "holiday-not-a-date": (
        "holidays: [nope]",
        "holidays[0]: must be a date (YYYY-MM-DD) (got 'nope')",
    ),
    "unknown-option": (
        "holiday: [2026-12-25]",
        "holiday: unknown option (did you mean holidays?); options: postmortems_dir,",
    ),
    "lint-level": (
        "lint:\n  rules:\n    few-whys: errror",
        "lint.rules.few-whys: must be off, warning or error (got 'errror')",
    ),
    "follow-up-horizon": (
        "follow_up:\n  due: {P0: 1 business day, P1: soonish}",
        "follow_up.due.P1: must be a horizon such as 1 business day, 7 days, 2 weeks or 1 month"
        " (got 'soonish')",
    ),
    "follow-up-priority": (
        "follow_up:\n  due: {P3: 2 weeks}",
        "follow_up.due.P3: unknown priority; priorities: P0, P1, P2",
    ),
    "follow-up-approval": (
        "follow_up:\n  approval: [SEV-1, SEV2]",
        "follow_up.approval[1]: unknown severity (did you mean SEV-2?); severities: SEV-1,"
        " SEV-2, SEV-3, near-miss (got 'SEV2')",
    ),
    "follow-up-days": (
        "follow_up:\n  at_risk_days: soon",
        "follow_up.at_risk_days: must be a whole number of days (got 'soon')",
    ),
    "follow-up-teams": (
        "follow_up:\n  teams: {team-payments: {priya: lead}}",
        "follow_up.teams.team-payments: must be a list of members (got a mapping)",
    ),
    "follow-up-unknown": (
        "follow_up:\n  escalate_after: 7",
        "follow_up.escalate_after: unknown option (did you mean escalate_after_days?); options:"
        " due, at_risk_days, escalate_after_days, teams, approval",
    ),
    "lint-rule": (
        "lint:\n  rules:\n    few-why: error",
        "lint.rules.few-why: unknown lint rule (did you mean few-whys?); rules: placeholder,",
    ),
}


def our_lines(output: str) -> list[str]:
    """Lines naming an option of the plugin, from `mkdocs.yml: plugins.postmortem-kb` on."""
    return [
        line[line.index("mkdocs.yml: plugins.") :]
        for line in output.splitlines()
        if "mkdocs.yml: plugins." in line
    ]


@pytest.mark.parametrize("case", BAD)
def test_a_bad_value_is_one_line_from_the_build_and_from_the_cli(project: Path, case: str) -> None:
    options, message = BAD[case]
    configure(project, options)
    expected = f"mkdocs.yml: plugins.postmortem-kb.{message}"

    build = build_site(project)
    assert build.returncode != 0
    assert "Traceback" not in build.log
    [from_build] = our_lines(build.log)
    assert from_build.startswith(expected), build.log
    assert not (project / "site").exists()

    cli = run(project, "validate")
    assert cli.returncode == 2
    assert "Traceback" not in cli.stderr
    assert cli.stderr.splitlines() == [f"postmortem: error: {from_build}"]


def test_a_date_yaml_cannot_read_is_named_by_the_cli(project: Path) -> None:
    # Unquoted, 2026-13-45 looks like a YAML date. MkDocs reads mkdocs.yml itself before any
    # plugin runs, so only the CLI (our reader) can name it; quoted, both do (BAD above).
    configure(project, "reference_date: 2026-13-45\nholidays: [2026-02-30]")
    cli = run(project, "validate")
    assert cli.returncode == 2
    assert cli.stderr.splitlines() == [
        "postmortem: error: mkdocs.yml: plugins.postmortem-kb.reference_date:"
        " must be a date (YYYY-MM-DD) (got '2026-13-45')",
        "postmortem: error: mkdocs.yml: plugins.postmortem-kb.holidays[0]:"
        " must be a date (YYYY-MM-DD) (got '2026-02-30')",
    ]


BAD_VALUES = (
    ("postmortems_dir", 3),
    ("url_prefix", "../elsewhere"),
    ("include_drafts", "no"),
    ("regulations", {"ACME": {"industries": ["saas", 7], "business_days": "yes"}}),
    ("lint", ["rules"]),
    ("holidays", "2026-12-25"),
)


def test_every_bad_value_gets_its_own_line() -> None:
    options = dict(BAD_VALUES)
    with pytest.raises(OptionsError) as caught:
        validate_options(options, "mkdocs.yml")
    paths = [line.split(": ")[1] for line in caught.value.lines]
    assert paths == [
        "plugins.postmortem-kb.postmortems_dir",
        "plugins.postmortem-kb.url_prefix",
        "plugins.postmortem-kb.regulations.ACME.business_days",
        "plugins.postmortem-kb.regulations.ACME.industries[1]",
        "plugins.postmortem-kb.include_drafts",
        "plugins.postmortem-kb.lint",
        "plugins.postmortem-kb.holidays",
    ]
    assert all(line.startswith("mkdocs.yml: plugins.postmortem-kb.") for line in caught.value.lines)


@pytest.mark.parametrize(
    ("lint", "line"),
    [
        ({"rules": {"no-blame": "error"}}, "lint.rules.no-blame: unknown lint rule; rules: "),
        ({"rules": {"few-whys": "loud"}}, "lint.rules.few-whys: must be off, warning or error"),
        ({"rules": ["few-whys"]}, "lint.rules: must be a mapping of lint rule ids to off,"),
        ({"allow": "human error"}, "lint.allow: must be a list of phrases (got 'human error')"),
        ({"allow": ["ok", " "]}, "lint.allow[1]: must be a phrase (non-empty text) (got ' ')"),
        ({"rule": {}}, "lint.rule: unknown option (did you mean rules?); options: rules, allow"),
    ],
)
def test_bad_lint_options_are_explained(lint: object, line: str) -> None:
    with pytest.raises(OptionsError) as caught:
        validate_options({"lint": lint}, "mkdocs.yml")
    [only] = caught.value.lines
    assert only.startswith(f"mkdocs.yml: plugins.postmortem-kb.{line}")


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["2026-01-01", "2026-13-45", "off", "error", "few-whys", "GDPR", "/x/", "2 weeks", "SEV-1"]
    ),
    st.dates(),
    st.datetimes(),
)
KEYS = [
    *Options.model_fields,
    *("rules", "allow", "name", "notification_days", "industries"),
    *("due", "P0", "P2", "at_risk_days", "escalate_after_days", "teams", "approval"),
]
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(max_size=8) | st.integers(), inner, max_size=3
        )
    ),
    max_leaves=12,
)


OUR_LINE = re.compile(r"mkdocs\.yml: plugins\.postmortem-kb.*?: (must be |unknown )")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(options=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), values, max_size=4))
def test_no_option_value_gives_anything_but_our_lines(options: dict[object, object]) -> None:
    try:
        validate_options(options, "mkdocs.yml")
    except OptionsError as exc:
        assert exc.lines
        for line in exc.lines:  # every error mapped to a message of ours, on one line
            assert OUR_LINE.match(line) and line.isprintable(), line


# --- accepted forms ----------------------------------------------------------------------------


def test_dates_are_dates_whether_yaml_or_text() -> None:
    as_date = validate_options(
        {"reference_date": dt.date(2026, 1, 1), "holidays": [dt.date(2026, 12, 25)]}, "m.yml"
    )
    as_text = validate_options(
        {"reference_date": "2026-01-01", "holidays": [" 2026-12-25 "]}, "m.yml"
    )
    assert as_date == as_text
    assert as_date.settings().reference_date == dt.date(2026, 1, 1)
    assert as_date.settings().holidays == {dt.date(2026, 12, 25)}


def test_accepted_forms_become_the_runtime_objects() -> None:
    options = validate_options(
        {
            "url_prefix": "/pm/",
            "regulations": {"GDPR": {"notification_days": 3, "industries": "saas"}, "NIS2": None},
            "lint": {"rules": {"few-whys": False, "blame-language": "ERROR"}, "allow": ["a  b"]},
            "holidays": None,
        },
        "mkdocs.yml",
    )
    assert options.url_prefix == "pm"
    registry = options.registry()
    gdpr = registry.lookup("gdpr")
    assert gdpr is not None and (gdpr.name, gdpr.industries) == ("GDPR", ("saas",))
    assert gdpr.deadline_text == "3 calendar days after detection"
    nis2 = registry.lookup("NIS2")
    assert nis2 is not None and nis2.deadline_text == "no fixed deadline"
    assert registry.lookup("SOX") is not None  # the built-in ones stay
    lint = options.lint.config()
    assert lint.level("few-whys") is LintLevel.OFF  # YAML reads a bare `off` as false
    assert lint.level("blame-language") is LintLevel.ERROR
    assert lint.level("placeholder") is LintLevel.ERROR  # a default kept
    assert lint.allow == ("a b",)
    assert options.holidays == ()


def test_section_placement_maps_headings_to_known_sections() -> None:
    options = validate_options({"section_placement": {"Customer comms": "impact"}}, "mkdocs.yml")
    assert options.settings().section_placement == (("Customer comms", "impact"),)
    with pytest.raises(OptionsError) as caught:
        validate_options({"section_placement": {"Comms": "impacts"}}, "mkdocs.yml")
    assert caught.value.lines == [
        "mkdocs.yml: plugins.postmortem-kb.section_placement.Comms: unknown section (did you"
        " mean impact?); sections: summary, timeline, impact, root_cause, factors, went,"
        " actions, lessons (got 'impacts')"
    ]


# --- one reader: the CLI reads mkdocs.yml as MkDocs gives it to the plugin ---------------------

SITES = {
    "list-env-dates": (
        "plugins:\n"
        "  - search\n"
        "  - postmortem-kb:\n"
        "      postmortems_dir: !ENV [PMKB_TEST_DIR, postmortems]\n"
        "      reference_date: !ENV PMKB_TEST_DATE\n"
        "      holidays: [2026-12-25, '2026-12-24']\n"
        "      regulations: {GDPR: {name: General Data Protection Regulation,"
        " notification_days: 3, industries: [saas]}}\n"
        "      lint: {rules: {few-whys: off}, allow: ['Kubernetes  failed to']}\n",
        {"postmortems_dir": "from-env", "reference_date": dt.date(2026, 1, 1)},
    ),
    "mapping": (
        "plugins:\n  search: {}\n  postmortem-kb:\n"
        "    url_prefix: /pm/\n    include_drafts: false\n",
        {"url_prefix": "pm", "include_drafts": False},
    ),
    "name-only": ("plugins:\n  - search\n  - postmortem-kb\n", {}),
    "inherit": (
        "INHERIT: base.yml\nplugins:\n  - postmortem-kb:\n      url_prefix: kb\n",
        {"url_prefix": "kb", "postmortems_dir": "postmortems"},
    ),
    "inherit-plugins": ("INHERIT: base.yml\n", {"url_prefix": "base"}),
    "relative": (
        "plugins:\n  - postmortem-kb:\n      postmortems_dir: !relative $config_dir/pm\n",
        {"postmortems_dir": "<config_dir>/pm"},
    ),
    "relative-docs": (
        "plugins:\n  - postmortem-kb:\n      postmortems_dir: !relative $docs_dir/pm\n",
        {"postmortems_dir": "<config_dir>/docs/pm"},
    ),
    "relative-bare": (
        "plugins:\n  - postmortem-kb:\n      postmortems_dir: !relative\n",
        {"postmortems_dir": "<config_dir>/docs/"},
    ),
}


@pytest.mark.parametrize("site", SITES)
def test_the_cli_and_the_plugin_read_the_same_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: str
) -> None:
    text, expected = SITES[site]
    monkeypatch.setenv("PMKB_TEST_DIR", "from-env")
    monkeypatch.setenv("PMKB_TEST_DATE", "2026-01-01")
    (tmp_path / "docs").mkdir()
    (tmp_path / "base.yml").write_text(
        "site_name: Base\nplugins:\n  - postmortem-kb:\n      url_prefix: base\n", encoding="utf-8"
    )
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(f"site_name: Options\n{text}", encoding="utf-8")

    plugin = load_config(str(config_file)).plugins["postmortem-kb"]
    from_cli = read_options(config_file)
    assert from_cli == plugin.options  # type: ignore[attr-defined]
    assert from_cli.settings() == plugin.options.settings()  # type: ignore[attr-defined]
    for name, value in expected.items():
        if isinstance(value, str):
            value = value.replace("<config_dir>", str(tmp_path))
        assert getattr(from_cli, name) == value
    if not expected:
        assert from_cli == Options()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("plugins: [\n", "mkdocs.yml:2: not valid YAML: "),
        ("- search\n", "mkdocs.yml: must be a mapping of MkDocs settings"),
        ("plugins: postmortem-kb\n", "mkdocs.yml: plugins: must be a list or a mapping of plugins"),
        ("INHERIT: mkdocs.yml\n", "mkdocs.yml: INHERIT: mkdocs.yml inherits from itself"),
        ("INHERIT: base.yml\n", "mkdocs.yml: cannot read base.yml: "),
        ("use_directory_urls: maybe\n", "mkdocs.yml: use_directory_urls: must be true or false"),
        ("site_url: [a, b]\n", "mkdocs.yml: site_url: must be a URL (got a list of 2)"),
        (
            "markdown_extensions: [toc, [a, b]]\n",
            "mkdocs.yml: markdown_extensions: entry 2 must be a name or {name: settings}",
        ),
        ("markdown_extensions: admonition\n", "mkdocs.yml: markdown_extensions: must be a list"),
        (
            "plugins:\n  - postmortem-kb:\n      postmortems_dir: !relative ../pm\n",
            "mkdocs.yml: plugins.postmortem-kb.postmortems_dir: must be a folder path"
            " (got !relative)",
        ),
    ],
)
def test_a_mkdocs_yml_the_reader_cannot_use_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mkdocs.yml").write_text(text, encoding="utf-8")
    with pytest.raises(OptionsError) as caught:
        read_options(Path("mkdocs.yml"))
    [only] = caught.value.lines
    assert only.startswith(line)


def test_the_cli_reads_the_sites_urls_as_mkdocs_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMKB_TEST_URL", "https://kb.acme.example/pm/")
    (tmp_path / "docs").mkdir()
    (tmp_path / "base.yml").write_text(
        "site_name: Base\nsite_url: !ENV PMKB_TEST_URL\nuse_directory_urls: false\n",
        encoding="utf-8",
    )
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text("INHERIT: base.yml\nplugins: [postmortem-kb]\n", encoding="utf-8")
    mkdocs = load_config(str(config_file))
    site = read_site_config(config_file)
    assert site.site_url == mkdocs.site_url == "https://kb.acme.example/pm/"
    assert site.use_directory_urls is mkdocs.use_directory_urls is False
    assert site.settings().use_directory_urls is False
    (tmp_path / "base.yml").write_text("site_name: Base\n", encoding="utf-8")
    assert (
        read_site_config(config_file).site_url,
        read_site_config(config_file).use_directory_urls,
    ) == (
        "",
        True,
    )


@pytest.mark.parametrize(
    "extensions",
    [
        "markdown_extensions:\n  - admonition\n  - toc:\n      permalink: true\n  - tables\n",
        "markdown_extensions:\n  pymdownx.highlight: {linenums: true}\n  attr_list:\n",
        "",
    ],
)
def test_the_markdown_extensions_are_read_as_mkdocs_reads_them(
    tmp_path: Path, extensions: str
) -> None:
    (tmp_path / "docs").mkdir()
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(f"site_name: S\n{extensions}", encoding="utf-8")
    mkdocs = load_config(str(config_file))
    site = read_site_config(config_file)
    assert list(site.markdown_extensions) == mkdocs.markdown_extensions
    assert site.markdown_configs == mkdocs.mdx_configs
    assert site.site_name == "S" and site.docs_dir == tmp_path / "docs"


# --- the README's plugin example --------------------------------------------------------------


def readme_plugin_example() -> str:
    """The YAML block of the README's section 'Using the plugin in another repository'."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Using the plugin in another repository\n", 1)[1]
    match = re.search(r"^```yaml\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)
    assert match is not None, "the README's plugin section has no YAML block"
    return match.group(1)


def test_the_readme_plugin_example_builds_as_written(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(readme_plugin_example(), encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "postmortems").mkdir()
    for copy in copy_examples(tmp_path):  # one incident cites the regulation the example adds
        text = copy.read_text(encoding="utf-8")
        copy.write_text(text.replace("regulations: [HIPAA]", "regulations: [HIPAA, GDPR]"))
    build = build_site(tmp_path)
    assert build.returncode == 0, build.log

    options = read_options(tmp_path / "mkdocs.yml")
    assert options.reference_date == dt.date(2026, 1, 1)
    # The pinned date wins over SOURCE_DATE_EPOCH (which the test build sets to 2025-11-23).
    quarters = json.loads((build.site / "data/quarters.json").read_text(encoding="utf-8"))
    assert quarters["reference_date"] == "2026-01-01"
    gdpr = build.page("regulations/gdpr/")
    assert "General Data Protection Regulation" in gdpr
    assert "3 calendar days after detection" in gdpr
    drafts = {
        "-".join(p.stem.split("-")[:3]).lower(): "\nstatus: draft\n" in p.read_text()
        for p in EXAMPLES.glob("*.md")
    }
    assert sorted(set(drafts.values())) == [False, True], "the examples need drafts and others"
    for incident_id, draft in drafts.items():
        assert (build.site / options.url_prefix / incident_id).exists() is not draft, incident_id
    shutil.rmtree(build.site)
