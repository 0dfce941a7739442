"""Keeping the timer table in step with a workflow, and finding what is due.

After every command the engine lists the timer events that wait in the workflow and writes one
pending row each (same transaction); rows whose event no longer waits are cancelled. SLA rows for
user tasks are kept by `engine.timers.sla`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import ProcessInstance, Timer, TimerKind, TimerState
from engine.timers.spiff_clock import to_naive_utc


@dataclass(frozen=True)
class TimerChange:
    scheduled: list[Timer]  # new rows, or rows whose due time moved
    cancelled: list[Timer]


def waiting_timer_events(workflow: BpmnWorkflow) -> dict[str, tuple[Task, datetime]]:
    """Timer events waiting in the workflow, by task id, with their due time (naive UTC)."""
    found = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            due = _due_time(task)
            if due is not None:
                found[str(task.id)] = (task, due)
    return found


_DECLARES_TIMERS: WeakKeyDictionary[BpmnProcessSpec, bool] = WeakKeyDictionary()


def has_timer_events(workflow: BpmnWorkflow) -> bool:
    """Whether the process (or anything it calls) declares a timer event at all; remembered per
    cached spec, since it is asked after every command."""
    answer = _DECLARES_TIMERS.get(workflow.spec)
    if answer is None:
        specs = [workflow.spec, *workflow.subprocess_specs.values()]
        answer = any(
            isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)
            for spec in specs
            for task_spec in spec.task_specs.values()
        )
        _DECLARES_TIMERS[workflow.spec] = answer
    return answer


def project_bpmn_timers(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, now: datetime) -> TimerChange:
    if not has_timer_events(workflow):
        return TimerChange([], [])  # nothing to project, and no query for the rows
    waiting = waiting_timer_events(workflow)
    rows = {row.task_id: row for row in pending_timers(session, instance.id, TimerKind.BPMN)}
    scheduled, cancelled = [], []
    for task_id, (task, due) in waiting.items():
        row = rows.get(task_id)
        if row is None and _already_fired(session, instance.id, task_id, due):
            # A non-interrupting boundary timer keeps waiting after it fired, with its old due time.
            continue
        if row is None:
            row = Timer(
                instance_id=instance.id,
                task_id=task_id,
                element_id=task.task_spec.name,
                kind=TimerKind.BPMN,
                due_at=due,
                state=TimerState.PENDING,
                attempts=0,
                created_at=now,
            )
            session.add(row)
            scheduled.append(row)
        elif row.due_at != due:  # a cycle moved on to its next occurrence
            row.due_at = due
            scheduled.append(row)
    for task_id, row in rows.items():
        if task_id not in waiting:
            row.state = TimerState.CANCELLED
            cancelled.append(row)
    return TimerChange(scheduled, cancelled)


def pending_timers(session: Session, instance_id: int, *kinds: TimerKind) -> list[Timer]:
    statement = select(Timer).where(Timer.instance_id == instance_id, Timer.state == TimerState.PENDING)
    if kinds:
        statement = statement.where(Timer.kind.in_(kinds))
    return [row for row in session.scalars(statement) if row.state == TimerState.PENDING]


def cancel_all(session: Session, instance_id: int) -> list[Timer]:
    rows = pending_timers(session, instance_id)
    for row in rows:
        row.state = TimerState.CANCELLED
    return rows


def _already_fired(session: Session, instance_id: int, task_id: str, due: datetime) -> bool:
    return (
        session.scalar(
            select(Timer.id).where(
                Timer.instance_id == instance_id, Timer.task_id == task_id, Timer.due_at == due, Timer.state == TimerState.FIRED
            )
        )
        is not None
    )


def _due_time(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # a cycle: {"cycles": n, "next": iso, "duration": seconds}
        value = value.get("next") if value.get("cycles") != 0 else None
    if not isinstance(value, str):
        return None
    return to_naive_utc(TimerEventDefinition.get_datetime(value))
