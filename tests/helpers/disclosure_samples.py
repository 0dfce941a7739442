"""A disclosure plan as a drafter would fill it in."""

from __future__ import annotations

PLAN = {
    "title": "2026年第一季度党费收缴情况",
    "content": "本季度应缴党费 12 人，已全部按时足额缴纳。",
    "scope": "local",
    "methods": ["meeting", "bulletin_board"],
    "publish_on": "2026-04-01",
}
