"""A script's error as its author needs it: which line raised it, and the same error again on the
engine's side of an evaluator process (ZeroDivisionError stays ZeroDivisionError)."""

from __future__ import annotations

import builtins
import decimal
import traceback

from engine.scripting.compile_policy import SCRIPT_FILENAME

_LINE_ATTRIBUTE = "sandbox_script_line"  # set on an error rebuilt from an evaluator's reply


def mark_line(error: BaseException, line: int) -> None:
    setattr(error, _LINE_ATTRIBUTE, line)


def script_line(error: BaseException) -> int:
    """The line of the script where `error` (or the violation that caused it) was raised; 0 if unknown."""
    for candidate in (error, error.__cause__):
        if candidate is None:
            continue
        marked = getattr(candidate, _LINE_ATTRIBUTE, None)
        if isinstance(marked, int):
            return marked
        if isinstance(candidate, SyntaxError) and candidate.lineno:
            return candidate.lineno
        frames = [frame for frame in traceback.extract_tb(candidate.__traceback__) if frame.filename == SCRIPT_FILENAME]
        if frames:
            return frames[-1].lineno or 0
    return 0


def _script_error_classes() -> dict[str, type[Exception]]:
    classes: dict[str, type[Exception]] = {}
    for module in (builtins, decimal):
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, Exception):
                classes.setdefault(name, value)
    return classes


_ERROR_CLASSES = _script_error_classes()


def rebuilt_error(type_name: str, args: list[object], message: str) -> Exception:
    """The error an evaluator reported, as an instance of the builtin (or decimal) class it named;
    a class outside those comes back as a RuntimeError that keeps its name in the message."""
    kind = _ERROR_CLASSES.get(type_name)
    if kind is not None:
        for attempt in (args, [message]):
            try:
                return kind(*attempt)
            except Exception:  # noqa: S112 - some classes want other arguments; the next attempt or the fallback covers them
                continue
    return RuntimeError(f"{type_name}: {message}")
