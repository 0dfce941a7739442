"""Server-side validation of a task submission against its form definition, with marshmallow.

One Schema class is generated per definition and kept as long as the definition lives. Every
problem in a submission is reported at once, in user-facing words, as SubmissionInvalid.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

from marshmallow import RAISE, Schema, ValidationError

from forms import messages
from forms.model import FormDefinition, FormField
from forms.schema_fields import build_field, typed_default

SCHEMA_ERRORS = "_schema"


class SubmissionInvalid(Exception):
    """`errors` maps a field name (or "_schema") to the messages a submitter should see."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        shown = "; ".join(f"{name}: {'，'.join(texts)}" for name, texts in errors.items())
        super().__init__(f"提交内容有误 (invalid submission): {shown}")


class _SubmissionSchema(Schema):
    class Meta:
        unknown = RAISE


_SCHEMAS: WeakKeyDictionary[FormDefinition, Schema] = WeakKeyDictionary()


def validate_submission(form: FormDefinition, data: Any) -> dict[str, Any]:
    """The cleaned, typed values of a submission, defaults filled in; or SubmissionInvalid.

    A null, or an empty string for a text field, means "no answer": the field counts as missing.
    Read-only fields are never accepted, and are never in the result.
    """
    if not isinstance(data, Mapping):
        raise SubmissionInvalid({SCHEMA_ERRORS: [messages.NOT_AN_OBJECT]})
    try:
        return dict(schema_for(form).load(_without_blanks(form, data)))
    except ValidationError as error:
        raise SubmissionInvalid(_user_errors(form, error.messages_dict)) from None


def schema_for(form: FormDefinition) -> Schema:
    schema = _SCHEMAS.get(form)
    if schema is None:
        schema = _SCHEMAS[form] = _schema_class(form)()
    return schema


def _schema_class(form: FormDefinition) -> type[Schema]:
    # Attributes are positional and the field names travel as data_key: a field called "load" or
    # "Meta" must not shadow the Schema's own members.
    declared = {f"field_{index}": _field(form_field) for index, form_field in enumerate(form.fields) if not form_field.readonly}
    class_name = "".join(part.capitalize() for part in form.key.split("_")) + "Form"
    return _SubmissionSchema.from_dict(declared, name=class_name)


def _field(form_field: FormField) -> Any:
    options: dict[str, Any] = {"data_key": form_field.name, "attribute": form_field.name}
    if form_field.has_default:
        cleaned = typed_default(form_field)
        options["load_default"] = lambda: copy.deepcopy(cleaned)
    else:
        options["required"] = form_field.required
    return build_field(form_field, **options)


def _without_blanks(form: FormDefinition, data: Mapping[Any, Any]) -> dict[Any, Any]:
    # Browsers send "" for an empty input, and clients send null for "no answer".
    answerable = {f.name: f for f in form.fields if not f.readonly}
    return {key: value for key, value in data.items() if not (key in answerable and _is_blank(answerable[key], value))}


def _is_blank(form_field: FormField, value: Any) -> bool:
    return value is None or (form_field.type == "string" and isinstance(value, str) and not value)


def _user_errors(form: FormDefinition, found: dict[Any, Any]) -> dict[str, list[str]]:
    """marshmallow's errors, keyed and worded for the submitter, in the form's field order."""
    by_name = {f.name: f for f in form.fields}
    errors: dict[str, list[str]] = {}
    unknown: list[str] = []
    for key, raised in found.items():
        form_field = by_name.get(key) if isinstance(key, str) else None
        if form_field is None:
            unknown.append(_shown_key(key))
        elif form_field.readonly:
            errors[key] = [messages.READONLY]
        else:
            errors[key] = messages.flatten(raised)
    ordered = {name: errors[name] for name in by_name if name in errors}
    if unknown:
        ordered[SCHEMA_ERRORS] = [messages.unknown_field(name) for name in sorted(unknown)]
    return ordered


def _shown_key(key: Any) -> str:
    if not isinstance(key, str):
        return f"<{type(key).__name__}>"
    return key if len(key) <= 64 else key[:64] + "…"
