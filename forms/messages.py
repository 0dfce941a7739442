"""The user-facing texts of submission errors: Chinese first, English in parentheses.

Every message a submitter can see is built here, so their wording stays consistent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def bilingual(zh: str, en: str) -> str:
    return f"{zh} ({en})"


def literal(text: str) -> str:
    """Escape braces: marshmallow runs str.format over messages, and ours hold pre-filled values."""
    return text.replace("{", "{{").replace("}", "}}")


REQUIRED = bilingual("必填项", "required")
NOT_NULL = bilingual("不能为空", "must not be null")
NOT_AN_OBJECT = bilingual("提交内容必须是 JSON 对象", "submission must be a JSON object")
READONLY = bilingual("只读字段，不能提交", "read-only field, cannot be submitted")
NOT_A_STRING = bilingual("必须是文本", "must be a string")
BAD_CHARACTER = bilingual("含有不允许的字符", "contains a character that is not allowed")
NOT_AN_INTEGER = bilingual("必须是整数", "must be an integer")
NOT_A_NUMBER = bilingual("必须是数字", "must be a number")
NOT_FINITE = bilingual("必须是有限的数字", "must be a finite number")
TOO_LARGE = bilingual("数值过大", "number too large")
NOT_A_BOOLEAN = bilingual("必须是“是”或“否”", "must be true or false")
NOT_A_DATE = bilingual("必须是有效日期，格式为 YYYY-MM-DD", "must be a valid date, YYYY-MM-DD")
NOT_A_DATETIME = bilingual(
    "必须是有效的日期时间，格式为 YYYY-MM-DDTHH:MM[:SS][时区]",
    "must be a valid date-time, YYYY-MM-DDTHH:MM[:SS][offset]",
)
NOT_A_DECIMAL = bilingual('必须是以文本表示的十进制数，如 "12.50"', 'must be a decimal number written as a string, e.g. "12.50"')
NOT_AN_EMAIL = bilingual("必须是有效的电子邮箱地址", "must be a valid email address")
NOT_A_LIST = bilingual("必须是列表", "must be a list")
NOT_UNIQUE = bilingual("不能包含重复项", "items must be unique")


def length(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and minimum == maximum:
        return bilingual(f"长度须为 {minimum}", f"length must be {minimum}")
    if minimum is not None and maximum is not None:
        return bilingual(f"长度须在 {minimum} 到 {maximum} 之间", f"length must be between {minimum} and {maximum}")
    if minimum is not None:
        return bilingual(f"长度不能少于 {minimum}", f"length must be at least {minimum}")
    return bilingual(f"长度不能超过 {maximum}", f"length must be at most {maximum}")


def item_count(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and minimum == maximum:
        return bilingual(f"须包含 {minimum} 项", f"must contain {minimum} items")
    if minimum is not None and maximum is not None:
        return bilingual(f"须包含 {minimum} 到 {maximum} 项", f"must contain between {minimum} and {maximum} items")
    if minimum is not None:
        return bilingual(f"至少须包含 {minimum} 项", f"must contain at least {minimum} items")
    return bilingual(f"最多包含 {maximum} 项", f"must contain at most {maximum} items")


def value_range(minimum: Any, maximum: Any) -> str:
    if minimum is not None and maximum is not None:
        return bilingual(f"须在 {minimum} 到 {maximum} 之间", f"must be between {minimum} and {maximum}")
    if minimum is not None:
        return bilingual(f"不能小于 {minimum}", f"must be at least {minimum}")
    return bilingual(f"不能大于 {maximum}", f"must be at most {maximum}")


def one_of(values: Iterable[Any], titles: Iterable[str] | None) -> str:
    values = list(values)
    shown = list(titles) if titles is not None else [str(v) for v in values]
    return bilingual(f"取值须为以下之一：{'、'.join(shown)}", f"must be one of: {', '.join(str(v) for v in values)}")


def pattern(regex: str) -> str:
    return bilingual("格式不符合要求", f"must match the pattern {regex}")


def unknown_field(name: str) -> str:
    return bilingual(f"不允许的字段：{name}", f"unknown field: {name}")


def list_item(index: int, message: str) -> str:
    return f"第 {index + 1} 项 (item {index + 1})：{message}"


def flatten(errors: Any) -> list[str]:
    """marshmallow's messages for one field as a flat list; a list's are keyed by element index."""
    if isinstance(errors, dict):
        return [list_item(index, message) for index, nested in sorted(errors.items()) for message in flatten(nested)]
    if isinstance(errors, list):
        return [message for nested in errors for message in flatten(nested)]
    return [str(errors)]
