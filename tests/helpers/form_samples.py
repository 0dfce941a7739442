"""A definition using every supported type and keyword, shared by the form tests.

Plain functions rather than fixtures, so the tests also run with --noconftest.
"""

from __future__ import annotations

import copy
from typing import Any

from forms import FormDefinition, parse_form_definition

SAMPLE: dict[str, Any] = {
    "key": "sample",
    "title": "样例表单",
    "title_en": "Sample form",
    "type": "object",
    "properties": {
        "title": {"type": "string", "title": "标题", "minLength": 2, "maxLength": 200},
        "scope": {
            "type": "string",
            "title": "公开范围",
            "enum": ["society", "local"],
            "x-enum-titles": ["向社会公开", "在本单位公开"],
            "x-widget": "radio",
        },
        "publish_on": {"type": "string", "format": "date", "title": "公开日期"},
        "published_at": {"type": "string", "format": "date-time", "title": "公开时间"},
        "amount": {"type": "string", "format": "decimal", "title": "金额", "minimum": 0},
        "email": {"type": "string", "format": "email", "title": "邮箱"},
        "postcode": {"type": "string", "title": "邮编", "pattern": "^[0-9]{6}$"},
        "feedback_days": {
            "type": "integer",
            "title": "反馈期",
            "minimum": 1,
            "maximum": 30,
            "default": 5,
        },
        "ratio": {"type": "number", "title": "比例", "minimum": 0, "maximum": 1},
        "agree": {"type": "boolean", "title": "同意", "x-widget": "radio"},
        "methods": {
            "type": "array",
            "title": "公开方式",
            "items": {"type": "string", "enum": ["meeting", "document", "website"]},
            "minItems": 1,
            "maxItems": 2,
            "uniqueItems": True,
            "x-widget": "checkbox",
        },
        "tags": {"type": "array", "title": "标签", "items": {"type": "string", "maxLength": 4}},
        "levels": {"type": "array", "title": "等级", "items": {"type": "integer", "minimum": 1}},
        "shown": {"type": "string", "title": "只读说明", "x-readonly": True},
    },
    "required": ["title", "scope", "publish_on"],
    "x-layout": [["title"], ["scope", "publish_on"]],
}


def sample_definition() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


def sample_form() -> FormDefinition:
    return parse_form_definition(sample_definition())
