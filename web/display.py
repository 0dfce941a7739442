"""How stored values read on a page: moments in Beijing time, people by name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from flask import Flask
from sqlalchemy import select

from api.http.database import db_session
from engine.calendar.due_rules import CHINA_UTC_OFFSET
from engine.models import Person

SYSTEM = "系统 (system)"


def beijing_time(moment: datetime | None) -> str:
    """A naive UTC moment as the minute it was in Beijing; an em dash for none."""
    return "—" if moment is None else (moment + CHINA_UTC_OFFSET).strftime("%Y-%m-%d %H:%M")


def display_names(person_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {person_id for person_id in person_ids if person_id is not None}
    if not wanted:
        return {}
    rows = db_session().execute(select(Person.id, Person.display_name).where(Person.id.in_(wanted)))
    return {person_id: name for person_id, name in rows}


def named(names: dict[int, str], person_id: int | None) -> str:
    """A person by name from `display_names`; no person is the engine itself (timers, services)."""
    return SYSTEM if person_id is None else names.get(person_id, f"#{person_id}")


def register_filters(app: Flask) -> None:
    app.add_template_filter(beijing_time)


# What each audit event means, as an auditor reads it; a type not listed shows as itself.
EVENT_TITLES = {
    "instance.started": "发起流程 (started)",
    "instance.completed": "流程结束 (completed)",
    "instance.cancelled": "取消流程 (cancelled)",
    "instance.suspended": "挂起流程 (suspended)",
    "instance.resumed": "恢复流程 (resumed)",
    "task.created": "生成任务 (task created)",
    "task.claimed": "认领任务 (claimed)",
    "task.unclaimed": "退回认领 (unclaimed)",
    "task.delegated": "转办任务 (delegated)",
    "task.completed": "办理任务 (completed)",
    "script.printed": "脚本输出 (script output)",
    "task.completion_discarded": "办理未生效：数据超限 (completion discarded: over a data limit)",
    "task.cancelled": "任务取消 (task cancelled)",
    "task.reminded": "到期提醒 (reminder)",
    "task.escalated": "超期升级 (escalated)",
    "timer.scheduled": "设置定时 (timer set)",
    "timer.fired": "定时到期 (timer fired)",
    "timer.cancelled": "取消定时 (timer cancelled)",
    "incident.raised": "流程故障 (incident)",
    "definition.deployed": "部署流程定义 (deployed)",
    "disclosure.opinion_left": "提出意见 (opinion left)",
    "appraisal.ballot_cast": "民主测评投票 (ballot cast)",
    "appraisal.ballots_counted": "民主测评计入一批选票 (a batch of ballots counted)",
    "appraisal.ballot_closed": "民主测评结束 (ballot closed)",
    "person.read": "查看个人档案 (personal record read)",
    "pipeline.read": "查看发展党员进度 (pipeline read)",
}


def event_title(event_type: str) -> str:
    return EVENT_TITLES.get(event_type, event_type)


def change_lines(before: object, after: object) -> list[tuple[str, str]]:
    """An event's values as lines of name and value; a changed value as `before → after`."""
    if not isinstance(after, dict):
        return [] if after is None else [("", _plain(after))]
    earlier = before if isinstance(before, dict) else {}
    return [(name, f"{_plain(earlier[name])} → {_plain(value)}" if name in earlier else _plain(value)) for name, value in after.items()]


def _plain(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
