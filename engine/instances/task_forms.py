"""What a user task's form shows to the person working on it: the form definition of the version
the instance runs on, and the values of its read-only fields (the draft's title a reviewer checks,
the applicant's name) taken from the task's data. Only the fields the form declares leave the
workflow, so a form never shows more of the instance data than its author chose."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from engine.audit import jsonable
from engine.definitions.spec_cache import SpecCache
from engine.errors import NotFound
from engine.instances.serialization import state_from_json
from engine.models import ProcessInstance, TaskStatus, UserTask
from forms import FormDefinition


@dataclass(frozen=True)
class TaskForm:
    definition: FormDefinition | None  # None: the task asks for nothing but a confirmation
    shown: dict[str, Any] = field(default_factory=dict)


def task_form(session: Session, specs: SpecCache, row: UserTask) -> TaskForm:
    instance = session.get(ProcessInstance, row.instance_id)
    if instance is None:
        raise NotFound(f"流程实例不存在 (process instance {row.instance_id} not found)")
    definition = specs.forms(session, instance.definition_id).get(row.form_key) if row.form_key else None
    if definition is None:
        return TaskForm(None)
    readonly = [form_field.name for form_field in definition.fields if form_field.readonly]
    if not readonly or row.status != TaskStatus.OPEN:
        return TaskForm(definition)
    workflow = state_from_json(instance.state_json, specs.get(session, instance.definition_id))
    task = workflow.get_task_from_id(UUID(row.id))
    return TaskForm(definition, {name: jsonable(task.data[name]) for name in readonly if name in task.data})
