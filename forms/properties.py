"""Checking one property of a form definition and turning it into a FormField.

Each check notes a FormProblem with the path of the offending keyword and carries on, so that one
pass reports everything wrong with a definition. KEYWORDS_BY_TYPE is the format's vocabulary.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from marshmallow import ValidationError

from forms import messages
from forms.keywords import KeywordReader
from forms.model import FormField, FormProblem
from forms.schema_fields import typed_default

TYPES = ("string", "integer", "number", "boolean", "array")
FORMATS = ("date", "date-time", "decimal", "email", "none")
WIDGETS = ("textarea", "radio", "select", "checkbox", "date", "person")

_TEXTS = {"title", "title_en", "description", "description_en"}
_ENUM = {"enum", "x-enum-titles", "x-enum-titles-en"}
_STRING_RULES = {"format", "minLength", "maxLength", "pattern", "minimum", "maximum"}
_COMMON = {"type", "default", "x-widget", "x-readonly"} | _TEXTS
KEYWORDS_BY_TYPE = {
    "string": _COMMON | _ENUM | _STRING_RULES,
    "integer": _COMMON | _ENUM | {"minimum", "maximum"},
    "number": _COMMON | {"minimum", "maximum"},
    "boolean": _COMMON,
    "array": _COMMON | {"items", "minItems", "maxItems", "uniqueItems"},
}
KEYWORDS_BY_ITEM_TYPE = {
    "string": {"type", "minLength", "maxLength", "pattern"} | _ENUM,
    "integer": {"type", "minimum", "maximum"} | _ENUM,
}
_KNOWN_KEYWORDS = set().union(*KEYWORDS_BY_TYPE.values())
# Field names become workflow variables read by gateway conditions and scripts, which run under
# RestrictedPython: it refuses names starting with "_", and keywords cannot be names at all.
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}", re.ASCII)
_BAD_FIELD_NAME = (
    "字段名须为以字母开头、最长 64 的 ASCII 标识符，且不是 Python 关键字 "
    "(a field name is an ASCII identifier starting with a letter, at most 64 long, not a keyword)"
)


def is_field_name(name: Any) -> bool:
    if not isinstance(name, str) or keyword.iskeyword(name):
        return False
    return bool(_FIELD_NAME.fullmatch(name))


def _read_type(reader: KeywordReader, allowed: tuple[str, ...]) -> str | None:
    kind = reader.spec.get("type")
    if "$ref" in reader.spec:
        reader.problem("$ref", "不支持 $ref 引用", "$ref is not supported")
    elif isinstance(kind, str) and kind in allowed:
        return kind
    elif kind == "object":
        reader.problem("type", "不支持嵌套对象", "nested objects are not supported")
    else:
        reader.not_one_of("type", allowed)
    return None


def _read_enum(reader: KeywordReader, kind: str) -> dict[str, Any]:
    values = reader.spec.get("enum")
    if values is None:
        for key in ("x-enum-titles", "x-enum-titles-en"):
            if key in reader.spec:
                reader.problem(key, "须与 enum 一起使用", "needs an enum")
        return {}
    wanted = str if kind == "string" else int
    if not isinstance(values, list) or not values or not all(isinstance(v, wanted) and not isinstance(v, bool) for v in values):
        reader.problem("enum", f"须为非空的 {kind} 列表", f"must be a non-empty list of {kind}")
        return {}
    if len(set(values)) != len(values):
        reader.problem("enum", "取值不能重复", "values must be unique")
    return {
        "enum": tuple(values),
        "enum_titles": _read_enum_titles(reader, "x-enum-titles", len(values)),
        "enum_titles_en": _read_enum_titles(reader, "x-enum-titles-en", len(values)),
    }


def _read_enum_titles(reader: KeywordReader, key: str, size: int) -> tuple[str, ...] | None:
    titles = reader.spec.get(key)
    if titles is None:
        return None
    if not isinstance(titles, list) or len(titles) != size or not all(isinstance(t, str) and t.strip() for t in titles):
        reader.problem(key, f"须为 {size} 个非空文本，与 enum 一一对应", f"must be {size} non-empty strings, one per enum value")
        return None
    return tuple(titles)


def _read_format(reader: KeywordReader) -> str | None:
    value = reader.spec.get("format", "none")
    if value not in FORMATS:
        reader.not_one_of("format", FORMATS)
        return None
    return None if value == "none" else value


def _read_pattern(reader: KeywordReader) -> str | None:
    value = reader.spec.get("pattern")
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise TypeError
        re.compile(value)
    except (TypeError, re.error, RecursionError, OverflowError):
        reader.problem("pattern", "须为有效的正则表达式", "must be a valid regular expression")
        return None
    return value


def _read_rules(reader: KeywordReader, kind: str) -> dict[str, Any]:
    """The value constraints shared by a property and an array's items."""
    rules: dict[str, Any] = {
        "min_length": reader.count("minLength"),
        "max_length": reader.count("maxLength"),
        "minimum": reader.bound("minimum"),
        "maximum": reader.bound("maximum"),
        "pattern": _read_pattern(reader),
        **_read_enum(reader, kind),
    }
    reader.ordered("minLength", rules["min_length"], "maxLength", rules["max_length"])
    reader.ordered("minimum", rules["minimum"], "maximum", rules["maximum"])
    return rules


