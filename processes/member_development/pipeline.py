"""The 发展党员 pipeline of an organisation and everything below it: how many people stand at each
stage and step, which deadlines fall due soon, and which are already overdue.

Where a case stands is read from what is open in it: its open user tasks, or the timer event it
waits on (a probationary member waiting for the end of probation). Each BPMN element names its
`stage` and `step`; titles come from the element names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import Clock
from engine.definitions.spec_cache import SpecCache
from engine.models import (
    ACTIVE_STATUSES,
    Person,
    ProcessInstance,
    TaskStatus,
    Timer,
    TimerKind,
    TimerState,
    UserTask,
)
from engine.people.organizations import organization_subtree
from processes.member_development.steps import PROCESS_KEY, STAGES

HORIZON = timedelta(days=30)


@dataclass(frozen=True)
class Position:
    instance_id: int
    element_id: str
    stage: str
    step: int | None
    title: str


def read_pipeline(session: Session, specs: SpecCache, clock: Clock, actor_id: int, organization_id: int) -> dict[str, Any]:
    """The pipeline as someone reads it: the read is an audit event (it names people and their
    stage), committed with the answer."""
    pipeline = development_pipeline(session, specs, organization_id, clock.now())
    append_event(
        session,
        clock,
        "pipeline.read",
        actor_id=actor_id,
        organization_id=organization_id,
        after={"organization_id": organization_id, "cases": pipeline["cases"]},
    )
    session.commit()
    return pipeline


def development_pipeline(session: Session, specs: SpecCache, organization_id: int, now: datetime) -> dict[str, Any]:
    units = organization_subtree(session, organization_id)
    cases = session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.process_key == PROCESS_KEY,
            ProcessInstance.organization_id.in_(units),
            ProcessInstance.status.in_(ACTIVE_STATUSES),
        )
    ).all()
    by_id = {case.id: case for case in cases}
    tasks = (
        session.scalars(select(UserTask).where(UserTask.instance_id.in_(by_id), UserTask.status == TaskStatus.OPEN)).all() if by_id else []
    )
    timers = (
        session.scalars(
            select(Timer).where(Timer.instance_id.in_(by_id), Timer.kind == TimerKind.BPMN, Timer.state == TimerState.PENDING)
        ).all()
        if by_id
        else []
    )
    positions = _positions(session, specs, by_id, tasks, timers)
    names = _subject_names(session, cases)
    return {
        "organization_id": organization_id,
        "as_of": now,
        "cases": len(cases),
        "stages": _stage_counts(positions),
        "due_soon": _deadlines(by_id, names, tasks, timers, now, overdue=False),
        "overdue": _deadlines(by_id, names, tasks, [], now, overdue=True),
    }


def _positions(
    session: Session, specs: SpecCache, cases: dict[int, ProcessInstance], tasks: Sequence[UserTask], timers: Sequence[Timer]
) -> list[Position]:
    """One position per case: its lowest open step (a case waits on a timer only when nothing is open)."""
    waiting_on: dict[int, list[str]] = defaultdict(list)
    for task in tasks:
        waiting_on[task.instance_id].append(task.element_id)
    for timer in timers:
        if timer.instance_id is not None and timer.instance_id not in waiting_on:
            waiting_on.setdefault(timer.instance_id, []).append(timer.element_id)
    positions = []
    for instance_id, elements in waiting_on.items():
        placed = [p for element in elements if (p := _place(session, specs, cases[instance_id], element)) is not None]
        if placed:
            positions.append(min(placed, key=lambda p: (p.step or 0, p.element_id)))
    return positions


def _place(session: Session, specs: SpecCache, case: ProcessInstance, element_id: str) -> Position | None:
    spec, _ = specs.get(session, case.definition_id)
    task_spec = spec.task_specs.get(element_id)
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {}) if task_spec else {}
    if "stage" not in properties:
        return None
    step = properties.get("step", "")
    title = getattr(task_spec, "bpmn_name", None) or element_id
    return Position(case.id, element_id, properties["stage"], int(step) if step.isdigit() else None, title)


def _stage_counts(positions: list[Position]) -> list[dict[str, Any]]:
    stages = []
    for code, (title, title_en) in STAGES.items():
        here = [p for p in positions if p.stage == code]
        steps: dict[tuple[int | None, str], int] = defaultdict(int)
        for position in here:
            steps[(position.step, position.title)] += 1
        stages.append(
            {
                "stage": code,
                "title": title,
                "title_en": title_en,
                "count": len(here),
                "steps": [
                    {"step": step, "title": title, "count": count}
                    for (step, title), count in sorted(steps.items(), key=lambda item: (item[0][0] or 0, item[0][1]))
                ],
            }
        )
    return stages


def _deadlines(
    cases: dict[int, ProcessInstance],
    names: dict[int, str],
    tasks: Sequence[UserTask],
    timers: Sequence[Timer],
    now: datetime,
    *,
    overdue: bool,
) -> list[dict[str, Any]]:
    items = []
    for task in tasks:
        if task.due_at is None or (task.due_at < now) != overdue or task.due_at > now + HORIZON:
            continue
        items.append(_deadline(cases[task.instance_id], names, task.element_id, task.name or task.element_id, task.due_at, task.id))
    for timer in timers:
        if timer.instance_id is not None and now <= timer.due_at <= now + HORIZON:
            items.append(_deadline(cases[timer.instance_id], names, timer.element_id, "预备期将满", timer.due_at, None))
    return sorted(items, key=lambda item: item["due_at"])


def _deadline(
    case: ProcessInstance, names: dict[int, str], element_id: str, title: str, due_at: datetime, task_id: str | None
) -> dict[str, Any]:
    return {
        "instance_id": case.id,
        "organization_id": case.organization_id,
        "person_id": case.subject_person_id,
        "person_name": names.get(case.subject_person_id or 0),
        "element_id": element_id,
        "title": title,
        "due_at": due_at,
        "task_id": task_id,
    }


def _subject_names(session: Session, cases: Sequence[ProcessInstance]) -> dict[int, str]:
    ids = {case.subject_person_id for case in cases if case.subject_person_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids))).all())
