"""Tracing an instance for those who may see it: its state, its open tasks and incidents, and its
audit trail, each event checked against its hash and its predecessor's so an altered row shows
where it is; and, for auditors, the verification of the whole chain."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from api.database import db_session
from api.errors import ApiError
from engine.audit import altered_events, verify_chain
from engine.errors import NotFound
from engine.models import AuditEvent, Organization, ProcessInstance, TaskStatus, UserTask
from engine.policy import Actor, may_read_audit, may_see_instance
from web.browser_session import signed_in_page
from web.display import change_lines, display_names, event_title, named

blueprint = Blueprint("instance_pages", __name__, template_folder="templates")
RECENT_EVENTS = 50


@dataclass(frozen=True)
class TraceLine:
    seq: int
    occurred_at: datetime
    actor: str
    title: str
    task: str | None
    instance_id: int | None
    changes: list[tuple[str, str]]
    altered: bool


@blueprint.get("/instances/<int:instance_id>")
@signed_in_page
def instance(actor: Actor, instance_id: int) -> ResponseReturnValue:
    session = db_session()
    found = session.get(ProcessInstance, instance_id)
    if found is None or not may_see_instance(session, actor, found):
        raise NotFound(f"流程实例不存在 (process instance {instance_id} not found)")
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == found.id).order_by(AuditEvent.seq)).all()
    tasks = session.scalars(select(UserTask).where(UserTask.instance_id == found.id).order_by(UserTask.created_at)).all()
    trace = _trace(events, altered_events(session, events), {task.id: task.name or task.element_id for task in tasks})
    return render_template(
        "instance.html", instance=found, organization=session.get(Organization, found.organization_id),
        started_by=named(display_names([found.started_by_id]), found.started_by_id),
        open_tasks=[task for task in tasks if task.status == TaskStatus.OPEN], trace=trace,
        altered=sum(line.altered for line in trace),
    )


@blueprint.get("/audit")
@signed_in_page
def audit(actor: Actor) -> ResponseReturnValue:
    if not may_read_audit(actor):
        raise ApiError(403, "只有纪检委员和管理员可以查看审计记录 (only auditors and administrators read the audit log)")
    session = db_session()
    verification = verify_chain(session)
    first_bad = session.get(AuditEvent, verification.first_bad_seq) if verification.first_bad_seq else None
    recent = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(RECENT_EVENTS)).all()
    return render_template(
        "audit.html", verification=verification, first_bad=first_bad, trace=_trace(recent, set(), {}),
    )


def _trace(events: list[AuditEvent], altered: set[int], task_names: dict[str, str]) -> list[TraceLine]:
    names = display_names(event.actor_id for event in events)
    return [
        TraceLine(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=named(names, event.actor_id),
            title=event_title(event.event_type),
            task=task_names.get(event.task_id) if event.task_id else None,
            instance_id=event.instance_id,
            changes=change_lines(event.before, event.after),
            altered=event.seq in altered,
        )
        for event in events
    ]