def _read_items(reader: KeywordReader, title: str) -> FormField | None:
    spec = reader.spec.get("items")
    if not isinstance(spec, Mapping):
        reader.problem("items", "数组须用 items 对象说明元素", "an array needs an items object")
        return None
    items = KeywordReader(spec, f"{reader.path}.items", reader.problems)
    kind = _read_type(items, ("string", "integer"))
    if kind is None:
        return None
    items.keywords(KEYWORDS_BY_ITEM_TYPE[kind], kind, _KNOWN_KEYWORDS)
    return FormField(name="items", type=kind, title=title, **_read_rules(items, kind))


def _read_shape(reader: KeywordReader, kind: str, title: str) -> dict[str, Any]:
    """The keywords that depend on the type: format, value rules, array items."""
    if kind == "array":
        shape: dict[str, Any] = {
            "items": _read_items(reader, title),
            "min_items": reader.count("minItems"),
            "max_items": reader.count("maxItems"),
            "unique_items": reader.flag("uniqueItems"),
        }
        reader.ordered("minItems", shape["min_items"], "maxItems", shape["max_items"])
        return shape
    text_format = _read_format(reader) if kind == "string" else None
    shape = {"format": text_format, **_read_rules(reader, kind)}
    if shape["format"] and shape.get("enum"):
        reader.problem("enum", "不能与 format 同时使用", "cannot be combined with a format")
    if kind == "string" and shape["format"] != "decimal":
        for key in ("minimum", "maximum"):
            if key in reader.spec:
                reader.problem(key, "仅适用于数字和 decimal 格式", "applies to numbers and decimals only")
    return shape


def _widget_fits(form_field: FormField) -> bool:
    widget, kind = form_field.widget, form_field.type
    if widget == "textarea":
        return kind == "string" and form_field.format is None and form_field.enum is None
    if widget in ("radio", "select"):
        return form_field.enum is not None or kind == "boolean"
    if widget == "checkbox":
        items = form_field.items
        return kind == "boolean" or (items is not None and items.enum is not None)
    if widget == "person":  # a person id, or a list of them: chosen by name on the pages
        return kind == "integer" or (form_field.items is not None and form_field.items.type == "integer")
    return form_field.format == "date"


def _check_widget(reader: KeywordReader, form_field: FormField) -> None:
    widget = form_field.widget
    if widget is None:
        return
    if widget not in WIDGETS:
        reader.not_one_of("x-widget", WIDGETS)
    elif not _widget_fits(form_field):
        reader.problem("x-widget", f"{widget} 不适用于该字段", f"{widget} does not fit this field")


def _with_default(reader: KeywordReader, form_field: FormField) -> FormField:
    if "default" not in reader.spec:
        return form_field
    value = reader.spec["default"]
    frozen = tuple(value) if isinstance(value, list) else value
    if value is None:
        reader.problem("default", "不能为 null", "must not be null")
        return form_field
    try:
        typed_default(replace(form_field, default=frozen))
    except ValidationError as error:
        shown = "; ".join(messages.flatten(error.messages))
        message = f"默认值无效 (invalid default): {shown}"
        reader.problems.append(FormProblem(f"{reader.path}.default", message))
        return form_field
    return replace(form_field, default=frozen)


def read_property(name: Any, spec: Any, required: bool, problems: list[FormProblem]) -> FormField | None:
    """The field a property describes, or None when it is too broken to build one."""
    path = f"properties.{name}"
    start = len(problems)
    if not is_field_name(name):
        problems.append(FormProblem(path, _BAD_FIELD_NAME))
    if not isinstance(spec, Mapping):
        problems.append(FormProblem(path, "须为对象 (must be an object)"))
        return None
    reader = KeywordReader(spec, path, problems)
    kind = _read_type(reader, TYPES)
    if kind is None:
        return None
    reader.keywords(KEYWORDS_BY_TYPE[kind], kind, _KNOWN_KEYWORDS)
    title = reader.text("title", required=True) or ""
    form_field = FormField(
        name=str(name),
        type=kind,
        title=title,
        title_en=reader.text("title_en"),
        description=reader.text("description"),
        description_en=reader.text("description_en"),
        required=required,
        readonly=reader.flag("x-readonly"),
        widget=reader.spec.get("x-widget"),
        **_read_shape(reader, kind, title),
    )
    _check_widget(reader, form_field)
    if len(problems) > start:
        return None
    return _with_default(reader, form_field)
