"""Timer start events of deployed processes (e.g. the annual 民主评议 in Q4).

The engine, not SpiffWorkflow, keeps their schedule: deploying a version writes one pending row
for each timer start event's next occurrence (and cancels the rows of older versions of the key);
firing it starts one instance per target organisation and writes the row of the occurrence after.
Inside each started instance the start event counts as already fired.

Targets come from the start event's `start_organizations` property: `branches` (every 党支部, the
default), `committees` (every 党委), or a comma-separated list of organisation ids. An organisation
that already has this period's instance (`once_per`, engine/instances/start_limits.py) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import add_calendar_period
from engine.clock import Clock
from engine.models import Organization, OrganizationKind, ProcessDefinition, Timer, TimerKind, TimerState
from engine.scripting.evaluator_pool import shared_pool
from engine.scripting.sandbox import SandboxedScriptEngine
from engine.timers.spiff_clock import to_naive_utc

TARGET_KINDS = {"branches": OrganizationKind.BRANCH, "committees": OrganizationKind.PARTY_COMMITTEE}
MAX_CYCLE_STEPS = 10_000
_LONG_AGO = "2000-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class StartTimer:
    element_id: str
    definition: TimerEventDefinition
    targets: str


def start_timers(spec: BpmnProcessSpec) -> list[StartTimer]:
    found = []
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(definition, TimerEventDefinition):
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            found.append(StartTimer(task_spec.name, definition, properties.get("start_organizations", "branches")))
    return found


def mark_start_timers_fired(workflow: BpmnWorkflow) -> None:
    """An instance the engine starts (on schedule or by hand) starts now, not at the timer's time."""
    for task in workflow.get_tasks():
        definition = getattr(task.task_spec, "event_definition", None)
        if not (isinstance(task.task_spec, StartEvent) and isinstance(definition, TimerEventDefinition)):
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            # A cycle grows one path per occurrence: leave exactly one, already due.
            task._set_internal_data(event_value={"cycles": 1, "next": _LONG_AGO, "duration": 1.0})
        else:
            task._set_internal_data(event_fired=True)


def next_occurrence(timer: StartTimer, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after` (naive UTC), or None when there is none left."""
    value = SandboxedScriptEngine(pool=shared_pool()).environment.evaluate(timer.definition.expression, {})
    if isinstance(timer.definition, TimeDateEventDefinition):
        moment = to_naive_utc(TimerEventDefinition.get_datetime(value))
        return moment if moment > after else None
    if isinstance(timer.definition, DurationTimerEventDefinition):
        return add_calendar_period(after, value)
    if isinstance(timer.definition, CycleTimerEventDefinition):
        return _next_in_cycle(value, after)
    return None


def schedule_start_timers(session: Session, definition: ProcessDefinition, spec: BpmnProcessSpec, clock: Clock) -> list[Timer]:
    """Called when a version is deployed: it takes over the schedule of its key."""
    now = clock.now()
    older = session.scalars(
        select(Timer)
        .join(ProcessDefinition, ProcessDefinition.id == Timer.definition_id)
        .where(ProcessDefinition.key == definition.key, Timer.kind == TimerKind.START, Timer.state == TimerState.PENDING)
    )
    for row in older:
        row.state = TimerState.CANCELLED
    rows = []
    for timer in start_timers(spec):
        due = next_occurrence(timer, now)
        if due is not None:
            rows.append(start_row(definition.id, timer.element_id, due, now))
    session.add_all(rows)
    return rows


def start_row(definition_id: int, element_id: str, due: datetime, now: datetime) -> Timer:
    return Timer(
        definition_id=definition_id,
        instance_id=None,
        task_id="",
        element_id=element_id,
        kind=TimerKind.START,
        due_at=due,
        state=TimerState.PENDING,
        attempts=0,
        created_at=now,
    )


def target_organizations(session: Session, targets: str) -> list[int]:
    kind = TARGET_KINDS.get(targets.strip())
    if kind is not None:
        return list(session.scalars(select(Organization.id).where(Organization.kind == kind).order_by(Organization.id)))
    return [int(part) for part in targets.split(",") if part.strip()]


def _next_in_cycle(expression: str, after: datetime) -> datetime | None:
    """`R[n]/<start>/<period>`: occurrences start, start + period, … (calendar periods, n of them)."""
    parts = expression.strip().upper().split("/")
    if len(parts) != 3 or not parts[0].startswith("R"):
        raise ValueError(f"只支持 R[n]/开始时间/周期 形式的循环 (only R[n]/start/period cycles): {expression}")
    cycles = int(parts[0][1:]) if parts[0][1:] else -1
    occurrence = to_naive_utc(TimerEventDefinition.get_datetime(parts[1]))
    for _ in range(MAX_CYCLE_STEPS):
        if cycles == 0:
            return None
        if occurrence > after:
            return occurrence
        occurrence = add_calendar_period(occurrence, parts[2])
        cycles -= 1
    return None
