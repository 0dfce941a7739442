"""Tracing an instance for those who may read it whole: its state, its open tasks and incidents,
and its audit trail, each event checked against its hash and its predecessor's so an altered row
shows where it is; for a participant, its summary with their own tasks and answers only;
cancelling, suspending and resuming it for those who manage it; and, for auditors, the
verification of the whole chain against the checkpoints kept outside the database, and the download
of the checkpoint file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from api.http.audit_checkpoints import checkpoint_download
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.services import instance_service
from engine.audit import altered_events, verify_chain
from engine.errors import Conflict, InvalidCommand
from engine.instances.summary import instance_summary
from engine.models import AuditEvent, Organization, ProcessInstance, TaskStatus, UserTask
from engine.people.permissions import Actor, may_manage_instance, may_read_audit, may_read_instance, visible_instance
from processes.democratic_appraisal.results import grades_seen_by
from processes.democratic_appraisal.steps import PROCESS_KEY as APPRAISAL
from web.browser_session import signed_in_page
from web.display import change_lines, display_names, event_title, named
from web.task_pages import answer_lines, form_definitions, people_named

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


class InstanceCommandForm(FlaskForm):
    reason = TextAreaField("取消原因 (reason)", validators=[Optional(), Length(max=500)])
    # The version the page showed: a change by someone else since then is a conflict, not overwritten.
    version = HiddenField()


@blueprint.get("/instances/<id:instance_id>")
@signed_in_page
def instance(actor: Actor, instance_id: int) -> ResponseReturnValue:
    return _page(actor, visible_instance(db_session(), actor, instance_id))


@blueprint.post("/instances/<id:instance_id>/<any(cancel, suspend, resume):command>")
@signed_in_page
def manage(actor: Actor, instance_id: int, command: str) -> ResponseReturnValue:
    """Cancel, suspend or resume: whoever started the instance, its branch secretary, an admin."""
    found = visible_instance(db_session(), actor, instance_id)
    if not may_manage_instance(actor, found):
        raise ApiError(403, "只有发起人、支部书记或管理员可以操作流程实例 (only the starter, the branch secretary or an admin)")
    form = InstanceCommandForm()
    if not form.validate_on_submit():
        return _page(actor, found, "请求已过期或不完整，请重新提交 (the form expired or is incomplete; submit again)", 400)
    shown_version = form.version.data or ""
    version = int(shown_version) if shown_version.isdigit() else None
    service = instance_service()
    try:
        if command == "cancel":
            service.cancel(instance_id, actor_id=actor.id, reason=form.reason.data or None, expected_version=version)
        elif command == "suspend":
            service.suspend(instance_id, actor_id=actor.id, expected_version=version)
        else:
            service.resume(instance_id, actor_id=actor.id, expected_version=version)
    except (Conflict, InvalidCommand) as refused:
        db_session().rollback()
        return _page(actor, visible_instance(db_session(), actor, instance_id), refused.message, 409)
    flash(COMMAND_DONE[command])
    return redirect(url_for("instance_pages.instance", instance_id=instance_id))


COMMAND_DONE = {
    "cancel": "流程实例已取消 (the instance was cancelled)",
    "suspend": "流程实例已挂起 (the instance was suspended)",
    "resume": "流程实例已恢复 (the instance was resumed)",
}


@dataclass(frozen=True)
class OwnTask:
    """One of the reader's own tasks in a case they only take part in, with what they answered."""

    task: UserTask
    answers: list[tuple[str, str]]


def _page(actor: Actor, found: ProcessInstance, message: str | None = None, status: int = 200) -> ResponseReturnValue:
    session = db_session()
    if not may_read_instance(session, actor, found):
        return _summary_page(actor, found, message, status)
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == found.id).order_by(AuditEvent.seq)).all()
    tasks = session.scalars(select(UserTask).where(UserTask.instance_id == found.id).order_by(UserTask.created_at)).all()
    trace = _trace(events, altered_events(session, events), {task.id: task.name or task.element_id for task in tasks})
    return render_template(
        "instance.html",
        instance=found,
        organization=session.get(Organization, found.organization_id),
        started_by=named(display_names([found.started_by_id]), found.started_by_id),
        open_tasks=[task for task in tasks if task.status == TaskStatus.OPEN],
        trace=trace,
        altered=sum(line.altered for line in trace),
        message=message,
        manage=InstanceCommandForm(version=str(found.version)) if may_manage_instance(actor, found) else None,
    ), status


def _summary_page(actor: Actor, found: ProcessInstance, message: str | None, status: int) -> ResponseReturnValue:
    """Where the case stands and the reader's own part in it: not others' answers, not the history."""
    summary = instance_summary(db_session(), found, actor)
    forms = form_definitions(found)
    own = [(task, forms.get(task.form_key) if task.form_key else None) for task in summary.own_tasks]
    names = display_names(person for task, form in own for person in people_named(form, task.completion_data or {}))
    return render_template(
        "instance_summary.html",
        instance=found,
        summary=summary,
        own_tasks=[OwnTask(task, answer_lines(form, task.completion_data or {}, names)) for task, form in own],
        # 民主评议: the member's own grade, once final (grades_seen_by shows a participant no other)
        grades=grades_seen_by(db_session(), actor, found) if found.process_key == APPRAISAL else [],
        message=message,
        manage=InstanceCommandForm(version=str(found.version)) if may_manage_instance(actor, found) else None,
    ), status


@blueprint.get("/audit")
@signed_in_page
def audit(actor: Actor) -> ResponseReturnValue:
    if not may_read_audit(actor):
        raise ApiError(403, "只有纪检委员和管理员可以查看审计记录 (only auditors and administrators read the audit log)")
    session = db_session()
    # Recomputing every hash takes time in proportion to the log: done when the auditor asks.
    verification = verify_chain(session) if request.args.get("verify") == "1" else None
    first_bad = session.get(AuditEvent, verification.first_bad_seq) if verification and verification.first_bad_seq else None
    recent = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(RECENT_EVENTS)).all()
    return render_template(
        "audit.html",
        verification=verification,
        first_bad=first_bad,
        trace=_trace(recent, set(), {}),
    )


@blueprint.get("/audit/checkpoints")
@signed_in_page
def audit_checkpoints(actor: Actor) -> ResponseReturnValue:
    if not may_read_audit(actor):
        raise ApiError(403, "只有纪检委员和管理员可以下载审计检查点 (only auditors and administrators download the audit checkpoints)")
    return checkpoint_download()


def _trace(events: Sequence[AuditEvent], altered: set[int], task_names: dict[str, str]) -> list[TraceLine]:
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
