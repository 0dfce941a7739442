"""Parsing and checking form definitions: one JSON file per user task, or a folder of them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forms.keywords import KeywordReader
from forms.model import FormDefinition, FormDefinitionError, FormField, FormProblem
from forms.properties import read_property

__all__ = [
    "FormDefinition",
    "FormDefinitionError",
    "FormField",
    "FormProblem",
    "load_form_directory",
    "parse_form_definition",
]

MAX_DEFINITION_BYTES = 1_000_000
_ROOT_KEYWORDS = {
    "key",
    "title",
    "title_en",
    "description",
    "description_en",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "x-layout",
}
_TOO_LARGE = f"超过 {MAX_DEFINITION_BYTES} 字节 (larger than {MAX_DEFINITION_BYTES} bytes)"
_FORM_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)


class _Refused(ValueError):
    """Raised from inside json.loads for what the JSON grammar allows and we do not."""


def parse_form_definition(source: bytes | str | Mapping[str, Any], filename: str = "<form>") -> FormDefinition:
    """The checked definition; FormDefinitionError lists every problem found, with its path."""
    problems: list[FormProblem] = []
    document = _load_document(source, problems)
    form = _read_form(document, problems) if document is not None else None
    if problems or form is None:
        raise FormDefinitionError(problems, filename)
    return form


def load_form_directory(directory: Path) -> dict[str, FormDefinition]:
    """Every *.json definition in `directory`, keyed by form key; problems are named by file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FormDefinitionError([FormProblem("", "不是目录 (not a directory)")], str(directory))
    forms: dict[str, FormDefinition] = {}
    files: dict[str, str] = {}
    problems: list[FormProblem] = []
    for path in sorted(directory.glob("*.json")):
        try:
            form = parse_form_definition(path.read_bytes(), path.name)
        except OSError as error:
            problems.append(FormProblem(path.name, f"无法读取文件 (cannot read the file): {error}"))
            continue
        except FormDefinitionError as error:
            problems.extend(FormProblem(_in_file(path.name, p.path), p.message) for p in error.problems)
            continue
        if form.key in forms:
            other = files[form.key]
            message = f"表单键 {form.key} 与 {other} 重复 (form key {form.key} also used by {other})"
            problems.append(FormProblem(_in_file(path.name, "key"), message))
            continue
        forms[form.key], files[form.key] = form, path.name
    if problems:
        raise FormDefinitionError(problems, str(directory))
    return forms


def _in_file(filename: str, path: str) -> str:
    return f"{filename}:{path}" if path else filename


def _load_document(source: Any, problems: list[FormProblem]) -> dict[str, Any] | None:
    """The definition as a plain JSON document, whatever form it came in."""
    try:
        if isinstance(source, Mapping):
            # A round trip through JSON keeps `raw` renderable and the checks on JSON types only.
            source = json.dumps(dict(source), allow_nan=False, ensure_ascii=False)
        if isinstance(source, (bytes, bytearray)):
            source = _decode(bytes(source))
        if not isinstance(source, str):
            raise _Refused("须为 JSON 文本或对象 (must be JSON text or a mapping)")
        if len(source) > MAX_DEFINITION_BYTES:
            raise _Refused(_TOO_LARGE)
        document = json.loads(source, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        line, column = error.lineno, error.colno
        message = f"JSON 语法错误，第 {line} 行第 {column} 列 (invalid JSON at line {line}, column {column})"
        problems.append(FormProblem("", f"{message}: {error.msg}"))
        return None
    except _Refused as error:
        problems.append(FormProblem("", str(error)))
        return None
    except (TypeError, ValueError, RecursionError) as error:
        problems.append(FormProblem("", f"不是 JSON 数据 (not JSON data): {type(error).__name__}"))
        return None
    if not isinstance(document, dict):
        problems.append(FormProblem("", "顶层须为 JSON 对象 (the top level must be a JSON object)"))
        return None
    return document


def _decode(data: bytes) -> str:
    if len(data) > MAX_DEFINITION_BYTES:
        raise _Refused(_TOO_LARGE)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at = error.start
        raise _Refused(f"不是 UTF-8 文本，位置 {at} (not UTF-8 text, at byte {at})") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _Refused(f"JSON 对象中的键 {key} 重复 (duplicate key {key})")
        document[key] = value
    return document


def _no_constant(name: str) -> Any:
    raise _Refused(f"JSON 中不允许 {name} (JSON does not allow {name})")


def _read_form(document: dict[str, Any], problems: list[FormProblem]) -> FormDefinition | None:
    root = KeywordReader(document, "", problems)
    root.keywords(_ROOT_KEYWORDS, "object")
    key = root.text("key", required=True)
    if key is not None and not _FORM_KEY.fullmatch(key):
        root.problem(
            "key", "须由小写字母开头的 a-z、0-9、_ 组成，最长 64", "must be a-z, 0-9 and _, starting with a letter, at most 64 long"
        )
    title = root.text("title", required=True)
    if document.get("type") != "object":
        root.problem("type", "须为 object", 'must be "object"')
    if document.get("additionalProperties", False) is not False:
        root.problem("additionalProperties", "只能为 false", "can only be false")
    fields = _read_fields(root, problems)
    layout = _read_layout(root)
    if problems or key is None or title is None:
        return None
    return FormDefinition(
        key=key,
        title=title,
        title_en=root.text("title_en"),
        fields=fields,
        layout=layout,
        raw=document,
        description=root.text("description"),
        description_en=root.text("description_en"),
    )


def _read_required(root: KeywordReader, names: list[Any]) -> set[str]:
    required = root.spec.get("required", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        root.problem("required", "须为字段名列表", "must be a list of field names")
        return set()
    if len(set(required)) != len(required):
        root.problem("required", "字段名不能重复", "field names must be unique")
    for index, name in enumerate(required):
        if name not in names:
            root.problem(f"required[{index}]", f"没有名为 {name} 的字段", f"no field named {name}")
    return set(required)


def _read_fields(root: KeywordReader, problems: list[FormProblem]) -> tuple[FormField, ...]:
    properties = root.spec.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        root.problem("properties", "须为非空对象", "must be a non-empty object")
        return ()
    required = _read_required(root, list(properties))
    fields = []
    for name, spec in properties.items():
        form_field = read_property(name, spec, name in required, problems)
        if form_field is not None:
            fields.append(form_field)
        if form_field is not None and form_field.readonly and form_field.required:
            root.problem("required", f"只读字段 {name} 不能是必填项", f"read-only field {name} cannot be required")
    return tuple(fields)


def _read_layout(root: KeywordReader) -> tuple[tuple[str, ...], ...]:
    """The rows of field names; fields the layout leaves out get a row each, at the end."""
    properties = root.spec.get("properties")
    names = list(properties) if isinstance(properties, Mapping) else []
    rows = root.spec.get("x-layout", [])
    if not isinstance(rows, list) or not all(isinstance(row, list) and row for row in rows):
        root.problem("x-layout", "须为非空的字段名行的列表", "must be a list of non-empty rows of names")
        return ()
    placed: list[str] = []
    for row_index, row in enumerate(rows):
        for index, name in enumerate(row):
            where = f"x-layout[{row_index}][{index}]"
            if not isinstance(name, str) or name not in names:
                root.problem(where, f"没有名为 {name} 的字段", f"no field named {name}")
            elif name in placed:
                root.problem(where, f"字段 {name} 重复出现", f"field {name} appears twice")
            else:
                placed.append(name)
    laid_out = tuple(tuple(row) for row in rows)
    return laid_out + tuple((name,) for name in names if name not in placed)
