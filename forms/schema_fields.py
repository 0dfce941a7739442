"""Marshmallow fields for form fields: JSON types taken strictly, messages in our own words.

marshmallow's stock fields are lenient in ways a form must not be: Integer takes "3", Boolean
takes "yes" and 1, String takes bytes, Date takes "20240101". The subclasses here check the JSON
type first and then let marshmallow do the rest.
"""

from __future__ import annotations

import copy
import re
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from forms import messages
from forms.model import FormField

# China has kept UTC+8 without daylight saving since 1991: a naive date-time is Beijing time.
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DECIMAL = re.compile(r"-?\d+(\.\d+)?", re.ASCII)
# PostgreSQL's jsonb refuses NUL, and lone surrogates cannot be encoded: refuse them up front.
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class JsonString(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if _BAD_CHARACTER.search(value):
            raise self.make_error("bad_character")
        return value


class JsonInteger(fields.Integer):
    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)


class JsonNumber(fields.Float):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonDecimal(fields.Decimal):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class JsonDate(fields.Date):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonDateTime(fields.AwareDateTime):
    def __init__(self, **kwargs: Any):
        super().__init__(format="iso", default_timezone=CHINA_TIME, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not _DATETIME.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonList(fields.List):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class SearchPattern(validate.Validator):
    """JSON Schema's `pattern` matches anywhere in the string (re.search), unlike Regexp."""

    error: str

    def __init__(self, regex: str):
        self.regex = re.compile(regex)
        self.error = messages.pattern(regex)

    def __call__(self, value: str) -> str:
        if not self.regex.search(value):
            raise ValidationError(self.error)
        return value


def _unique(value: list[Any]) -> list[Any]:
    if len(set(value)) != len(value):
        raise ValidationError(messages.NOT_UNIQUE)
    return value


_STRING_MESSAGES = {"invalid": messages.NOT_A_STRING, "bad_character": messages.BAD_CHARACTER}
_NUMBER_MESSAGES = {"too_large": messages.TOO_LARGE, "special": messages.NOT_FINITE}

# (type, format) -> the field class and its messages beyond "required" and "null"
_FIELD_KINDS: dict[tuple[str, str | None], tuple[type[fields.Field], dict[str, str]]] = {
    ("string", None): (JsonString, _STRING_MESSAGES),
    ("string", "email"): (JsonString, _STRING_MESSAGES),
    ("string", "date"): (JsonDate, {"invalid": messages.NOT_A_DATE}),
    ("string", "date-time"): (
        JsonDateTime,
        {"invalid": messages.NOT_A_DATETIME, "invalid_awareness": messages.NOT_A_DATETIME},
    ),
    ("string", "decimal"): (
        JsonDecimal,
        {"invalid": messages.NOT_A_DECIMAL, "special": messages.NOT_A_DECIMAL},
    ),
    ("integer", None): (JsonInteger, {"invalid": messages.NOT_AN_INTEGER, **_NUMBER_MESSAGES}),
    ("number", None): (JsonNumber, {"invalid": messages.NOT_A_NUMBER, **_NUMBER_MESSAGES}),
    ("boolean", None): (JsonBoolean, {"invalid": messages.NOT_A_BOOLEAN}),
    ("array", None): (JsonList, {"invalid": messages.NOT_A_LIST}),
}


def _validators(form_field: FormField) -> list[Any]:
    checks: list[Any] = []
    if form_field.min_length is not None or form_field.max_length is not None:
        error = messages.literal(messages.length(form_field.min_length, form_field.max_length))
        checks.append(validate.Length(form_field.min_length, form_field.max_length, error=error))
    if form_field.minimum is not None or form_field.maximum is not None:
        low: float | Decimal | None = form_field.minimum
        high: float | Decimal | None = form_field.maximum
        if form_field.format == "decimal":
            low, high = (None if b is None else Decimal(str(b)) for b in (low, high))
        error = messages.literal(messages.value_range(form_field.minimum, form_field.maximum))
        checks.append(validate.Range(low, high, error=error))
    if form_field.pattern is not None:
        checks.append(SearchPattern(form_field.pattern))
    if form_field.format == "email":
        checks.append(validate.Email(error=messages.literal(messages.NOT_AN_EMAIL)))
    if form_field.enum is not None:
        error = messages.literal(messages.one_of(form_field.enum, form_field.enum_titles))
        checks.append(validate.OneOf(form_field.enum, error=error))
    if form_field.min_items is not None or form_field.max_items is not None:
        error = messages.literal(messages.item_count(form_field.min_items, form_field.max_items))
        checks.append(validate.Length(form_field.min_items, form_field.max_items, error=error))
    if form_field.unique_items:
        checks.append(_unique)
    return checks


def build_field(form_field: FormField, null: str = messages.REQUIRED, **options: Any) -> fields.Field:
    """The marshmallow field checking one value of `form_field` (defaults and `required` apart).

    `null` is what a JSON null is called: a missing answer for a field, a bad element in a list.
    """
    field_class, specific = _FIELD_KINDS[(form_field.type, form_field.format)]
    error_messages = {key: messages.literal(text) for key, text in {"required": messages.REQUIRED, "null": null, **specific}.items()}
    options.update(validate=_validators(form_field), error_messages=error_messages)
    if form_field.items is not None:  # an array (JsonList): its element's field comes first
        return JsonList(build_field(form_field.items, null=messages.NOT_NULL), **options)
    return field_class(**options)


def typed_default(form_field: FormField) -> Any:
    """The default as a cleaned value (a date default becomes a date); raises ValidationError."""
    raw = list(form_field.default) if isinstance(form_field.default, tuple) else form_field.default
    return build_field(form_field).deserialize(copy.deepcopy(raw))
