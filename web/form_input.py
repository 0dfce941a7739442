"""Reading a browser's form post into the JSON values a form definition expects, so that a page
submission is validated by the engine exactly as an API call is. A value that does not parse is
passed on as it was typed, for the validator to name the field in its own words."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from forms import FormDefinition, FormField

TRUE, FALSE = "true", "false"
_LIST_SEPARATORS = re.compile(r"[\s,，、;；]+")


def submission_from_post(definition: FormDefinition, posted: MultiDict[str, str]) -> dict[str, Any]:
    return {field.name: _read(field, posted) for field in definition.fields if not field.readonly}


def _read(field: FormField, posted: MultiDict[str, str]) -> Any:
    if field.type == "boolean":
        return _boolean(field, posted)
    if field.type == "array":
        return _array(field, posted)
    text = posted.get(field.name, "")
    if field.type in ("integer", "number"):
        return _number(text.strip())
    return text if field.widget == "textarea" else text.strip()


def _boolean(field: FormField, posted: MultiDict[str, str]) -> bool | None:
    if field.widget == "radio":  # a yes/no question: no choice is no answer
        return {TRUE: True, FALSE: False}.get(posted.get(field.name, ""))
    return posted.get(field.name) == TRUE  # an unticked checkbox is not posted at all


def _array(field: FormField, posted: MultiDict[str, str]) -> list[Any]:
    item = field.items
    if field.widget == "person":  # one checkbox per person
        return [_number(value) for value in posted.getlist(field.name)]
    if item is not None and item.enum is not None:
        chosen = posted.getlist(field.name)  # one checkbox per choice
        return [_number(value) for value in chosen] if item.type in ("integer", "number") else chosen
    text = posted.get(field.name, "")
    if item is not None and item.type in ("integer", "number"):
        return [_number(token) for token in _LIST_SEPARATORS.split(text) if token]
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str) -> int | float | str | None:
    if not text:
        return None
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


def shown_value(field: FormField, value: Any, people: dict[int, str] | None = None) -> str:
    """A value as a reader sees it: a choice by its title, a person by name, yes/no in words, a
    list joined."""
    if field.widget == "person" and people is not None:
        ids = value if isinstance(value, list) else [value]
        return "、".join(people.get(person_id, f"#{person_id}") for person_id in ids if person_id is not None)
    if isinstance(value, bool):
        return "是 (yes)" if value else "否 (no)"
    if isinstance(value, list):
        item = field.items
        return "、".join(shown_value(item, element) if item is not None else str(element) for element in value)
    if field.enum is not None and field.enum_titles is not None and value in field.enum:
        return field.enum_titles[field.enum.index(value)]
    return "" if value is None else str(value)
