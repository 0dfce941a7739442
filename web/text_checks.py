"""Checks of typed text shared by the pages' forms."""

from __future__ import annotations

from typing import Any

from wtforms import Field, ValidationError

from engine.text_safety import bidi_control_problem


def no_bidi_controls(form: Any, field: Field) -> None:
    """A WTForms validator: identifiers and names must read as what they are."""
    problem = bidi_control_problem(field.data or "")
    if problem is not None:
        raise ValidationError(problem)
