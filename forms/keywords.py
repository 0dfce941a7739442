"""Reading the keywords of one JSON object of a definition, noting a problem for each bad one."""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from typing import Any

from forms.model import FormProblem


class KeywordReader:
    """Typed access to the keywords of the object at `path`; bad values become problems."""

    def __init__(self, spec: Mapping[str, Any], path: str, problems: list[FormProblem]):
        self.spec, self.path, self.problems = spec, path, problems

    def problem(self, keyword_: str | None, zh: str, en: str) -> None:
        path = ".".join(part for part in (self.path, keyword_) if part)
        self.problems.append(FormProblem(path, f"{zh} ({en})"))

    def not_one_of(self, key: str, allowed: tuple[str, ...]) -> None:
        self.problem(key, f"须为以下之一：{'、'.join(allowed)}", f"must be one of: {', '.join(allowed)}")

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.spec.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "须为非空文本", "must be a non-empty string")
            return None
        return value

    def count(self, key: str) -> int | None:
        value = self.spec.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            return value
        self.problem(key, "须为非负整数", "must be a non-negative integer")
        return None

    def bound(self, key: str) -> int | float | None:
        value = self.spec.get(key)
        if value is None or _is_finite_number(value):
            return value
        self.problem(key, "须为有限的数字", "must be a finite number")
        return None

    def flag(self, key: str) -> bool:
        value = self.spec.get(key, False)
        if isinstance(value, bool):
            return value
        self.problem(key, "须为 true 或 false", "must be true or false")
        return False

    def keywords(self, allowed: Set[str], kind: str, known: Set[str] = frozenset()) -> None:
        """Refuse every keyword not in `allowed`, saying so when it is `known` for other types."""
        for key in self.spec:
            if key in allowed:
                continue
            if key in known:
                self.problem(str(key), f"不适用于 {kind} 类型", f"does not apply to type {kind}")
            else:
                self.problem(str(key), "不支持的关键字", "unsupported keyword")

    def ordered(self, low_key: str, low: Any, high_key: str, high: Any) -> None:
        if low is not None and high is not None and low > high:
            self.problem(low_key, f"不能大于 {high_key}", f"must not exceed {high_key}")


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)
