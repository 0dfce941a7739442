"""What a parsed form definition is: its fields, its layout, and the error that refuses one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FormProblem:
    """One reason a definition was refused; `path` points into it, e.g. "properties.scope.enum"."""

    path: str
    message: str


class FormDefinitionError(Exception):
    """A form definition was refused; `problems` lists every reason found."""

    def __init__(self, problems: list[FormProblem], filename: str = "<form>"):
        self.problems = problems
        self.filename = filename
        super().__init__(self._summary())

    def _summary(self) -> str:
        shown = "; ".join(f"{p.path or '(root)'}: {p.message}" for p in self.problems[:5])
        more = f"; … (+{len(self.problems) - 5})" if len(self.problems) > 5 else ""
        return f"{self.filename}: 表单定义有误 (invalid form definition): {shown}{more}"


@dataclass(frozen=True)
class FormField:
    """One property of a form. For an array, `items` describes one element (its type, enum, …).

    `default` is the JSON value as written (an array default as a tuple, to keep this hashable);
    `required` is as declared, even when a default makes the field never missing.
    """

    name: str
    type: str
    title: str
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    required: bool = False
    readonly: bool = False
    format: str | None = None
    widget: str | None = None
    enum: tuple[Any, ...] | None = None
    enum_titles: tuple[str, ...] | None = None
    enum_titles_en: tuple[str, ...] | None = None
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    pattern: str | None = None
    items: FormField | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass(frozen=True)
class FormDefinition:
    """A checked form definition. Equal definitions compare and hash equal (`raw` is left out)."""

    key: str
    title: str
    title_en: str | None
    fields: tuple[FormField, ...]
    layout: tuple[tuple[str, ...], ...]
    raw: Mapping[str, Any] = field(compare=False, repr=False)
    description: str | None = None
    description_en: str | None = None

    def field_named(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)
