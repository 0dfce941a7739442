"""Chinese-first texts for the request-validation messages marshmallow and webargs produce."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from forms.messages import (
    NOT_A_BOOLEAN,
    NOT_A_LIST,
    NOT_A_STRING,
    NOT_AN_INTEGER,
    NOT_AN_OBJECT,
    NOT_NULL,
    REQUIRED,
    bilingual,
    length,
)

_CHINESE_FIRST = re.compile(r"[\u4e00-\u9fff]")
UNKNOWN_FIELD = bilingual("不允许的字段", "unknown field")
_EXACT = {
    "Missing data for required field.": REQUIRED,
    "Unknown field.": UNKNOWN_FIELD,
    "Field may not be null.": NOT_NULL,
    "Not a valid string.": NOT_A_STRING,
    "Not a valid integer.": NOT_AN_INTEGER,
    "Not a valid boolean.": NOT_A_BOOLEAN,
    "Not a valid list.": NOT_A_LIST,
    "Not a valid mapping type.": NOT_AN_OBJECT,
    "Invalid input type.": bilingual("类型错误", "invalid input type"),
    "Invalid JSON body.": bilingual("请求体不是合法的 JSON", "the body is not valid JSON"),
    "Not a valid datetime.": bilingual("必须是有效的日期时间", "must be a valid date-time"),
}


def _between(match: re.Match[str]) -> str:
    return length(int(match["low"]), int(match["high"]))


def _at_least(match: re.Match[str]) -> str:
    return length(int(match["low"]), None)


def _at_most(match: re.Match[str]) -> str:
    return length(None, int(match["high"]))


def _range(match: re.Match[str]) -> str:
    return bilingual(f"数值须不小于 {match['low']}", f"must be at least {match['low']}") if match["low"] else ""


def _one_of(match: re.Match[str]) -> str:
    return bilingual(f"取值须为以下之一：{match['choices']}", f"must be one of: {match['choices']}")


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Length must be between (?P<low>\d+) and (?P<high>\d+)\.$"), _between),
    (re.compile(r"^Shorter than minimum length (?P<low>\d+)\.$"), _at_least),
    (re.compile(r"^Longer than maximum length (?P<high>\d+)\.$"), _at_most),
    (re.compile(r"^Must be greater than or equal to (?P<low>-?\d+)( and less than or equal to \d+)?\.$"), _range),
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), _one_of),
]


def translate(errors: Any) -> Any:
    """Walk marshmallow's nested error structure, replacing each English message."""
    if isinstance(errors, dict):
        return {key: translate(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate(item) for item in errors]
    if isinstance(errors, str):
        return _translate_message(errors)
    return errors


def _translate_message(message: str) -> str:
    if _CHINESE_FIRST.match(message):  # our own validators' messages are bilingual already
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, render in _PATTERNS:
        match = pattern.match(message)
        if match and (text := render(match)):
            return text
    return bilingual("输入无效", message)
