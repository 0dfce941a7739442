"""What a participant reads of a case they only take part in: what it is and where it stands, and
their own tasks with their own answers — never others' answers or the history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Organization, ProcessInstance, TaskStatus, UserTask
from engine.people.permissions import Actor, tasks_seen_by


@dataclass(frozen=True)
class InstanceSummary:
    instance: ProcessInstance
    process_name: str
    organization_name: str
    current_steps: list[str]
    own_tasks: list[UserTask]


def instance_summary(session: Session, instance: ProcessInstance, actor: Actor) -> InstanceSummary:
    """The case as a participant sees it: its open steps by name only, and the tasks that are theirs
    (assigned to them, offered to them while open and unclaimed, or completed by them)."""
    tasks = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id).order_by(UserTask.created_at, UserTask.id)).all()
    current = [task.name or task.element_id for task in tasks if task.status == TaskStatus.OPEN]
    own = session.scalars(
        select(UserTask).where(UserTask.instance_id == instance.id, tasks_seen_by(actor)).order_by(UserTask.created_at, UserTask.id)
    ).all()
    organization = session.get(Organization, instance.organization_id)
    return InstanceSummary(
        instance=instance,
        process_name=instance.definition.name or instance.process_key,
        organization_name=organization.name if organization is not None else "",
        current_steps=list(dict.fromkeys(current)),
        own_tasks=list(own),
    )
