"""The `<id:...>` path converter of the REST routes and the pages."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import BaseConverter


class IdConverter(BaseConverter):
    """Path ids: positive and small enough for an INTEGER column; anything else is a plain 404."""

    regex = r"[1-9][0-9]{0,8}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def id_schema(_converter: IdConverter) -> dict[str, Any]:
    """How the OpenAPI document describes such a path parameter."""
    return {"type": "integer", "minimum": 1, "maximum": 999_999_999}
