"""Keeping the task table (the inbox) in step with the workflow after every command.

What a user task row says comes from the BPMN:
- candidate role: the task's `candidate_role` property, else its lane (a role code such as
  `branch_secretary`, or its Chinese title such as 支部书记);
- candidate organisation: the instance's organisation, or with the `candidate_organization`
  property `parent` / `party_committee`, its parent or nearest 党委;
- `priority`, `form_key` and `due_rule` properties, copied as they are.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

from engine.models import (
    ROLE_TITLES_ZH,
    Organization,
    OrganizationKind,
    ProcessInstance,
    Role,
    TaskStatus,
    UserTask,
)

DEFAULT_PRIORITY = 50
_ROLE_BY_TITLE = {title: role for role, title in ROLE_TITLES_ZH.items()}


@dataclass(frozen=True)
class ProjectionChange:
    created: list[UserTask]
    cancelled: list[UserTask]


def open_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def project_tasks(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, now: datetime) -> ProjectionChange:
    """Insert rows for newly ready user tasks; cancel rows whose task is no longer ready."""
    ready = {str(task.id): task for task in open_user_tasks(workflow)}
    rows = {row.id: row for row in _open_rows(session, instance.id) if row.status == TaskStatus.OPEN}
    created = [
        _new_row(session, instance, task, now) for task_id, task in ready.items() if task_id not in rows
    ]
    cancelled = []
    for task_id, row in rows.items():
        if task_id not in ready:
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            cancelled.append(row)
    session.add_all(created)
    return ProjectionChange(created=created, cancelled=cancelled)


def cancel_open_rows(session: Session, instance_id: int, now: datetime) -> list[UserTask]:
    rows = [row for row in _open_rows(session, instance_id) if row.status == TaskStatus.OPEN]
    for row in rows:
        row.status = TaskStatus.CANCELLED
        row.completed_at = now
    return rows


def lane_role(lane: str | None) -> str | None:
    if not lane:
        return None
    name = lane.strip()
    if name in Role._value2member_map_:
        return name
    role = _ROLE_BY_TITLE.get(name)
    return role.value if role else None


def _open_rows(session: Session, instance_id: int) -> Iterable[UserTask]:
    """Rows open in the database; the caller re-checks status for changes not yet flushed."""
    return session.scalars(
        select(UserTask).where(UserTask.instance_id == instance_id, UserTask.status == TaskStatus.OPEN)
    )


def _new_row(session: Session, instance: ProcessInstance, task: Task, now: datetime) -> UserTask:
    spec = task.task_spec
    properties: dict[str, str] = spec.extensions.get("properties", {}) if hasattr(spec, "extensions") else {}
    return UserTask(
        id=str(task.id),
        instance_id=instance.id,
        process_key=instance.process_key,
        element_id=spec.name,
        name=spec.bpmn_name or spec.name,
        lane=spec.lane,
        candidate_role=properties.get("candidate_role") or lane_role(spec.lane),
        candidate_organization_id=_candidate_organization(session, instance, properties),
        priority=_priority(properties),
        form_key=properties.get("form_key"),
        due_rule=properties.get("due_rule"),
        status=TaskStatus.OPEN,
        created_at=now,
    )


def _candidate_organization(session: Session, instance: ProcessInstance, properties: dict[str, str]) -> int:
    scope = properties.get("candidate_organization", "instance")
    organization = session.get(Organization, instance.organization_id)
    if organization is None or scope == "instance":
        return instance.organization_id
    if scope == "parent":
        return organization.parent_id or organization.id
    if scope == "party_committee":
        for ancestor in organization.ancestors():
            if ancestor.kind == OrganizationKind.PARTY_COMMITTEE:
                return ancestor.id
    return organization.id


def _priority(properties: dict[str, str]) -> int:
    try:
        return int(properties.get("priority", DEFAULT_PRIORITY))
    except ValueError:
        return DEFAULT_PRIORITY
