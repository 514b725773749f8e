"""The plugin's options: one validated model, and the one reader of them from mkdocs.yml."""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from .followup import DEFAULT_HORIZONS, FollowUp, Horizon
from .lint import DEFAULT_LEVELS, PUBLISHED_LEVELS, RULES, LintConfig, LintLevel
from .regulations import Regulation, RegulationRegistry
from .schema import Priority, Severity
from .sections import SECTIONS
from .settings import Settings

PLUGIN_NAME = "postmortem-kb"
"""The plugin's name in mkdocs.yml (its entry point)."""

_OURS = "postmortem_kb_option"
"""The pydantic error type of every check below: its message is already in our words."""


class OptionsError(ValueError):
    """Options that cannot be used: one line per problem, naming the file and the option."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError(_OURS, message)


# --- value checks: each accepts what YAML (or MkDocs) gives and says what it expects -----------


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("must be a non-empty text")
    return value.strip()


def _optional_text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _fail("must be a text")
    return value.strip()


def _folder(value: object) -> str:
    """A folder as text, or as MkDocs' `!relative $config_dir/...` (a path-like object)."""
    if isinstance(value, os.PathLike):
        try:
            value = os.fspath(value)
        except Exception:  # MkDocs' bare `!relative` only has a meaning in markdown_extensions
            raise _fail("must be a folder path") from None
    if not isinstance(value, str) or not value.strip():
        raise _fail("must be a folder path")
    return value.strip()


def _url_folder(value: object) -> str:
    folder = _text(value).strip("/")
    if not folder or any(part in ("", ".", "..") for part in folder.split("/")):
        raise _fail("must be a folder of the site, such as incidents")
    return folder


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail("must be true or false")
    return value


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail("must be a date (YYYY-MM-DD)")


