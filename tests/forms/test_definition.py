"""Parsing form definitions: what is accepted, and every refusal naming where it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from forms import FormDefinitionError, FormField, parse_form_definition
from tests.helpers.form_samples import sample_definition, sample_form

Change = Callable[[dict[str, Any]], None]


def _prop(name: str, **changes: Any) -> Change:
    def change(definition: dict[str, Any]) -> None:
        definition["properties"][name].update(changes)

    return change


def _root(**changes: Any) -> Change:
    return lambda definition: definition.update(changes)


def _add(name: str, spec: Any) -> Change:
    return lambda definition: definition["properties"].__setitem__(name, spec)


def _problems(source: Any) -> dict[str, str]:
    with pytest.raises(FormDefinitionError) as raised:
        parse_form_definition(source, "plan.json")
    return {problem.path: problem.message for problem in raised.value.problems}


def test_a_good_definition_parses_into_fields_in_declaration_order() -> None:
    form = sample_form()
    assert (form.key, form.title, form.title_en) == ("sample", "样例表单", "Sample form")
    assert [f.name for f in form.fields] == list(sample_definition()["properties"])
    scope = form.field_named("scope")
    assert scope == FormField(
        name="scope",
        type="string",
        title="公开范围",
        required=True,
        widget="radio",
        enum=("society", "local"),
        enum_titles=("向社会公开", "在本单位公开"),
    )
    methods = form.field_named("methods")
    assert methods is not None and methods.items is not None
    assert methods.items.enum == ("meeting", "document", "website")
    assert (methods.min_items, methods.max_items, methods.unique_items) == (1, 2, True)
    assert form.field_named("shown").readonly  # type: ignore[union-attr]
    assert form.field_named("feedback_days").default == 5  # type: ignore[union-attr]
    assert form.raw == sample_definition()


def test_fields_left_out_of_the_layout_get_a_row_each_at_the_end() -> None:
    form = sample_form()
    assert form.layout[:2] == (("title",), ("scope", "publish_on"))
    assert form.layout[2:] == tuple((f.name,) for f in form.fields[3:])


def test_json_text_bytes_and_mappings_parse_alike() -> None:
    text = json.dumps(sample_definition(), ensure_ascii=False)
    from_text = parse_form_definition(text)
    assert parse_form_definition(text.encode("utf-8-sig")) == from_text
    assert parse_form_definition(sample_definition()) == from_text
    assert hash(parse_form_definition(text)) == hash(from_text)


def test_raw_is_a_copy_the_caller_cannot_change_behind_our_back() -> None:
    definition = sample_definition()
    form = parse_form_definition(definition)
    definition["properties"]["title"]["title"] = "改了"
    assert form.raw["properties"]["title"]["title"] == "标题"


REFUSALS: list[tuple[str, Change, str]] = [
    ("unknown root keyword", _root(foo=1), "foo"),
    ("bad key", _root(key="Bad-Key"), "key"),
    ("missing title", lambda d: d.pop("title"), "title"),
    ("type not object", _root(type="array"), "type"),
    ("additional properties allowed", _root(additionalProperties=True), "additionalProperties"),
    ("no properties", _root(properties={}), "properties"),
    ("required names nothing", _root(required=["title", "nope"]), "required[1]"),
    ("required not a list", _root(required="title"), "required"),
    ("readonly required", _root(required=["title", "shown"]), "required"),
    ("layout names nothing", _root(**{"x-layout": [["nope"]]}), "x-layout[0][0]"),
    ("layout repeats", _root(**{"x-layout": [["title"], ["title"]]}), "x-layout[1][0]"),
    ("layout not rows", _root(**{"x-layout": ["title"]}), "x-layout"),
    ("$ref", _add("other", {"$ref": "#/defs/x"}), "properties.other.$ref"),
    ("$ref beside a type", _prop("title", **{"$ref": "#/x"}), "properties.title.$ref"),
    ("nested object", _add("other", {"type": "object", "title": "对象"}), "properties.other.type"),
    ("unknown type", _prop("title", type="date"), "properties.title.type"),
    ("type list", _prop("title", type=["string", "null"]), "properties.title.type"),
    ("unknown keyword", _prop("title", placeholder="x"), "properties.title.placeholder"),
    (
        "keyword of another type",
        _prop("feedback_days", minLength=1),
        "properties.feedback_days.minLength",
    ),
    ("unknown format", _prop("email", format="uri"), "properties.email.format"),
    ("format on integer", _prop("feedback_days", format="date"), "properties.feedback_days.format"),
    (
        "missing property title",
        lambda d: d["properties"]["title"].pop("title"),
        "properties.title.title",
    ),
    ("keyword field name", _add("class", {"type": "string", "title": "班"}), "properties.class"),
    ("underscore field name", _add("_x", {"type": "string", "title": "私"}), "properties._x"),
    ("property not an object", _add("other", "string"), "properties.other"),
    ("negative length", _prop("title", minLength=-1), "properties.title.minLength"),
    ("boolean length", _prop("title", maxLength=True), "properties.title.maxLength"),
    ("lengths reversed", _prop("title", minLength=9, maxLength=3), "properties.title.minLength"),
    ("bounds reversed", _prop("ratio", minimum=2), "properties.ratio.minimum"),
    ("bound not a number", _prop("ratio", maximum="1"), "properties.ratio.maximum"),
    ("bound on plain text", _prop("title", minimum=1), "properties.title.minimum"),
    ("bad pattern", _prop("postcode", pattern="(["), "properties.postcode.pattern"),
    ("enum of wrong type", _prop("scope", enum=[1, 2]), "properties.scope.enum"),
    ("empty enum", _prop("scope", enum=[]), "properties.scope.enum"),
    ("repeated enum", _prop("scope", enum=["a", "a"]), "properties.scope.enum"),
    ("enum on number", _prop("ratio", enum=[0.5]), "properties.ratio.enum"),
    ("enum with a format", _prop("publish_on", enum=["2024-01-01"]), "properties.publish_on.enum"),
    (
        "titles miscounted",
        _prop("scope", **{"x-enum-titles": ["一"]}),
        "properties.scope.x-enum-titles",
    ),
    (
        "titles without enum",
        _prop("title", **{"x-enum-titles-en": ["A"]}),
        "properties.title.x-enum-titles-en",
    ),
    ("unknown widget", _prop("title", **{"x-widget": "slider"}), "properties.title.x-widget"),
    (
        "widget misfit",
        _prop("feedback_days", **{"x-widget": "textarea"}),
        "properties.feedback_days.x-widget",
    ),
    ("date widget on text", _prop("title", **{"x-widget": "date"}), "properties.title.x-widget"),
    ("person widget on text", _prop("title", **{"x-widget": "person"}), "properties.title.x-widget"),
    ("readonly not a flag", _prop("shown", **{"x-readonly": "yes"}), "properties.shown.x-readonly"),
    (
        "default out of range",
        _prop("feedback_days", default=31),
        "properties.feedback_days.default",
    ),
    (
        "default of wrong type",
        _prop("feedback_days", default="5"),
        "properties.feedback_days.default",
    ),
    ("default not in enum", _prop("scope", default="moon"), "properties.scope.default"),
    ("null default", _prop("title", default=None), "properties.title.default"),
    (
        "array without items",
        lambda d: d["properties"]["methods"].pop("items"),
        "properties.methods.items",
    ),
    (
        "array of objects",
        _prop("methods", items={"type": "object"}),
        "properties.methods.items.type",
    ),
    (
        "array of booleans",
        _prop("methods", items={"type": "boolean"}),
        "properties.methods.items.type",
    ),
    (
        "item keyword",
        _prop("tags", items={"type": "string", "format": "date"}),
        "properties.tags.items.format",
    ),
    (
        "item enum of wrong type",
        _prop("levels", items={"type": "integer", "enum": ["a"]}),
        "properties.levels.items.enum",
    ),
    ("item counts reversed", _prop("methods", minItems=3), "properties.methods.minItems"),
    ("unique not a flag", _prop("methods", uniqueItems=1), "properties.methods.uniqueItems"),
    (
        "checkbox on plain items",
        _prop("tags", **{"x-widget": "checkbox"}),
        "properties.tags.x-widget",
    ),
]


@pytest.mark.parametrize(("change", "path"), [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_a_refusal_names_the_path_of_what_is_wrong(change: Change, path: str) -> None:
    definition = sample_definition()
    change(definition)
    problems = _problems(definition)
    assert path in problems, problems
    assert all(" (" in message for message in problems.values())


def test_every_problem_is_reported_in_one_pass() -> None:
    definition = sample_definition()
    for change in (_root(foo=1), _prop("title", minLength=-1), _prop("scope", enum=[])):
        change(definition)
    problems = _problems(definition)
    assert {"foo", "properties.title.minLength", "properties.scope.enum"} <= set(problems)


def test_the_error_names_the_file_and_summarises() -> None:
    with pytest.raises(FormDefinitionError) as raised:
        parse_form_definition({"key": "x"}, "plan.json")
    assert str(raised.value).startswith("plan.json: 表单定义有误 (invalid form definition): ")
    assert raised.value.filename == "plan.json"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ('{\n  "key": "a",\n  "title": }', "第 3 行第 12 列"),
        ('{"key": "a", "key": "b"}', "duplicate key key"),
        ('{"key": NaN}', "NaN"),
        ("[1, 2]", "top level must be a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "not JSON data"),
        (" " * 1_000_001, "larger than"),
        (42, "must be JSON text"),
        ({"key": float("nan")}, "not JSON data"),
        ({"key": {1, 2}}, "not JSON data"),
    ],
    ids=["syntax", "duplicate", "nan", "array", "utf8", "deep", "large", "int", "nan map", "set"],
)
def test_unusable_sources_are_refused_with_a_problem(source: Any, fragment: str) -> None:
    problems = _problems(source)
    assert any(fragment in message for message in problems.values()), problems
