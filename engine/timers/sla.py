"""Service levels of user tasks: the due date a task declares, the reminder before it, and the
escalation at it (flag the task overdue and offer it to the higher organisation)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import AuditEntry
from engine.calendar import WorkCalendar
from engine.clock import Clock
from engine.models import (
    Notification,
    Organization,
    OrganizationKind,
    ProcessInstance,
    RoleAssignment,
    TaskStatus,
    Timer,
    TimerKind,
    TimerState,
    UserTask,
)
from engine.procedures.due_rule_text import resolve_due_rule
from engine.procedures.rule_sets import RuleSetLibrary

DEFAULT_ESCALATION_ROLE = "committee_member"
LONGEST_REMINDER_LEAD = timedelta(days=7)


def schedule_sla(
    session: Session, calendar: WorkCalendar, task: UserTask, data: Mapping[str, Any], now: datetime, rule_sets: RuleSetLibrary
) -> list[Timer]:
    """Give a new task its due date from its due rule, and rows for the reminder and the escalation."""
    if not task.due_rule:
        return []
    resolved = resolve_due_rule(task.due_rule, data, rule_sets)
    if resolved is None:
        return []
    due = resolved.rule.due_from(resolved.anchor or now, calendar, data)
    task.due_at = due.value
    task.follow_up_at = reminder_time(now, due.value)
    rows = [
        Timer(
            instance_id=task.instance_id,
            task_id=task.id,
            element_id=task.element_id,
            kind=kind,
            due_at=moment,
            state=TimerState.PENDING,
            attempts=0,
            created_at=now,
            provisional=due.provisional,
        )
        for kind, moment in ((TimerKind.SLA_REMINDER, task.follow_up_at), (TimerKind.SLA_ESCALATION, task.due_at))
    ]
    session.add_all(rows)
    return rows


def reminder_time(start: datetime, due: datetime) -> datetime:
    """A fifth of the time allowed before the due date, at most a week before it."""
    return due - min((due - start) / 5, LONGEST_REMINDER_LEAD)


def cancel_sla(session: Session, instance_id: int, task_ids: set[str]) -> list[Timer]:
    if not task_ids:
        return []
    rows = session.scalars(
        select(Timer).where(
            Timer.instance_id == instance_id,
            Timer.task_id.in_(task_ids),
            Timer.state == TimerState.PENDING,
            Timer.kind.in_([TimerKind.SLA_REMINDER, TimerKind.SLA_ESCALATION]),
        )
    ).all()
    for row in rows:
        row.state = TimerState.CANCELLED
    return list(rows)


def fire_sla_timer(
    session: Session, clock: Clock, timer: Timer, instance: ProcessInstance, properties: Mapping[str, str]
) -> list[AuditEntry]:
    """Remind or escalate; a task that is no longer open just cancels its timer."""
    task = session.get(UserTask, timer.task_id)
    if task is None or task.status != TaskStatus.OPEN:
        timer.state = TimerState.CANCELLED
        return []
    now = clock.now()
    timer.state, timer.fired_at = TimerState.FIRED, now
    if timer.kind == TimerKind.SLA_REMINDER:
        return _remind(session, task, instance, now)
    return _escalate(session, task, instance, now, properties)


def _remind(session: Session, task: UserTask, instance: ProcessInstance, now: datetime) -> list[AuditEntry]:
    due = task.due_at.strftime("%Y-%m-%d %H:%M") if task.due_at else ""
    message = f"任务“{task.name}”将于 {due} 到期，请及时办理 (task {task.name!r} is due at {due} UTC)"
    people = _people_waited_on(session, task)
    _notify(session, people, task, "reminder", message, now)
    return [_entry("task.reminded", task, instance, after={"notified": sorted(people)})]


def _escalate(
    session: Session, task: UserTask, instance: ProcessInstance, now: datetime, properties: Mapping[str, str]
) -> list[AuditEntry]:
    before = {"overdue": task.overdue, "escalated_role": task.escalated_role, "escalated_organization_id": task.escalated_organization_id}
    task.overdue = True
    task.escalated_role = properties.get("escalation_role", DEFAULT_ESCALATION_ROLE)
    task.escalated_organization_id = _escalation_organization(session, instance.organization_id)
    message = f"任务“{task.name}”已超期，已报上级组织 (task {task.name!r} is overdue and was escalated)"
    people = _people_waited_on(session, task) | _holders(session, task.escalated_role, task.escalated_organization_id)
    _notify(session, people, task, "escalation", message, now)
    after = {"overdue": True, "escalated_role": task.escalated_role, "escalated_organization_id": task.escalated_organization_id}
    return [_entry("task.escalated", task, instance, before=before, after=after)]


def _escalation_organization(session: Session, organization_id: int) -> int:
    """The nearest 党委 above the instance's organisation (itself, if it is one)."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        return organization_id
    for candidate in (organization, *organization.ancestors()):
        if candidate.kind == OrganizationKind.PARTY_COMMITTEE:
            return candidate.id
    return organization.parent_id or organization.id


def _people_waited_on(session: Session, task: UserTask) -> set[int]:
    if task.assignee_id is not None:
        return {task.assignee_id}
    return _holders(session, task.candidate_role, task.candidate_organization_id)


def _holders(session: Session, role: str | None, organization_id: int | None) -> set[int]:
    if role is None or organization_id is None:
        return set()
    return set(
        session.scalars(
            select(RoleAssignment.person_id).where(RoleAssignment.role == role, RoleAssignment.organization_id == organization_id)
        )
    )


def _notify(session: Session, people: set[int], task: UserTask, kind: str, message: str, now: datetime) -> None:
    session.add_all(
        Notification(person_id=person_id, task_id=task.id, instance_id=task.instance_id, kind=kind, message=message, created_at=now)
        for person_id in sorted(people)
    )


def _entry(event_type: str, task: UserTask, instance: ProcessInstance, *, before: object = None, after: object = None) -> AuditEntry:
    return AuditEntry(
        event_type, organization_id=instance.organization_id, instance_id=instance.id, task_id=task.id, before=before, after=after
    )
