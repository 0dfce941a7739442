"""Keeping the task table (the inbox) in step with the workflow after every command.

What a user task row says comes from the BPMN:
- candidate role: the task's `candidate_role` property, else its lane (a role code such as
  `branch_secretary`, or its Chinese title such as 支部书记);
- candidate organisation: the instance's organisation, or with the `candidate_organization`
  property `parent` / `party_committee`, its parent or nearest 党委;
- `priority`, `form_key` and `due_rule` properties, copied as they are;
- assignee: the person id in the task-data variable the `assignee` property names, if any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

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


def project_tasks(
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    rows_before: list[UserTask],
    now: datetime,
    candidates: CandidateResolver,
) -> ProjectionChange:
    """New rows for newly ready user tasks (the caller inserts them); cancel rows whose task is no
    longer ready.

    `rows_before` are the instance's rows that were open when the command began (as loaded under
    its lock); those the command has finished since are skipped.
    """
    ready = {str(task.id): task for task in open_user_tasks(workflow)}
    still_open = {row.id: row for row in rows_before if row.status == TaskStatus.OPEN}
    created = [_new_row(instance, task, now, candidates) for task_id, task in ready.items() if task_id not in still_open]
    cancelled = cancel_rows([row for task_id, row in still_open.items() if task_id not in ready], now)
    return ProjectionChange(created=created, cancelled=cancelled)


_OPEN_ROWS = (
    select(UserTask)
    .where(UserTask.instance_id == bindparam("instance_id"), UserTask.status == TaskStatus.OPEN)
    .execution_options(populate_existing=True)
)


def open_rows(session: Session, instance_id: int) -> list[UserTask]:
    return list(session.scalars(_OPEN_ROWS, {"instance_id": instance_id}))


def cancel_rows(rows: list[UserTask], now: datetime) -> list[UserTask]:
    open_ones = [row for row in rows if row.status == TaskStatus.OPEN]
    for row in open_ones:
        row.status = TaskStatus.CANCELLED
        row.completed_at = now
    return open_ones


class CandidateResolver:
    """Which organisation a task is offered to; memoised because the tree rarely changes mid-command."""

    def __init__(self, session: Session):
        self._session = session
        self._memo: dict[tuple[int, str], int] = {}

    def organization_for(self, organization_id: int, scope: str) -> int:
        key = (organization_id, scope)
        if key not in self._memo:
            self._memo[key] = self._resolve(organization_id, scope)
        return self._memo[key]

    def _resolve(self, organization_id: int, scope: str) -> int:
        if scope == "instance":
            return organization_id
        organization = self._session.get(Organization, organization_id)
        if organization is None:
            return organization_id
        if scope == "parent":
            return organization.parent_id or organization.id
        for ancestor in organization.ancestors():
            if ancestor.kind == OrganizationKind.PARTY_COMMITTEE:
                return ancestor.id
        return organization.id


def lane_role(lane: str | None) -> str | None:
    if not lane:
        return None
    name = lane.strip()
    if name in Role._value2member_map_:
        return name
    role = _ROLE_BY_TITLE.get(name)
    return role.value if role else None


def _new_row(instance: ProcessInstance, task: Task, now: datetime, candidates: CandidateResolver) -> UserTask:
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
        candidate_organization_id=candidates.organization_for(
            instance.organization_id, properties.get("candidate_organization", "instance")
        ),
        priority=_priority(properties),
        form_key=properties.get("form_key"),
        due_rule=properties.get("due_rule"),
        assignee_id=_assignee(task, properties),
        status=TaskStatus.OPEN,
        created_at=now,
    )


def _assignee(task: Task, properties: dict[str, str]) -> int | None:
    """The `assignee` property names a task-data variable holding a person id (e.g. a multi-instance item)."""
    value = task.data.get(properties["assignee"]) if "assignee" in properties else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _priority(properties: dict[str, str]) -> int:
    try:
        return int(properties.get("priority", DEFAULT_PRIORITY))
    except ValueError:
        return DEFAULT_PRIORITY