def _days(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail("must be a whole number of days")
    return value


def _list_of(what: str, *, single: bool = False) -> Callable[[object], object]:
    """A list (or nothing: empty); `single` also takes one text as a list of one."""

    def check(value: object) -> object:
        if value is None:
            return ()
        if single and isinstance(value, str):
            return (value,)
        if not isinstance(value, list | tuple):
            raise _fail(f"must be a list of {what}")
        return value

    return check


def _mapping_of(what: str) -> Callable[[object], object]:
    """A mapping (or nothing: empty)."""

    def check(value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise _fail(f"must be a mapping of {what}")
        return value

    return check


def _rule_id(value: object) -> str:
    if isinstance(value, str) and value in RULES:
        return value
    raise _fail(f"unknown lint rule{_did_you_mean(value, RULES)}; rules: {', '.join(RULES)}")


def _level(value: object) -> LintLevel:
    # YAML 1.1 reads a bare `off` as false (and `on` as true, the default level).
    if value is False:
        return LintLevel.OFF
    if value is True:
        return LintLevel.WARNING
    if isinstance(value, str):
        try:
            return LintLevel(value.strip().lower())
        except ValueError:
            pass
    raise _fail("must be off, warning or error")


def _whole_days(value: object) -> int:
    days = _days(value)
    if days is None:
        raise _fail("must be a whole number of days")
    return days


def _priority(value: object) -> Priority:
    choices = [p.value for p in Priority if p is not Priority.UNKNOWN]  # no policy for unknown
    if isinstance(value, str) and value.strip().upper() in choices:
        return Priority(value.strip().upper())
    raise _fail(
        f"unknown priority{_did_you_mean(value, choices)}; priorities: {', '.join(choices)}"
    )


def _horizon(value: object) -> Horizon:
    if isinstance(value, Horizon):
        return value
    try:
        return Horizon.parse(value)
    except ValueError:
        raise _fail(
            "must be a horizon such as 1 business day, 7 days, 2 weeks or 1 month"
        ) from None


def _severity(value: object) -> Severity:
    choices = [s.value for s in Severity if s is not Severity.UNKNOWN]  # no rule for unknown
    if isinstance(value, str) and value.strip() in choices:
        return Severity(value.strip())
    raise _fail(
        f"unknown severity{_did_you_mean(value, choices)}; severities: {', '.join(choices)}"
    )


def _phrase(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("must be a phrase (non-empty text)")
    return " ".join(value.split())


def _optional_folder(value: object) -> str | None:
    """A folder, or `false`/null for none."""
    if value is None or value is False:
        return None
    return _folder(value)


def _workers(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail("must be a whole number of processes, 1 or more (or null: every core)")
    return value


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise _fail("must be a number of seconds above 0, at most 3600")
    return float(value)


Text = Annotated[str, BeforeValidator(_text)]
Folder = Annotated[str, BeforeValidator(_folder)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Date = Annotated[dt.date, BeforeValidator(_date)]
Days = Annotated[int | None, BeforeValidator(_days)]


def _section(value: object) -> str:
    if isinstance(value, str) and value in SECTIONS:
        return value
    raise _fail(f"unknown section{_did_you_mean(value, SECTIONS)}; sections: {', '.join(SECTIONS)}")


WholeDays = Annotated[int, BeforeValidator(_whole_days)]
RuleId = Annotated[str, BeforeValidator(_rule_id)]
SectionKey = Annotated[str, BeforeValidator(_section)]
Level = Annotated[LintLevel, BeforeValidator(_level)]
Phrase = Annotated[str, BeforeValidator(_phrase)]


class _Section(BaseModel):
    """A mapping of options: unknown keys are errors; nothing (`key:` alone) is all defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise _fail(f"must be a mapping of {', '.join(cls.model_fields)}")
        return value


class RegulationOptions(_Section):
    """One configured regulation (`regulations: {CODE: {...}}`)."""

    name: Text | None = None
    """Defaults to the code."""
    requirement: Annotated[str, BeforeValidator(_optional_text)] = ""
    notification_days: Days = None
    """Days from detection within which notice is due; none: no fixed deadline."""
    business_days: Flag = False
    industries: Annotated[tuple[Text, ...], BeforeValidator(_list_of("texts", single=True))] = ()

    def regulation(self, code: str) -> Regulation:
        """The regulation these options describe."""
        return Regulation(
            code=code,
            name=self.name or code,
            industries=self.industries,
            requirement=self.requirement,
            notification_days=self.notification_days,
            business_days=self.business_days,
        )


class LintOptions(_Section):
    """The blameless lint: rule levels and phrases never reported as blame."""

    rules: Annotated[
        dict[RuleId, Level], BeforeValidator(_mapping_of("lint rule ids to off, warning or error"))
    ] = Field(default_factory=dict)
    allow: Annotated[tuple[Phrase, ...], BeforeValidator(_list_of("phrases"))] = ()
    published: Annotated[
        dict[RuleId, Level], BeforeValidator(_mapping_of("lint rule ids to off, warning or error"))
    ] = Field(default_factory=dict)
    """Levels for `status: published` post-mortems (default: blame-language: error)."""

    def config(self) -> LintConfig:
        """The lint's configuration: the default levels with these ones applied."""
        return LintConfig(
            tuple({**DEFAULT_LEVELS, **self.rules}.items()),
            self.allow,
            tuple({**PUBLISHED_LEVELS, **self.published}.items()),
        )


class FollowUpOptions(_Section):
    """Follow-up of action items: due-date policy per priority, at-risk window, escalation,
    teams and the approval rule (core/followup.py)."""

    due: Annotated[
        dict[
            Annotated[Priority, BeforeValidator(_priority)],
            Annotated[Horizon, PlainValidator(_horizon)],
        ],
        BeforeValidator(_mapping_of("priorities (P0, P1, P2) to horizons")),
    ] = Field(default_factory=dict)
    """The policy date of an item without `due`, counted from `written`, per priority (the
    ones not given keep their default: P0 1 business day, P1 1 week, P2 1 month)."""
    at_risk_days: WholeDays = FollowUp.at_risk_days
    """An item not done is at risk when due within so many days."""
    escalate_after_days: WholeDays = FollowUp.escalate_after_days
    """`postmortem remind` escalates items overdue by more than so many days, by team."""
    teams: Annotated[
        dict[
            Text,
            Annotated[tuple[Text, ...], BeforeValidator(_list_of("members", single=True))],
        ],
        BeforeValidator(_mapping_of("teams to lists of members")),
    ] = Field(default_factory=dict)
    """Team name -> its members (owners or tracker assignees)."""
    approval: Annotated[
        tuple[Annotated[Severity, BeforeValidator(_severity)], ...],
        BeforeValidator(_list_of("severities", single=True)),
    ] = ()
    """Severities whose post-mortems need an `approved_by` entry before `published`."""

    def config(self) -> FollowUp:
        """The follow-up settings: the default policies with these ones applied."""
        return FollowUp(
            horizons=tuple({**DEFAULT_HORIZONS, **self.due}.items()),
            at_risk_days=self.at_risk_days,
            escalate_after_days=self.escalate_after_days,
            teams=tuple(self.teams.items()),
            approval=frozenset(self.approval),
        )


class Options(_Section):
    """Every option of the `postmortem-kb` plugin, as written under it in mkdocs.yml."""

    postmortems_dir: Folder = "postmortems"
    """Folder of post-mortem files, relative to mkdocs.yml."""
    url_prefix: Annotated[str, BeforeValidator(_url_folder)] = "incidents"
    """Folder of the generated incident pages within the site."""
    reference_date: Date | None = None
    """Pins 'today' for overdue action items; else SOURCE_DATE_EPOCH, else today (UTC)."""
    regulations: Annotated[
        dict[Text, RegulationOptions],
        BeforeValidator(_mapping_of("regulation codes to their settings")),
    ] = Field(default_factory=dict)
    """Regulations besides the built-in ones (a known code replaces the built-in one)."""
    include_drafts: Flag = True
    """False leaves `status: draft` post-mortems out of the site (they are still validated)."""
    lint: LintOptions = Field(default_factory=LintOptions)
    holidays: Annotated[tuple[Date, ...], BeforeValidator(_list_of("dates (YYYY-MM-DD)"))] = ()
    """Dates that are not business days (besides weekends), for SLOs and deadlines."""
    section_placement: Annotated[
        dict[Text, SectionKey],
        BeforeValidator(_mapping_of("headings to sections (summary, timeline, ... lessons)")),
    ] = Field(default_factory=dict)
    """Headings of the authors' own -> the section they are shown in (extends PLACEMENT)."""
    follow_up: FollowUpOptions = Field(default_factory=FollowUpOptions)
    cache_dir: Annotated[str | None, BeforeValidator(_optional_folder)] = ".cache/postmortem-kb"
    """Folder of the page and file caches kept across builds, beside mkdocs.yml (false: none)."""
    workers: Annotated[int | None, BeforeValidator(_workers)] = None
    """Processes that parse files and render pages (null: one per core; 1: the build's own)."""
    render_budget: Annotated[float, BeforeValidator(_seconds)] = 20.0
    """Seconds one page may take to render; a page over it is written without its bodies."""

    def registry(self) -> RegulationRegistry:
        """The built-in regulations extended by the configured ones."""
        return RegulationRegistry().extended(
            spec.regulation(code) for code, spec in self.regulations.items()
        )

    def settings(self, *, use_directory_urls: bool = True, preview: bool = False) -> Settings:
        """The runtime settings of a build or a validation with these options."""
        return Settings(
            reference_date=resolve_reference_date(self.reference_date),
            regulations=self.registry(),
            url_prefix=self.url_prefix,
            use_directory_urls=use_directory_urls,
            include_drafts=self.include_drafts,
            holidays=frozenset(self.holidays),
            section_placement=tuple(self.section_placement.items()),
            follow_up=self.follow_up.config(),
            preview=preview,
        )


def resolve_reference_date(pinned: dt.date | None = None) -> dt.date:
    """The build's reference date: a pinned date, else SOURCE_DATE_EPOCH, else today (UTC)."""
    if pinned is not None:
        return pinned
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


# --- validation and its messages ---------------------------------------------------------------


def validate_options(options: object, config_file: str | os.PathLike[str]) -> Options:
    """The plugin's options as the model, or OptionsError: one line per bad value.

    `options` is what mkdocs.yml holds under the plugin (as MkDocs or read_options read it).
    """
    try:
        return Options.model_validate({} if options is None else options)
    except ValidationError as exc:
        source = _shown(config_file)
        raise OptionsError(
            [f"{source}: {path}: {message}" for path, message in _lines(exc.errors())]
        ) from None


def _lines(errors: list[ErrorDetails]) -> Iterator[tuple[str, str]]:
    """(option path, message) for each error, in our words, never pydantic's."""
    for error in errors:
        loc = [str(part) for part in error["loc"] if part != "[key]"]
        about_key = "[key]" in error["loc"]  # the path already shows the key
        unknown = error["type"] in ("extra_forbidden", "invalid_key")  # invalid: not a text
        path = _path(error["loc"], last_is_key=about_key or unknown)
        if unknown:
            known = _known_keys(loc)
            message = f"unknown option{_did_you_mean(loc[-1], known)}; options: {', '.join(known)}"
        elif error["type"] == _OURS:
            got = "" if about_key else f" (got {_got(error['input'])})"
            message = f"{error['msg']}{got}"
        else:  # not expected: every value goes through a check above first
            message = f"is not a valid value (got {_got(error['input'])})"
        yield path, message


def _path(loc: tuple[int | str, ...], *, last_is_key: bool) -> str:
    """`plugins.postmortem-kb.regulations.GDPR.industries[0]`; odd keys quoted, on one line."""
    parts = [part for part in loc if part != "[key]"]
    text = f"plugins.{PLUGIN_NAME}"
    for index, part in enumerate(parts):
        if isinstance(part, int) and not (last_is_key and index == len(parts) - 1):
            text += f"[{part}]"
        elif isinstance(part, str) and part.isprintable() and part.strip() == part and part:
            text += f".{part}"
        else:
            text += f".{part!r}"
    return text


def _known_keys(loc: list[str]) -> list[str]:
    if len(loc) == 1:
        return list(Options.model_fields)
    if loc[0] == "lint" and len(loc) == 2:
        return list(LintOptions.model_fields)
    if loc[0] == "follow_up" and len(loc) == 2:
        return list(FollowUpOptions.model_fields)
    if loc[0] == "regulations" and len(loc) == 3:
        return list(RegulationOptions.model_fields)
    return []


def _did_you_mean(word: object, known: Mapping[str, object] | list[str]) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _got(value: object) -> str:
    if isinstance(value, os.PathLike):
        try:
            value = os.fspath(value)
        except Exception:  # MkDocs' bare `!relative` has no path outside markdown_extensions
            return "!relative"
    if isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, Mapping):
        text = "a mapping" if value else "an empty mapping"
    elif isinstance(value, list | tuple):
        text = f"a list of {len(value)}"
    elif value is None:
        text = "nothing"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shown(config_file: str | os.PathLike[str]) -> str:
    """The config file as the user knows it: relative to the working folder when inside it."""
    path = Path(config_file)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


# --- reading mkdocs.yml ------------------------------------------------------------------------


MKDOCS_EXTENSIONS = ("toc", "tables", "fenced_code")
"""The extensions MkDocs always converts with, before the site's own."""


@dataclass(frozen=True)
class SiteConfig:
    """What an engine-less tool (the CLI) needs of a mkdocs.yml besides the plugin's options."""

    options: Options = field(default_factory=Options)
    overrides: Path | None = None
    """The theme's `custom_dir`, whose `postmortem_kb/` folder overrides the package templates."""
    site_url: str = ""
    """The site's address (MkDocs' `site_url`); empty when not given."""
    use_directory_urls: bool = True
    """MkDocs' `use_directory_urls`: pages at `x/` (true) or `x.html` (false)."""
    site_name: str = "Post-mortems"
    """MkDocs' `site_name` (the home page's title)."""
    docs_dir: Path = Path("docs")
    """The hand-written pages (MkDocs' `docs_dir`, resolved against the config's folder)."""
    markdown_extensions: tuple[str, ...] = MKDOCS_EXTENSIONS
    """The Markdown extensions a MkDocs build converts pages with: MkDocs' own three, then the
    site's `markdown_extensions` in their order."""
    markdown_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Each extension's settings from `markdown_extensions` (absent: its defaults)."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """The whole mkdocs.yml as read (INHERIT merged, `!relative` resolved), for writing an
    engine's config from it."""

    def settings(self) -> Settings:
        """The runtime settings of a validation or a report with these options."""
        return self.options.settings(use_directory_urls=self.use_directory_urls)


def read_options(config_file: Path) -> Options:
    """The plugin's options in a mkdocs.yml, as MkDocs would give them to the plugin.

    Reads `INHERIT`, `!ENV` and `!relative $config_dir/...` as MkDocs does, takes `plugins` as a
    list of names and one-key mappings or as a mapping, and validates what is under
    `postmortem-kb` (defaults when it is absent). OptionsError when any of it is unusable.
    """
    return read_site_config(config_file).options


def read_site_config(config_file: Path) -> SiteConfig:
    """The plugin's options (see `read_options`) and the site settings the CLI uses: the theme's
    `custom_dir`, `site_url` and `use_directory_urls`, each as MkDocs reads it."""
    source = _shown(config_file)
    data = _load(config_file, source, seen=())
    theme = data.get("theme")
    custom_dir = theme.get("custom_dir") if isinstance(theme, Mapping) else None
    overrides = config_file.parent / custom_dir if isinstance(custom_dir, str) else None
    site_url = data.get("site_url")
    directory_urls = data.get("use_directory_urls", True)
    site_name = data.get("site_name")
    docs_dir = data.get("docs_dir", "docs")
    lines = []
    if not isinstance(site_name, str | None):
        lines.append(f"{source}: site_name: must be text (got {_got(site_name)})")
    if not isinstance(docs_dir, str) or not docs_dir:
        lines.append(f"{source}: docs_dir: must be a folder (got {_got(docs_dir)})")
    extensions, configs = _markdown_extensions(data, config_file, source, lines)
    if site_url is not None and not isinstance(site_url, str):
        lines.append(f"{source}: site_url: must be a URL (got {_got(site_url)})")
    if not isinstance(directory_urls, bool):
        lines.append(
            f"{source}: use_directory_urls: must be true or false (got {_got(directory_urls)})"
        )
    try:
        options = _plugin_options(data, config_file, source)
    except OptionsError as exc:
        lines += exc.lines
    if lines:
        raise OptionsError(lines)
    return SiteConfig(
        options,
        overrides,
        (site_url or "").strip(),
        directory_urls,
        site_name=site_name or "Post-mortems",
        docs_dir=config_file.parent / str(docs_dir),
        markdown_extensions=extensions,
        markdown_configs=configs,
        data=_resolved_mapping(data, config_file),
    )


def _resolved_mapping(data: dict[str, Any], config_file: Path) -> dict[str, Any]:
    """The whole config with every `!relative` given its base folder (`_resolve`)."""
    resolved = _resolve(data, config_file, data)
    assert isinstance(resolved, dict)
    return resolved


def _markdown_extensions(
    data: Mapping[str, Any], config_file: Path, source: str, lines: list[str]
) -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """MkDocs' `markdown_extensions`: names and one-key mappings `{name: settings}` (or one
    mapping of them), after MkDocs' own three; bad entries are added to `lines`."""
    entries = data.get("markdown_extensions") or []
    if isinstance(entries, Mapping):
        entries = [{name: value} for name, value in entries.items()]
    if not isinstance(entries, list):
        lines.append(f"{source}: markdown_extensions: must be a list of extensions")
        return MKDOCS_EXTENSIONS, {}
    names = list(MKDOCS_EXTENSIONS)
    configs: dict[str, dict[str, Any]] = {}
    for number, entry in enumerate(entries, start=1):
        if isinstance(entry, Mapping) and len(entry) == 1:
            name, settings = next(iter(entry.items()))
        else:
            name, settings = entry, None
        if not isinstance(name, str) or not isinstance(settings, Mapping | None):
            lines.append(
                f"{source}: markdown_extensions: entry {number} must be a name or"
                f" {{name: settings}} (got {_got(entry)})"
            )
            continue
        if name not in names:
            names.append(name)
        if settings:
            resolved = _resolve(dict(settings), config_file, data)
            assert isinstance(resolved, dict)
            configs[name] = resolved
    return tuple(names), configs


def _plugin_options(data: Mapping[str, Any], config_file: Path, source: str) -> Options:
    plugins = data.get("plugins")
    if isinstance(plugins, Mapping):
        plugins = [{name: value} for name, value in plugins.items()]
    elif plugins is None:
        plugins = []
    elif not isinstance(plugins, list):
        raise OptionsError([f"{source}: plugins: must be a list or a mapping of plugins"])
    for entry in plugins:
        if entry == PLUGIN_NAME:
            return validate_options({}, config_file)
        if isinstance(entry, Mapping) and PLUGIN_NAME in entry:
            options = entry[PLUGIN_NAME]
            if isinstance(options, Mapping):
                options = {k: _resolve(v, config_file, data) for k, v in options.items()}
                options.pop("enabled", None)  # MkDocs' own switch, for every plugin
            return validate_options(options, config_file)
    return Options()


def _load(config_file: Path, source: str, seen: tuple[Path, ...]) -> dict[str, Any]:
    if config_file.resolve() in seen:
        raise OptionsError([f"{source}: INHERIT: {config_file} inherits from itself"])
    try:
        text = config_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise OptionsError(
            [f"{source}: cannot read {config_file}: {exc.strerror or exc}"]
        ) from None
    except UnicodeDecodeError:
        raise OptionsError([f"{source}: cannot read {config_file}: not UTF-8 text"]) from None
    try:
        data = yaml.load(text, Loader=_ConfigLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{config_file.as_posix()}:{mark.line + 1}" if mark else config_file.as_posix()
        problem = getattr(exc, "problem", None) or exc
        raise OptionsError([f"{where}: not valid YAML: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OptionsError([f"{source}: must be a mapping of MkDocs settings"])
    parent = data.pop("INHERIT", None)
    if parent is None:
        return data
    parent_file = Path(os.path.normpath(config_file.parent / str(parent)))
    return _merged(_load(parent_file, source, (*seen, config_file.resolve())), data)


def _merged(parent: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """MkDocs' INHERIT: mappings merge key by key, the child's other values replace."""
    for key, value in child.items():
        if isinstance(value, Mapping) and isinstance(parent.get(key), Mapping):
            parent[key] = _merged(dict(parent[key]), value)
        else:
            parent[key] = value
    return parent


class _Relative(os.PathLike[str]):
    """MkDocs' `!relative`: a folder relative to mkdocs.yml or docs_dir, known after reading."""

    def __init__(self, base: str | None, suffix: str) -> None:
        self.base, self.suffix = base, suffix

    def __fspath__(self) -> str:
        if self.base is None:
            raise ValueError("!relative without $config_dir or $docs_dir")
        return os.path.join(self.base, self.suffix)


def _resolve(value: object, config_file: Path, data: Mapping[str, Any]) -> object:
    """Give each `!relative` its base folder, as MkDocs does when the plugin reads it."""
    if isinstance(value, _Relative) and value.base in ("$config_dir", "$docs_dir"):
        config_dir = os.path.dirname(config_file)
        if value.base == "$config_dir":
            return _Relative(config_dir, value.suffix)
        docs_dir = data.get("docs_dir")
        docs = docs_dir if isinstance(docs_dir, str) else "docs"
        return _Relative(os.path.abspath(os.path.join(config_dir, docs)), value.suffix)
    if isinstance(value, Mapping):
        return {k: _resolve(v, config_file, data) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, config_file, data) for v in value]
    return value


def _construct_env(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """`!ENV NAME` or `!ENV [NAME, OTHER, default]`: the first variable set, else the default."""
    default: object = None
    if isinstance(node, yaml.ScalarNode):
        names = [loader.construct_scalar(node)]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
        if len(children) > 1:
            default = loader.construct_object(children[-1])
            children = children[:-1]
        names = [loader.construct_scalar(child) for child in children]
    else:
        raise yaml.constructor.ConstructorError(
            None, None, "!ENV takes a variable name or a list of them", node.start_mark
        )
    for name in names:
        if str(name) in os.environ:
            value = os.environ[str(name)]
            tag = loader.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
            return loader.construct_object(yaml.ScalarNode(tag, value))
    return default


def _construct_relative(loader: yaml.SafeLoader, node: yaml.Node) -> _Relative:
    value = str(loader.construct_scalar(node) or "") if isinstance(node, yaml.ScalarNode) else ""
    prefix, _, suffix = value.partition("/")
    if prefix in ("$config_dir", "$docs_dir"):
        return _Relative(prefix, suffix)
    if not value:  # MkDocs (1.6) gives a plugin option written as a bare `!relative` docs_dir
        return _Relative("$docs_dir", "")
    return _Relative(None, value)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """A date as YAML reads it; one that is no date (2026-13-45) stays text for the model."""
    assert isinstance(node, yaml.ScalarNode)  # the timestamp tag is only ever on a scalar
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


class _ConfigLoader(yaml.SafeLoader):
    """A safe loader with MkDocs' tags; other tags (`!!python/name:...`) read as nothing."""


_ConfigLoader.add_constructor("!ENV", _construct_env)
_ConfigLoader.add_constructor("!relative", _construct_relative)
_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
