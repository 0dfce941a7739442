"""What scripts print: `print()` writes to the instance's log instead of the process's output.

Each command collects the lines its scripts print (`collecting`), tagged with the step that ran
them (`printing_for`); the command then records them in the instance's audit trail, where those
who read the instance whole see them. Lines are capped so a script cannot flood the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

MAX_LINES = 50  # per command
MAX_LINE_CHARS = 500

PrintedLine = tuple[str, str]  # (element id, text)

_collected: ContextVar[list[PrintedLine] | None] = ContextVar("printed_lines", default=None)
_element: ContextVar[str] = ContextVar("printing_element", default="")


@contextmanager
def collecting() -> Iterator[list[PrintedLine]]:
    """Collect what scripts print while the block runs, whatever collected before it."""
    lines: list[PrintedLine] = []
    token = _collected.set(lines)
    try:
        yield lines
    finally:
        _collected.reset(token)


@contextmanager
def printing_for(element_id: str) -> Iterator[None]:
    token = _element.set(element_id)
    try:
        yield
    finally:
        _element.reset(token)


def keep(text: str) -> None:
    """One printed line, for the command that collects, if any; beyond the cap, dropped."""
    lines = _collected.get()
    if lines is not None and len(lines) < MAX_LINES:
        lines.append((_element.get(), text[:MAX_LINE_CHARS]))


def script_print(*values: Any, sep: Any = " ", **_ignored: Any) -> None:
    """`print` as scripts see it: the values as text, joined by `sep`; `file` and `end` are ignored."""
    keep((sep if isinstance(sep, str) else " ").join(str(value) for value in values))


def printed_texts(run: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Run `run` collecting what it prints; its result and the texts (in an evaluator process)."""
    with collecting() as lines:
        result = run()
    return result, [text for _, text in lines]
