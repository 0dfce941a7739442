"""Validating submissions: typed results, every kind of error, all errors at once, junk input."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from forms import SubmissionInvalid, parse_form_definition, validate_submission
from forms.validation import schema_for
from tests.helpers.form_samples import sample_definition, sample_form

VALID: dict[str, Any] = {"title": "换届选举结果", "scope": "society", "publish_on": "2024-07-01"}
BEIJING = timezone(timedelta(hours=8))


def _errors(data: Any) -> dict[str, list[str]]:
    with pytest.raises(SubmissionInvalid) as raised:
        validate_submission(sample_form(), data)
    return raised.value.errors


def test_a_good_submission_comes_back_typed_with_defaults_filled() -> None:
    cleaned = validate_submission(
        sample_form(),
        {
            **VALID,
            "published_at": "2024-07-01T09:30:00",
            "amount": "1234.50",
            "email": "dangban@example.org",
            "postcode": "100000",
            "ratio": 1,
            "agree": False,
            "methods": ["meeting", "website"],
            "tags": ["党建"],
            "levels": [1, 2],
        },
    )
    assert cleaned == {
        "title": "换届选举结果",
        "scope": "society",
        "publish_on": date(2024, 7, 1),
        "published_at": datetime(2024, 7, 1, 9, 30, tzinfo=BEIJING),
        "amount": Decimal("1234.50"),
        "email": "dangban@example.org",
        "postcode": "100000",
        "feedback_days": 5,
        "ratio": 1.0,
        "agree": False,
        "methods": ["meeting", "website"],
        "tags": ["党建"],
        "levels": [1, 2],
    }
    assert type(cleaned["feedback_days"]) is int and type(cleaned["ratio"]) is float


def test_a_date_time_keeps_its_offset_and_a_naive_one_is_beijing_time() -> None:
    form = sample_form()
    utc = validate_submission(form, {**VALID, "published_at": "2024-07-01T01:30Z"})["published_at"]
    naive = validate_submission(form, {**VALID, "published_at": "2024-07-01 09:30"})["published_at"]
    assert utc == naive and utc.utcoffset() == timedelta(0)


def test_null_and_empty_text_mean_no_answer() -> None:
    cleaned = validate_submission(sample_form(), {**VALID, "email": "", "publish_on": "2024-07-01", "feedback_days": None})
    assert "email" not in cleaned and cleaned["feedback_days"] == 5
    assert _errors({**VALID, "title": "", "scope": None}) == {
        "title": ["必填项 (required)"],
        "scope": ["必填项 (required)"],
    }


def test_defaults_are_fresh_copies() -> None:
    definition = sample_definition()
    definition["properties"]["tags"]["default"] = ["党建"]
    form = parse_form_definition(definition)
    validate_submission(form, VALID)["tags"].append("changed")
    assert validate_submission(form, VALID)["tags"] == ["党建"]


ERROR_KINDS: list[tuple[str, Any, str]] = [
    ("title", "x", "长度须在 2 到 200 之间 (length must be between 2 and 200)"),
    ("title", 12, "必须是文本 (must be a string)"),
    ("title", "a\x00b", "含有不允许的字符 (contains a character that is not allowed)"),
    ("scope", "moon", "取值须为以下之一：向社会公开、在本单位公开 (must be one of: society, local)"),
    ("publish_on", "2024-02-30", "必须是有效日期，格式为 YYYY-MM-DD (must be a valid date, YYYY-MM-DD)"),
    ("publish_on", "20240201", "必须是有效日期，格式为 YYYY-MM-DD (must be a valid date, YYYY-MM-DD)"),
    (
        "published_at",
        "2024-07-01",
        ("必须是有效的日期时间，格式为 YYYY-MM-DDTHH:MM[:SS][时区] (must be a valid date-time, YYYY-MM-DDTHH:MM[:SS][offset])"),
    ),
    ("amount", 12.5, ('必须是以文本表示的十进制数，如 "12.50" (must be a decimal number written as a string, e.g. "12.50")')),
    ("amount", "1e3", ('必须是以文本表示的十进制数，如 "12.50" (must be a decimal number written as a string, e.g. "12.50")')),
    ("amount", "-1", "不能小于 0 (must be at least 0)"),
    ("email", "not-an-email", "必须是有效的电子邮箱地址 (must be a valid email address)"),
    ("postcode", "10000", "格式不符合要求 (must match the pattern ^[0-9]{6}$)"),
    ("feedback_days", "3", "必须是整数 (must be an integer)"),
    ("feedback_days", True, "必须是整数 (must be an integer)"),
    ("feedback_days", 3.0, "必须是整数 (must be an integer)"),
    ("feedback_days", 31, "须在 1 到 30 之间 (must be between 1 and 30)"),
    ("ratio", "0.5", "必须是数字 (must be a number)"),
    ("ratio", 10**400, "数值过大 (number too large)"),
    ("ratio", float("nan"), "必须是有限的数字 (must be a finite number)"),
    ("ratio", 1.5, "须在 0 到 1 之间 (must be between 0 and 1)"),
    ("agree", "true", "必须是“是”或“否” (must be true or false)"),
    ("agree", 1, "必须是“是”或“否” (must be true or false)"),
    ("methods", "meeting", "必须是列表 (must be a list)"),
    ("methods", [], "须包含 1 到 2 项 (must contain between 1 and 2 items)"),
    ("methods", ["meeting", "meeting"], "不能包含重复项 (items must be unique)"),
    (
        "methods",
        ["meeting", "moon"],
        ("第 2 项 (item 2)：取值须为以下之一：meeting、document、website (must be one of: meeting, document, website)"),
    ),
    ("methods", [None], "第 1 项 (item 1)：不能为空 (must not be null)"),
    ("tags", ["党建工作要点"], "第 1 项 (item 1)：长度不能超过 4 (length must be at most 4)"),
    ("levels", [1, "2"], "第 2 项 (item 2)：必须是整数 (must be an integer)"),
    ("levels", [0], "第 1 项 (item 1)：不能小于 1 (must be at least 1)"),
]


@pytest.mark.parametrize(("name", "value", "message"), ERROR_KINDS)
def test_each_kind_of_error_has_its_message(name: str, value: Any, message: str) -> None:
    assert _errors({**VALID, name: value}) == {name: [message]}


def test_a_missing_required_field_is_named() -> None:
    assert _errors({"title": "换届选举结果"}) == {
        "scope": ["必填项 (required)"],
        "publish_on": ["必填项 (required)"],
    }


def test_every_bad_field_is_reported_at_once_in_form_order() -> None:
    errors = _errors({"ratio": -1, "title": 5, "agree": "no", "surprise": 1, "shown": "x"})
    assert list(errors) == ["title", "scope", "publish_on", "ratio", "agree", "shown", "_schema"]


def test_unknown_and_readonly_fields_are_refused() -> None:
    errors = _errors({**VALID, "zeta": 1, "alpha": None, "shown": "只读", 7: "x"})
    assert errors == {
        "shown": ["只读字段，不能提交 (read-only field, cannot be submitted)"],
        "_schema": [
            "不允许的字段：<int> (unknown field: <int>)",
            "不允许的字段：alpha (unknown field: alpha)",
            "不允许的字段：zeta (unknown field: zeta)",
        ],
    }


def test_a_readonly_field_is_never_in_the_result() -> None:
    assert "shown" not in validate_submission(sample_form(), VALID)


@pytest.mark.parametrize("data", [None, [], [VALID], "{}", 1, True, b"{}", 2.5])
def test_anything_but_an_object_is_refused_as_a_whole(data: Any) -> None:
    assert _errors(data) == {"_schema": ["提交内容必须是 JSON 对象 (submission must be a JSON object)"]}


def test_field_names_that_are_schema_members_do_not_clash() -> None:
    definition = sample_definition()
    definition["properties"] = {name: {"type": "integer", "title": name} for name in ("load", "Meta", "fields", "opts")}
    definition.update(required=["load"], **{"x-layout": []})
    form = parse_form_definition(definition)
    assert validate_submission(form, {"load": 1, "Meta": 2}) == {"load": 1, "Meta": 2}


def test_the_schema_is_built_once_per_definition() -> None:
    form = sample_form()
    assert schema_for(form) is schema_for(form)
    other = parse_form_definition({**sample_definition(), "key": "other"})
    assert schema_for(form) is not schema_for(other)


JUNK_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    10**5000,
    1.5,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    " ",
    "x" * 100_000,
    "\ud800",
    "\x00",
    "2024-13-45",
    "9999-99-99T99:99",
    "NaN",
    "1e999",
    [],
    [None],
    [[]],
    [{}],
    ["x"] * 1000,
    {},
    {"a": 1},
    {"": None},
    [[[[[[]]]]]],
    {1: 2},
    (1, 2),
    ["meeting", 1, True, None, 1.5, {}],
]
NAMES = list(sample_definition()["properties"])
JUNK_SUBMISSIONS: list[Any] = [
    *JUNK_VALUES,
    *(dict.fromkeys(NAMES, value) for value in JUNK_VALUES),
    *({name: value} for name in NAMES for value in JUNK_VALUES),
    *({**VALID, name: value} for name in NAMES for value in JUNK_VALUES),
]
_USER_FACING = re.compile(r"^[\u4e00-\u9fff第].* \(.+\)$", re.DOTALL)


def test_junk_never_raises_anything_but_submission_invalid() -> None:
    form = sample_form()
    for data in JUNK_SUBMISSIONS:
        try:
            validate_submission(form, data)
        except SubmissionInvalid as invalid:
            messages = [m for texts in invalid.errors.values() for m in texts]
            assert messages and all(isinstance(key, str) for key in invalid.errors)
            assert all(_USER_FACING.match(m) for m in messages), messages
