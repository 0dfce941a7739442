"""Text that would display differently from what it is: Unicode's bidirectional controls.

An override or isolate control (U+202A–U+202E, U+2066–U+2069) or a directional mark (U+200E,
U+200F, U+061C) reorders the characters around it when shown: a business key with U+202E inside
reads as another key, a name can be made to look like someone else's. Identifiers and names
refuse them.
"""

from __future__ import annotations

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def bidi_control_problem(text: str) -> str | None:
    """The message refusing `text` when it holds a bidirectional control, else None."""
    found = sorted({f"U+{ord(character):04X}" for character in text if character in BIDI_CONTROLS})
    if not found:
        return None
    listed = "、".join(found)
    return (
        f"不能包含双向文字控制符（{listed}），它们会使显示的文字与实际内容不符"
        f" (must not contain bidirectional control characters ({', '.join(found)}): they make text display differently from what it is)"
    )
