"""The loader: front matter split from the body, YAML loaded safely, every key's line known."""

from __future__ import annotations

import dataclasses
import gc
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, scaled
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.core import loader
from postmortem_kb.core.corpus import load_corpus
from postmortem_kb.core.loader import LoadError, parse_document, read_document


def parse(text: str):
    return parse_document(text, Path("x.md"), "x.md")


def test_splits_front_matter_and_body_with_lines() -> None:
    doc = parse("---\nid: A\nimpact:\n  users_affected: 3\nlist:\n  - a\n  - b\n---\nBody\n")
    assert doc.data["impact"] == {"users_affected": 3}
    assert doc.body.strip() == "Body"
    assert doc.body_line == 9
    assert doc.lines[("id",)] == 2
    assert doc.lines[("impact", "users_affected")] == 4
    assert doc.lines[("list", 1)] == 7
    assert doc.line_of(("impact", "missing_key")) == 3


def test_timestamps_stay_text_for_the_schema() -> None:
    doc = parse("---\nstarted: 2025-03-04T14:02:00Z\nwritten: 2025-03-05\n---\n")
    assert doc.data == {"started": "2025-03-04T14:02:00Z", "written": "2025-03-05"}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "file is empty"),
        ("id: A\n", 1, "no front matter"),
        ("---\nid: A\n", 1, "not closed"),
        ("---\nid: A\nid: B\n---\n", 3, "duplicate key (first given on line 2)"),
        ("---\na: &x [1]\nb: *x\n---\n", 3, "aliases"),
        ("---\nid: !!python/object/apply:os.system [ls]\n---\n", 2, "YAML error"),
        ("---\ntitle: [open\nid: A\n---\n", 3, "YAML error"),
        ("---\n- a\n- b\n---\n", 2, "must be a mapping"),
    ],
)
def test_bad_front_matter_is_reported_with_its_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(LoadError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert problem.line == line
    assert fragment in problem.message
    assert problem.format().startswith(f"x.md:{line}: ")


def test_reads_bom_crlf_and_rejects_non_utf8(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_bytes(b"\xef\xbb\xbf---\r\nid: A\r\n---\r\nBody\r\n")
    assert read_document(good, "good.md").data == {"id": "A"}
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\nid: A\ntitle: caf\xe9\n---\n")
    with pytest.raises(LoadError) as caught:
        read_document(bad, "bad.md")
    assert caught.value.problems[0].format() == (
        "bad.md:3: file: not valid UTF-8 (byte 0xe9); save as UTF-8"
    )


# --- the one-walk tree builder gives what PyYAML's own resolver and constructor give -------------


class _PyYAML(loader._BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's safe resolver and constructor, with the front matter's resolvers (reference)."""

    yaml_implicit_resolvers = loader.FrontMatterLoader.yaml_implicit_resolvers


SCALARS = ["x", "1", "-0x1F", "0o17", "0b_", "1_000", "1.5", "-.inf", ".NaN", "1e3", "12:30"]
SCALARS += ["true", "Yes", "off", "null", "~", "''", '"7"', "2025-03-04", "=", "<<", "ünï"]
SCALARS += ["!!str 5", "!!int '7'", "!!float 1", "!!bool yes", "!!null x", "!!binary aGk="]
SCALARS += ["!!timestamp 2025-03-04", "!local v", "!!set {a}", "!!omap [a: 1]", "[a, 1]", "{b: 2}"]
WALK_PROBLEMS = ("duplicate key", "keys must be plain names")


@settings(max_examples=scaled(400), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "1", "0x1", "k k", "'q'", "[k]"]), st.sampled_from(SCALARS)
        ),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_values_are_what_pyyaml_constructs(pairs: list[tuple[str, str]], nested: bool) -> None:
    lines = [f"{key}: {value}" for key, value in pairs]
    text = "\n".join(["top:", *("  " + line for line in lines)] if nested else lines) + "\n"
    try:
        expected: object = repr(yaml.load(text, Loader=_PyYAML))
    except (yaml.YAMLError, ValueError):  # both reported as a YAML error
        expected = LoadError
    try:
        data, _ = loader.load_yaml(text, "x.md")
    except LoadError as exc:
        if not any(p.message.startswith(WALK_PROBLEMS) for p in exc.problems):
            assert expected is LoadError  # a constructor error, reported like PyYAML's
    else:
        assert repr(data) == expected


def test_lines_of_number_keys_and_unusual_tags() -> None:
    data, lines = loader.load_yaml("1: a\nb: !!set {x}\nc: [!!binary aGk=]\n", "x.md")
    assert data == {1: "a", "b": {"x"}, "c": [b"hi"]}
    assert lines == {("1",): 1, ("b",): 2, ("b", "x"): 2, ("c",): 3, ("c", 0): 3}


@pytest.mark.parametrize("value", ["", "x", "1", "0x_", "1.5", ".inf", "yes", "Null", "~", "="])
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False)])
def test_resolver_gives_pyyamls_tag(value: str, implicit: tuple[bool, bool]) -> None:
    ours = loader.FrontMatterLoader("")
    theirs = _PyYAML("")
    for kind in (yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode):
        assert ours.resolve(kind, value, implicit) == theirs.resolve(kind, value, implicit)


# --- a loaded corpus goes straight to the collector's oldest generation --------------------------


def test_loaded_files_are_aged_unless_the_program_froze_objects(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "INC-1.md")
    model = load_corpus(tmp_path).incidents[0].model
    assert any(o is model for o in gc.get_objects(generation=2))
    program_object: list[object] = []
    program_object.append(program_object)  # a cycle, so the collector tracks it
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        load_corpus(tmp_path)
        # The program's frozen object stays frozen (frozen objects are in no generation), and
        # nothing loaded joins them. The count may drop: a frozen object can still be freed.
        assert not any(o is program_object for o in gc.get_objects())
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_incident_id_and_key_follow_the_model(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "INC-1.md")
    incident = load_corpus(tmp_path).incidents[0]
    assert (incident.id, incident.key) == (incident.model.id, incident.model.id.lower())
    renamed = dataclasses.replace(
        incident, model=incident.model.model_copy(update={"id": "INC-X9"})
    )
    assert (renamed.id, renamed.key) == ("INC-X9", "inc-x9")
    assert renamed != incident and "key=" not in repr(incident)
